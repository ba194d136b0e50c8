import { Signal } from '@lumino/signaling';

import {
  consoleSource,
  executionFinished,
  ISaveableContext,
  notebookOfConsole,
  LiveRuns,
  SaveBeforeRun
} from '../runs/execution';
import { RunsModel } from '../runs/model';
import { FakeServer, flush, group, reply, run, SHA_A } from './runsFakes';

/** A stand-in for a notebook widget: what the signals carry. */
interface IFakeNotebook {
  name: string;
}

/** A document context that counts its saves. */
class FakeContext implements ISaveableContext {
  model = { dirty: true };
  canSave = true;
  saves = 0;
  fail: Error | null = null;
  private _release: (() => void) | null = null;

  save(): Promise<void> {
    this.saves++;
    return new Promise<void>((resolve, reject) => {
      this._release = () => {
        if (this.fail) {
          reject(this.fail);
        } else {
          this.model.dirty = false;
          resolve();
        }
      };
    });
  }

  async finish(): Promise<void> {
    this._release?.();
    this._release = null;
    await flush();
  }
}

describe('SaveBeforeRun', () => {
  const NB = 'proj/train.ipynb';
  let scheduled: Signal<unknown, { notebook: IFakeNotebook }>;
  let notebook: IFakeNotebook;
  let context: FakeContext;
  let enabled: boolean;
  let inRepository: boolean;
  let errors: [string, unknown][];
  let saver: SaveBeforeRun<IFakeNotebook>;

  beforeEach(() => {
    scheduled = new Signal<unknown, { notebook: IFakeNotebook }>({});
    notebook = { name: 'train' };
    context = new FakeContext();
    enabled = true;
    inRepository = true;
    errors = [];
    saver = new SaveBeforeRun<IFakeNotebook>({
      scheduled,
      enabled: () => enabled,
      documentOf: nb => (nb === notebook ? { path: NB, context } : null),
      inRepository: path => inRepository && path === NB,
      onError: (path, error) => errors.push([path, error])
    });
  });

  afterEach(() => saver.dispose());

  it('saves a notebook with unsaved changes in a repository before its cell runs', async () => {
    scheduled.emit({ notebook });
    expect(context.saves).toBe(1);
    await context.finish();
    expect(context.model.dirty).toBe(false);
    // Saved: the next cell runs without another save.
    scheduled.emit({ notebook });
    expect(context.saves).toBe(1);
  });

  it('saves once for a burst of cells (Run All)', async () => {
    for (let i = 0; i < 5; i++) {
      scheduled.emit({ notebook });
    }
    expect(saver.pending).toBe(1);
    expect(context.saves).toBe(1);
    await context.finish();
    expect(saver.pending).toBe(0);
  });

  it('saves nothing when the setting is off', () => {
    enabled = false;
    scheduled.emit({ notebook });
    expect(context.saves).toBe(0);
  });

  it('saves nothing outside a git repository, for other notebooks, or when clean', () => {
    inRepository = false;
    scheduled.emit({ notebook });
    inRepository = true;
    scheduled.emit({ notebook: { name: 'other' } });
    context.model.dirty = false;
    scheduled.emit({ notebook });
    expect(context.saves).toBe(0);
  });

  it('leaves read-only and collaborative documents alone', () => {
    context.canSave = false;
    scheduled.emit({ notebook });
    expect(context.saves).toBe(0);
  });

  it('says when a save failed, and tries again on the next run', async () => {
    context.fail = new Error('disk full');
    scheduled.emit({ notebook });
    await context.finish();
    expect(errors).toEqual([[NB, context.fail]]);
    scheduled.emit({ notebook });
    expect(context.saves).toBe(2);
  });

  it('stops listening when disposed', () => {
    saver.dispose();
    expect(saver.isDisposed).toBe(true);
    scheduled.emit({ notebook });
    expect(context.saves).toBe(0);
  });
});

