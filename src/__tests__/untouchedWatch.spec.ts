import { Signal } from '@lumino/signaling';

import { keepNotebooksClean, unsavedNotebooks } from '../history/untouched';

/** A notebook's context as the lab creates it: dirty until loaded. */
class FakeContext {
  isDisposed = false;
  disposed = new Signal<FakeContext, void>(this);
  content: any = {
    cells: [{ cell_type: 'code', source: 'lr = 0.1', outputs: [] }],
    metadata: {}
  };
  model = {
    _dirty: true,
    stateChanged: new Signal<any, { name: string; newValue?: unknown }>(this),
    get dirty(): boolean {
      return this._dirty;
    },
    set dirty(value: boolean) {
      const old = this._dirty;
      this._dirty = value;
      if (old !== value) {
        this.stateChanged.emit({ name: 'dirty', newValue: value });
      }
    },
    toJSON: () => JSON.parse(JSON.stringify(this.content))
  };

  /** The kernel's facts arrive (often before the context is ready). */
  kernelInfo(): void {
    this.content.metadata.language_info = { name: 'python', version: '3.11' };
    this.model.dirty = true;
  }

  load(): void {
    this.model.dirty = false;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await Promise.resolve();
  }
}

describe('every notebook kept clean from its creation', () => {
  it('connects each notebook the tracker adds, before it is ready', async () => {
    const tracker = {};
    const added = new Signal<object, { context: FakeContext }>(tracker);
    const watch = keepNotebooksClean(added);
    const context = new FakeContext();
    added.emit({ context });
    context.load();
    context.kernelInfo();
    await settle();
    expect(context.model.dirty).toBe(false);
    // An edit keeps the flag raised.
    context.content.cells[0].source = 'lr = 0.2';
    context.model.dirty = true;
    await settle();
    expect(context.model.dirty).toBe(true);
    watch.dispose();
  });

  it('leaves the notebooks added after it stopped', async () => {
    const added = new Signal<object, { context: FakeContext }>({});
    keepNotebooksClean(added).dispose();
    const context = new FakeContext();
    added.emit({ context });
    context.load();
    context.kernelInfo();
    await settle();
    expect(context.model.dirty).toBe(true);
  });
});

describe('the open notebooks with unsaved changes', () => {
  it("are the dirty ones of the server's own drive, as server paths", () => {
    const contents = {
      driveName: (path: string) =>
        path.includes(':') ? path.slice(0, path.indexOf(':')) : '',
      localPath: (path: string) => path.slice(path.indexOf(':') + 1)
    };
    expect(
      unsavedNotebooks(
        [
          { path: 'nb/a.ipynb', model: { dirty: true } },
          { path: 'nb/b.ipynb', model: { dirty: false } },
          { path: 'ReproHistory:abc/nb/a.ipynb', model: { dirty: true } },
          { path: 'nb/c.ipynb', model: null }
        ],
        contents
      )
    ).toEqual(['nb/a.ipynb']);
  });
});
