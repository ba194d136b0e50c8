import { PathFollower } from '../status/follow';
import { ReproPathRank } from '../tokens';

/** The sidebar model as the follower moves it. */
class Target {
  paths: string[] = [];
  isDisposed = false;
  setPath(path: string): void {
    this.paths.push(path);
  }
}

/** Main-area widgets of each kind the features recognize. */
class Notebook {
  constructor(readonly path: string) {}
}
class AsItWas {
  constructor(
    readonly path: string,
    readonly of: string | null
  ) {}
}
class Comparison {
  constructor(readonly path: string | null) {}
}
class RunsTable {
  constructor(readonly path: string) {}
}
class Reproductions {
  constructor(public path: string | null) {}
}
class Console {
  constructor(readonly notebook: string) {}
}

/**
 * A follower with the sources index.ts used to inline, each in its rank:
 * the shell's current widget and the browser's folder are set by the test.
 */
function setup(options: { folder?: string | null } = {}) {
  const target = new Target();
  const state: { current: unknown; folder: string | null } = {
    current: null,
    folder: options.folder === undefined ? 'proj' : options.folder
  };
  const seen: unknown[] = [];
  const follower = new PathFollower({
    target,
    current: () => state.current,
    folder: () => state.folder
  });
  // Added out of rank order on purpose: the ranks decide.
  follower.addSource(
    widget => (widget instanceof Notebook ? widget.path : undefined),
    ReproPathRank.notebook
  );
  follower.addSource(
    widget => (widget instanceof Console ? widget.notebook : undefined),
    ReproPathRank.console
  );
  follower.addSource(
    widget => (widget instanceof Reproductions ? widget.path : undefined),
    ReproPathRank.reproductions
  );
  follower.addSource(
    widget =>
      widget instanceof RunsTable ? widget.path || undefined : undefined,
    ReproPathRank.runsTable
  );
  follower.addSource(
    widget =>
      widget instanceof Comparison ? widget.path || undefined : undefined,
    ReproPathRank.comparison
  );
  follower.addSource(
    widget =>
      widget instanceof AsItWas && widget.of !== null ? widget.of : undefined,
    ReproPathRank.history
  );
  follower.addWatcher(widget => seen.push(widget));
  return { follower, target, state, seen };
}

describe('PathFollower', () => {
  it('follows the active notebook', () => {
    const { follower, target, state } = setup();
    state.current = new Notebook('proj/train.ipynb');
    follower.follow();
    expect(target.paths).toEqual(['proj/train.ipynb']);
  });

  it('follows the notebook a version is of, not the version', () => {
    const { follower, target, state } = setup();
    state.current = new AsItWas(
      'ReproHistory:abc/proj/a.ipynb',
      'proj/a.ipynb'
    );
    follower.follow();
    expect(target.paths).toEqual(['proj/a.ipynb']);
  });

  it('follows the notebook of a comparison and of a runs table', () => {
    const { follower, target, state } = setup();
    state.current = new Comparison('proj/b.ipynb');
    follower.follow();
    state.current = new RunsTable('proj/c.ipynb');
    follower.follow();
    expect(target.paths).toEqual(['proj/b.ipynb', 'proj/c.ipynb']);
  });

  it('falls back to the folder for a comparison without a notebook', () => {
    const { follower, target, state } = setup();
    state.current = new Comparison(null);
    follower.follow();
    expect(target.paths).toEqual(['proj']);
  });

  it('keeps the path for the Reproductions view without a job', () => {
    const { follower, target, state } = setup();
    state.current = new Notebook('proj/train.ipynb');
    follower.follow();
    const view = new Reproductions(null);
    state.current = view;
    follower.follow();
    expect(target.paths).toEqual(['proj/train.ipynb']);
    // Its newest job's notebook, once there is one.
    view.path = 'proj/d.ipynb';
    follower.follow();
    expect(target.paths).toEqual(['proj/train.ipynb', 'proj/d.ipynb']);
  });

  it("follows the notebook of a console on a notebook's kernel", () => {
    const { follower, target, state } = setup();
    state.current = new Console('proj/e.ipynb');
    follower.follow();
    expect(target.paths).toEqual(['proj/e.ipynb']);
  });

  it("follows the file browser's folder for any other widget", () => {
    const { follower, target, state } = setup();
    state.current = { title: 'a terminal' };
    follower.follow();
    state.current = null;
    follower.follow();
    expect(target.paths).toEqual(['proj', 'proj']);
  });

  it('keeps the path without a file browser (Notebook 7)', () => {
    const { follower, target, state } = setup({ folder: null });
    state.current = { title: 'a terminal' };
    follower.follow();
    expect(target.paths).toEqual([]);
    state.current = new Notebook('nb.ipynb');
    follower.follow();
    expect(target.paths).toEqual(['nb.ipynb']);
  });

  it('follows the folder only when following is off', () => {
    const { follower, target, state } = setup();
    follower.followNotebook = false;
    for (const widget of [
      new Notebook('proj/train.ipynb'),
      new AsItWas('x', 'proj/a.ipynb'),
      new Comparison('proj/b.ipynb'),
      new Reproductions('proj/d.ipynb'),
      new Console('proj/e.ipynb')
    ]) {
      state.current = widget;
      follower.follow();
    }
    expect(target.paths).toEqual(['proj', 'proj', 'proj', 'proj', 'proj']);
  });

  it('calls the watchers every time, following or not', () => {
    const { follower, state, seen } = setup();
    const widget = new AsItWas('x', 'proj/a.ipynb');
    state.current = widget;
    follower.follow();
    follower.followNotebook = false;
    follower.follow();
    expect(seen).toEqual([widget, widget]);
  });

  it('asks the lower rank first, and equal ranks in the order added', () => {
    const follower = new PathFollower({
      target: new Target(),
      current: () => 'w',
      folder: () => null
    });
    const asked: string[] = [];
    const source = (name: string, answer?: string) => () => {
      asked.push(name);
      return answer;
    };
    follower.addSource(source('late', 'late.ipynb'), 20);
    follower.addSource(source('first'), 10);
    follower.addSource(source('second'), 10);
    expect(follower.choose()).toBe('late.ipynb');
    expect(asked).toEqual(['first', 'second', 'late']);
  });

  it('forgets a removed source', () => {
    const { follower, target, state } = setup();
    const removed = follower.addSource(() => 'other.ipynb', 0);
    state.current = new Notebook('proj/train.ipynb');
    follower.follow();
    removed.dispose();
    follower.follow();
    expect(target.paths).toEqual(['other.ipynb', 'proj/train.ipynb']);
  });

  it('moves nothing once it or its target is disposed', () => {
    const { follower, target, state } = setup();
    state.current = new Notebook('proj/train.ipynb');
    target.isDisposed = true;
    follower.follow();
    target.isDisposed = false;
    follower.dispose();
    follower.follow();
    expect(target.paths).toEqual([]);
    expect(follower.isDisposed).toBe(true);
  });
});