describe('LiveRuns', () => {
  let executed: Signal<unknown, { notebook: IFakeNotebook }>;
  let followed: IFakeNotebook;
  let other: IFakeNotebook;
  let target: { path: string | null; refreshSoon: jest.Mock };
  let live: LiveRuns<IFakeNotebook>;

  beforeEach(() => {
    executed = new Signal<unknown, { notebook: IFakeNotebook }>({});
    followed = { name: 'train' };
    other = { name: 'other' };
    target = { path: 'nb/train.ipynb', refreshSoon: jest.fn() };
    live = new LiveRuns<IFakeNotebook>({
      executed,
      pathOf: nb => (nb === followed ? 'nb/train.ipynb' : 'nb/other.ipynb'),
      runs: target
    });
  });

  afterEach(() => live.dispose());

  it("asks for the followed notebook's runs when one of its cells finished", () => {
    executed.emit({ notebook: followed });
    expect(target.refreshSoon).toHaveBeenCalledTimes(1);
  });

  it('ignores other notebooks, and every notebook while none is followed', () => {
    executed.emit({ notebook: other });
    target.path = null;
    executed.emit({ notebook: followed });
    expect(target.refreshSoon).not.toHaveBeenCalled();
  });

  it('stops listening when disposed', () => {
    live.dispose();
    executed.emit({ notebook: followed });
    expect(target.refreshSoon).not.toHaveBeenCalled();
  });

  it("asks again when the followed notebook's kernel ran code from elsewhere", () => {
    const kernelIdle = new Signal<unknown, { notebook: IFakeNotebook }>({});
    const withKernel = new LiveRuns<IFakeNotebook>({
      executed,
      kernelIdle,
      pathOf: nb => (nb === followed ? 'nb/train.ipynb' : 'nb/other.ipynb'),
      runs: target
    });
    kernelIdle.emit({ notebook: followed });
    kernelIdle.emit({ notebook: other });
    expect(target.refreshSoon).toHaveBeenCalledTimes(1); // the followed one only
    withKernel.dispose();
    live.dispose();
    kernelIdle.emit({ notebook: followed });
    expect(target.refreshSoon).toHaveBeenCalledTimes(1);
  });
});

describe('executionFinished', () => {
  const status = (state: string, parent: string | null) => ({
    header: { msg_type: 'status' },
    parent_header: parent === null ? {} : { msg_type: parent },
    content: { execution_state: state }
  });

  it('is idle after code ran, from a cell, a console or another tab', () => {
    expect(executionFinished(status('idle', 'execute_request'))).toBe(true);
  });

  it('is not busy, nor idle after a completion, an inspection or a comm', () => {
    expect(executionFinished(status('busy', 'execute_request'))).toBe(false);
    for (const parent of ['complete_request', 'inspect_request', 'comm_msg']) {
      expect(executionFinished(status('idle', parent))).toBe(false);
    }
    expect(executionFinished(status('idle', null))).toBe(false);
    expect(
      executionFinished({
        header: { msg_type: 'stream' },
        parent_header: { msg_type: 'execute_request' },
        content: { name: 'stdout', text: 'idle' }
      })
    ).toBe(false);
    expect(
      executionFinished({
        header: { msg_type: 'status' },
        parent_header: { msg_type: 'execute_request' },
        content: null
      })
    ).toBe(false);
  });
});

