import {
  activeNotebook,
  contextAt,
  IDocumentContext,
  IDocumentSources,
  reloadClean,
  saveFirst,
  selectedNotebook
} from '../common/documents';
import { openInMain } from '../common/shell';
import { followedNotebook } from '../export/model';
import { Widget } from '@lumino/widgets';

/** An open document: what was saved and reverted. */
class Context implements IDocumentContext {
  constructor(
    readonly path: string,
    dirty = false
  ) {
    this.model = { dirty };
  }
  model: { dirty: boolean };
  calls: string[] = [];
  async save(): Promise<void> {
    this.calls.push('save');
    this.model.dirty = false;
  }
  async revert(): Promise<void> {
    this.calls.push('revert');
  }
}

/** Contents paths with a drive prefix: `RTC:nb.ipynb` is `nb.ipynb`. */
const localPath = (path: string) => path.replace(/^[A-Za-z]+:/, '');

function sources(
  managed: Record<string, Context | null>,
  notebooks: Context[]
): IDocumentSources<Context> {
  return {
    fromManager: path => (path in managed ? managed[path] : undefined),
    notebooks: () => notebooks,
    localPath
  };
}

describe('the open document at a server path', () => {
  it("is the document manager's, else an open notebook's", () => {
    const text = new Context('notes.md');
    const notebook = new Context('RTC:nb/train.ipynb');
    const found = sources({ 'notes.md': text }, [notebook]);
    expect(contextAt(found, 'notes.md')).toBe(text);
    expect(contextAt(found, 'nb/train.ipynb')).toBe(notebook);
    expect(contextAt(found, 'other.ipynb')).toBeNull();
  });

  it('is none when the manager has the widget but no context', () => {
    const notebook = new Context('nb.ipynb');
    expect(
      contextAt(sources({ 'nb.ipynb': null }, [notebook]), 'nb.ipynb')
    ).toBeNull();
  });

  it('is an open notebook without a document manager (Notebook 7)', () => {
    const notebook = new Context('nb.ipynb');
    expect(
      contextAt({ notebooks: () => [notebook], localPath }, 'nb.ipynb')
    ).toBe(notebook);
    expect(contextAt({ localPath }, 'nb.ipynb')).toBeNull();
  });
});

describe('saving first and reloading', () => {
  it('saves only a document with unsaved changes', async () => {
    const dirty = new Context('a.ipynb', true);
    const clean = new Context('b.ipynb');
    const found = sources({}, [dirty, clean]);
    await saveFirst(found, 'a.ipynb');
    await saveFirst(found, 'b.ipynb');
    await saveFirst(found, 'c.ipynb');
    expect(dirty.calls).toEqual(['save']);
    expect(clean.calls).toEqual([]);
  });

  it('reloads only the documents without unsaved changes', async () => {
    const dirty = new Context('a.ipynb', true);
    const clean = new Context('b.ipynb');
    await reloadClean(sources({}, [dirty, clean]), [
      'a.ipynb',
      'b.ipynb',
      'c.ipynb'
    ]);
    expect(dirty.calls).toEqual([]);
    expect(clean.calls).toEqual(['revert']);
  });
});

describe('the notebook a command acts on', () => {
  it("is the file browser's first selected item when it is a notebook", () => {
    const items = (list: { type: string; path: string }[]) =>
      list[Symbol.iterator]();
    expect(
      selectedNotebook(
        items([
          { type: 'notebook', path: 'RTC:nb/a.ipynb' },
          { type: 'file', path: 'b.txt' }
        ]),
        localPath
      )
    ).toBe('nb/a.ipynb');
    expect(
      selectedNotebook(items([{ type: 'file', path: 'b.txt' }]), localPath)
    ).toBeNull();
    expect(selectedNotebook(items([]), localPath)).toBeNull();
    expect(selectedNotebook(null, localPath)).toBeNull();
  });

  it("is the tracker's notebook only when it is the main area's widget", () => {
    const panel = { context: { path: 'RTC:nb/a.ipynb' } };
    const notebooks = { currentWidget: panel };
    expect(activeNotebook(notebooks, panel, localPath)).toBe('nb/a.ipynb');
    expect(activeNotebook(notebooks, { other: true }, localPath)).toBeNull();
    expect(activeNotebook({ currentWidget: null }, null, localPath)).toBeNull();
    expect(activeNotebook(null, panel, localPath)).toBeNull();
  });

  it('is the followed path for a re-export when it is a notebook', () => {
    expect(followedNotebook('nb/train.ipynb')).toBe('nb/train.ipynb');
    expect(followedNotebook('nb')).toBeNull();
    expect(followedNotebook('')).toBeNull();
  });
});

describe('a view in the main area', () => {
  it('is shown and brought to the front when the shell takes it', () => {
    const widget = new Widget();
    widget.id = 'view-1';
    const activated: string[] = [];
    const shell = {
      add: (w: Widget) => Widget.attach(w, document.body),
      activateById: (id: string) => activated.push(id)
    };
    expect(openInMain(shell, widget)).toBe(true);
    expect(activated).toEqual(['view-1']);
    widget.dispose();
  });

  it('is refused when the shell cannot show it (Notebook 7)', () => {
    const activated: string[] = [];
    const shell = {
      add: () => undefined,
      activateById: (id: string) => activated.push(id)
    };
    expect(openInMain(shell, new Widget())).toBe(false);
    expect(activated).toEqual([]);
  });
});
