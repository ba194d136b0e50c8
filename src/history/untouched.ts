import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * The parts of an open document's context {@link keepUntouchedClean} uses
 * (a `DocumentRegistry.IContext<INotebookModel>` fits).
 */
export interface IUntouchedContext {
  readonly isDisposed: boolean;
  readonly disposed: ISignal<any, void>;
  readonly model: {
    dirty: boolean;
    toJSON(): unknown;
    readonly stateChanged: ISignal<
      any,
      { name: string; oldValue?: unknown; newValue?: unknown }
    >;
  };
}

/**
 * Notebook metadata the lab writes on its own when a kernel starts: what
 * the kernel says it is, not a change by the user. A snapshot strips
 * `language_info` (all but its name) anyway.
 */
const KERNEL_FACTS = ['language_info', 'kernelspec'];

/**
 * Keep a notebook clean while only its kernel has written into it.
 *
 * When a kernel starts (or changes), JupyterLab writes the kernel's
 * `language_info` and `kernelspec` into the notebook's metadata, which
 * marks the model dirty: closing a notebook nobody edited then asks "Save
 * your work?". Every time the flag is lowered (the notebook loaded, saved,
 * reverted) the content is remembered without those kernel facts; when the
 * flag is raised and the content, without them, is still what was
 * remembered, it is lowered again. Any other change (a cell edited, run,
 * added, other metadata) keeps it raised as usual.
 *
 * Connect it as soon as the document is created: the kernel's facts often
 * arrive before `context.ready` resolves.
 */
export function keepUntouchedClean(context: IUntouchedContext): void {
  const model = context.model;
  let clean: string | null = model.dirty
    ? null
    : withoutKernelFacts(model.toJSON());
  const onState = (
    _: unknown,
    change: { name: string; newValue?: unknown }
  ) => {
    if (change.name !== 'dirty') {
      return;
    }
    if (change.newValue !== true) {
      clean = withoutKernelFacts(model.toJSON());
      return;
    }
    // After the change that raised the flag has finished.
    void Promise.resolve().then(() => {
      if (context.isDisposed || !model.dirty || clean === null) {
        return;
      }
      if (withoutKernelFacts(model.toJSON()) === clean) {
        model.dirty = false;
      }
    });
  };
  const stop = () => {
    model.stateChanged.disconnect(onState);
    context.disposed.disconnect(stop);
  };
  model.stateChanged.connect(onState);
  context.disposed.connect(stop);
}

/** The notebook's JSON text without the metadata the kernel writes. */
export function withoutKernelFacts(content: unknown): string {
  if (!content || typeof content !== 'object') {
    return JSON.stringify(content);
  }
  const notebook = { ...(content as Record<string, unknown>) };
  const metadata = notebook['metadata'];
  if (metadata && typeof metadata === 'object') {
    const rest = { ...(metadata as Record<string, unknown>) };
    for (const key of KERNEL_FACTS) {
      delete rest[key];
    }
    notebook['metadata'] = rest;
  }
  return JSON.stringify(notebook);
}

/**
 * Keep every notebook the tracker adds clean while only its kernel wrote
 * into it ({@link keepUntouchedClean}), from its creation: connect it when
 * the feature starts, before any notebook opens. Disposing the result stops
 * watching new notebooks.
 */
export function keepNotebooksClean(
  added: ISignal<any, { readonly context: IUntouchedContext }>
): IDisposable {
  const onAdded = (
    _: unknown,
    panel: { readonly context: IUntouchedContext }
  ) => keepUntouchedClean(panel.context);
  added.connect(onAdded);
  return new DisposableDelegate(() => {
    added.disconnect(onAdded);
  });
}

/**
 * The server paths of the open notebooks on the server's own drive that
 * have unsaved changes (a switch of their code is refused).
 */
export function unsavedNotebooks(
  contexts: Iterable<{
    readonly path: string;
    readonly model: { readonly dirty: boolean } | null;
  }>,
  contents: {
    driveName(path: string): string;
    localPath(path: string): string;
  }
): string[] {
  const paths: string[] = [];
  for (const context of contexts) {
    if (contents.driveName(context.path) === '' && context.model?.dirty) {
      paths.push(contents.localPath(context.path));
    }
  }
  return paths;
}