describe('RunsModel.refreshSoon', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads the runs once, shortly after the last of several executions', async () => {
    const server = new FakeServer();
    const model = new RunsModel({
      requester: server.requester,
      autoStart: false,
      liveDelay: 300
    });
    model.setPath('nb/train.ipynb');
    await server.answer(0, reply([]));
    expect(model.state).toBe('empty');

    model.refreshSoon();
    jest.advanceTimersByTime(200);
    model.refreshSoon();
    jest.advanceTimersByTime(200);
    expect(server.calls).toHaveLength(1);
    jest.advanceTimersByTime(150);
    expect(server.calls).toHaveLength(2);
    await server.answer(
      1,
      reply([group(SHA_A, [run('r1', { unsaved: true })])])
    );
    expect(model.state).toBe('ready');
    expect(model.runCount).toBe(1);
    model.dispose();
  });

  it('reads once more a moment later, for a store that lists a run late', async () => {
    const server = new FakeServer();
    const model = new RunsModel({
      requester: server.requester,
      autoStart: false,
      liveDelay: 300,
      catchUpDelay: 1000
    });
    model.setPath('nb/train.ipynb');
    await server.answer(0, reply([]));
    model.refreshSoon();
    jest.advanceTimersByTime(300);
    expect(server.calls).toHaveLength(2);
    // The store had not listed the run yet (a new experiment, say).
    await server.answer(1, reply([]));
    jest.advanceTimersByTime(999);
    expect(server.calls).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(server.calls).toHaveLength(3);
    await server.answer(2, reply([group(SHA_A, [run('r1')])]));
    expect(model.runCount).toBe(1);
    // Once per burst: nothing more until cells run again.
    jest.advanceTimersByTime(5000);
    expect(server.calls).toHaveLength(3);
    model.dispose();
  });

  it('starts over when cells run again before the second read', async () => {
    const server = new FakeServer();
    const model = new RunsModel({
      requester: server.requester,
      autoStart: false,
      liveDelay: 300,
      catchUpDelay: 1000
    });
    model.setPath('nb/train.ipynb');
    await server.answer(0, reply([]));
    model.refreshSoon();
    jest.advanceTimersByTime(300);
    await server.answer(1, reply([]));
    jest.advanceTimersByTime(500);
    model.refreshSoon(); // the catch-up is dropped, the burst starts anew
    jest.advanceTimersByTime(300);
    expect(server.calls).toHaveLength(3);
    await server.answer(2, reply([]));
    jest.advanceTimersByTime(1000);
    expect(server.calls).toHaveLength(4);
    model.setPath(null); // and nothing is read for a notebook no longer followed
    model.dispose();
  });

  it('drops a scheduled read when the notebook changes or the model goes', () => {
    const server = new FakeServer();
    const model = new RunsModel({
      requester: server.requester,
      autoStart: false,
      liveDelay: 300
    });
    model.refreshSoon(); // nothing followed: nothing to read
    model.setPath('nb/train.ipynb');
    model.refreshSoon();
    model.setPath('nb/other.ipynb');
    jest.advanceTimersByTime(1000);
    expect(
      server.calls.map(c => server.query(server.calls.indexOf(c)).get('path'))
    ).toEqual(['nb/train.ipynb', 'nb/other.ipynb']);
    model.refreshSoon();
    model.dispose();
    jest.advanceTimersByTime(1000);
    expect(server.calls).toHaveLength(2);
  });
});

describe('notebookOfConsole', () => {
  it('is the notebook whose session a console shares', () => {
    const panel = { console: {}, sessionContext: { path: 'demo/Train.IPYNB' } };
    expect(notebookOfConsole(panel)).toBe('demo/Train.IPYNB');
  });

  it('is null for a console of its own, a notebook panel, or nothing', () => {
    expect(
      notebookOfConsole({ console: {}, sessionContext: { path: 'Console 1' } })
    ).toBeNull();
    expect(
      notebookOfConsole({ sessionContext: { path: 'demo/train.ipynb' } })
    ).toBeNull();
    expect(notebookOfConsole({ console: {}, sessionContext: {} })).toBeNull();
    expect(notebookOfConsole(null)).toBeNull();
  });
});

describe('consoleSource', () => {
  const source = consoleSource(path => path.replace(/^RTC:/, ''));

  it("follows the notebook of a console on a notebook's kernel", () => {
    expect(
      source({ console: {}, sessionContext: { path: 'RTC:demo/train.ipynb' } })
    ).toBe('demo/train.ipynb');
  });

  it('does not know other widgets', () => {
    expect(
      source({ console: {}, sessionContext: { path: 'Console 1' } })
    ).toBeUndefined();
    expect(
      source({ sessionContext: { path: 'demo/train.ipynb' } })
    ).toBeUndefined();
    expect(source(null)).toBeUndefined();
  });
});
