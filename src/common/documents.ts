/**
 * The open documents at server paths: their contexts, saved before a
 * request reads their files, reloaded after one rewrote them.
 */
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { INotebookTracker } from '@jupyterlab/notebook';

/** The parts of a document context the features use. */
export interface IDocumentContext {
  readonly path: string;
  readonly model: { readonly dirty: boolean } | null;
  save(): Promise<void>;
  revert(): Promise<void>;
}

/** Where open documents are found (the document manager, the notebooks). */
export interface IDocumentSources<C extends IDocumentContext> {
  /**
   * The document manager's context of the widget open at `path`: undefined
   * when no widget is open there (the notebooks are searched then), null
   * when one is but has no context.
   */
  fromManager?: ((path: string) => C | null | undefined) | null;
  /** The open notebooks' contexts (the notebook tracker's panels). */
  notebooks?: (() => Iterable<C>) | null;
  /** A server path from a contents path (drive prefix dropped). */
  localPath: (path: string) => string;
}

/**
 * The open document at a server path: through the document manager when
 * there is one (any file type), else among the open notebooks.
 */
export function contextAt<C extends IDocumentContext>(
  sources: IDocumentSources<C>,
  path: string
): C | null {
  if (sources.fromManager) {
    const context = sources.fromManager(path);
    if (context !== undefined) {
      return context;
    }
  }
  for (const context of sources.notebooks?.() ?? []) {
    if (sources.localPath(context.path) === path) {
      return context;
    }
  }
  return null;
}

/** Save the open document at `path` first when it has unsaved changes. */
export async function saveFirst<C extends IDocumentContext>(
  sources: IDocumentSources<C>,
  path: string
): Promise<void> {
  const context = contextAt(sources, path);
  if (context?.model?.dirty) {
    await context.save();
  }
}

/**
 * Reload the open documents at `paths` that have no unsaved changes (a
 * request rewrote their files); the others are left as they are.
 */
export async function reloadClean<C extends IDocumentContext>(
  sources: IDocumentSources<C>,
  paths: readonly string[]
): Promise<void> {
  for (const path of paths) {
    const context = contextAt(sources, path);
    if (context && !context.model?.dirty) {
      await context.revert();
    }
  }
}

/**
 * The server path of the first selected item of a file browser when it is
 * a notebook, else null.
 */
export function selectedNotebook(
  selected: Iterator<{ type: string; path: string }> | null | undefined,
  localPath: (path: string) => string
): string | null {
  const item = selected?.next();
  return item && !item.done && item.value.type === 'notebook'
    ? localPath(item.value.path)
    : null;
}

/**
 * The lab's open documents as {@link IDocumentSources}: the document
 * manager's (when there is one), else the notebook tracker's.
 */
export function labDocuments(options: {
  docManager: IDocumentManager | null;
  notebooks: INotebookTracker | null;
  contents: { localPath(path: string): string };
}): IDocumentSources<IDocumentContext> {
  const { docManager, notebooks, contents } = options;
  return {
    fromManager: docManager
      ? path => {
          const widget = docManager.findWidget(path);
          return widget
            ? (docManager.contextForWidget(widget) ?? null)
            : undefined;
        }
      : null,
    notebooks: notebooks
      ? () => {
          const found: IDocumentContext[] = [];
          notebooks.forEach(panel => found.push(panel.context));
          return found;
        }
      : null,
    localPath: path => contents.localPath(path)
  };
}

/**
 * The server path of the tracker's current notebook when it is the main
 * area's current widget, else null.
 */
export function activeNotebook(
  notebooks: {
    readonly currentWidget: {
      readonly context: { readonly path: string };
    } | null;
  } | null,
  current: unknown,
  localPath: (path: string) => string
): string | null {
  const panel = notebooks?.currentWidget ?? null;
  return panel && current === panel ? localPath(panel.context.path) : null;
}
