import { ISignal } from '@lumino/signaling';

/**
 * The parts of an open document's context {@link keepUntouchedClean} uses
 * (a `DocumentRegistry.IContext<INotebookModel>` fits).
 */
export interface IUntouchedContext {
  readonly ready: Promise<void>;
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
 * Keep a freshly opened notebook clean while nobody touches it.
 *
 * When its kernel starts, JupyterLab writes the kernel's `language_info`
 * (and `kernelspec`) into the notebook's metadata, which marks the model
 * dirty: closing a working copy nobody edited then asks "Save your work?".
 * Until the first real change, a dirty flag raised by those kernel facts
 * alone is lowered again. A real change (a cell edited, run, added …)
 * stops the watch for good.
 */
export function keepUntouchedClean(context: IUntouchedContext): void {
  void context.ready.then(() => {
    if (context.isDisposed) {
      return;
    }
    const model = context.model;
    const opened = withoutKernelFacts(model.toJSON());
    let done = false;
    const stop = () => {
      done = true;
      model.stateChanged.disconnect(onState);
      context.disposed.disconnect(stop);
    };
    const onState = (
      _: unknown,
      change: { name: string; newValue?: unknown }
    ) => {
      if (change.name !== 'dirty' || change.newValue !== true) {
        return;
      }
      // After the change that raised the flag has finished.
      void Promise.resolve().then(() => {
        if (done || context.isDisposed || !model.dirty) {
          return;
        }
        if (withoutKernelFacts(model.toJSON()) === opened) {
          model.dirty = false;
        } else {
          stop();
        }
      });
    };
    model.stateChanged.connect(onState);
    context.disposed.connect(stop);
  });
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
