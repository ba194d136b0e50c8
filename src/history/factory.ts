import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  NotebookPanel,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import { notebookIcon } from '@jupyterlab/ui-components';

/** The widget factory of the notebooks as they were. */
export const HISTORY_FACTORY = 'Repro Notebook as It Was';

/** The class of a notebook-as-it-was panel. */
export const HISTORY_PANEL_CLASS = 'jp-Repro-HistoryPanel';

/**
 * The parts of JupyterLab's own notebook widget factory a view of the
 * notebook as it was reuses (rendering, editors, settings).
 */
export type BaseNotebookFactory = Pick<
  NotebookWidgetFactory,
  | 'rendermime'
  | 'contentFactory'
  | 'mimeTypeService'
  | 'editorConfig'
  | 'notebookConfig'
>;

/**
 * Notebooks as they were: JupyterLab's notebook view that never starts a
 * kernel (no kernel preferred, none may start), with the notebook model
 * marked read-only and its toolbar limited to what the caller gives (the
 * document's own read-only indicator comes with it).
 *
 * Its widgets are not JupyterLab's notebook tracker's, so the notebook
 * commands (run, insert, kernel) leave them alone.
 */
export class HistoryNotebookFactory extends NotebookWidgetFactory {
  constructor(options: HistoryNotebookFactory.IOptions) {
    super({
      name: HISTORY_FACTORY,
      label: options.label ?? HISTORY_FACTORY,
      fileTypes: ['notebook'],
      modelName: 'notebook',
      preferKernel: false,
      canStartKernel: false,
      autoStartDefault: false,
      shutdownOnClose: false,
      rendermime: options.base.rendermime,
      contentFactory: options.base.contentFactory,
      mimeTypeService: options.base.mimeTypeService,
      editorConfig: options.base.editorConfig,
      notebookConfig: options.base.notebookConfig,
      toolbarFactory: options.toolbarFactory,
      translator: options.translator
    });
    this._base = options.base;
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<INotebookModel>,
    source?: NotebookPanel
  ): NotebookPanel {
    // The user's notebook settings as they are now.
    this.editorConfig = this._base.editorConfig;
    this.notebookConfig = this._base.notebookConfig;
    const preference = context.sessionContext.kernelPreference;
    context.sessionContext.kernelPreference = {
      ...preference,
      shouldStart: false,
      canStart: false,
      autoStartDefault: false,
      shutdownOnDispose: false
    };
    const panel = super.createNewWidget(context, source);
    panel.addClass(HISTORY_PANEL_CLASS);
    panel.title.icon = notebookIcon;
    void context.ready.then(() => {
      if (!context.isDisposed) {
        context.model.readOnly = true;
        // Loading may fill in metadata (language_info) and so mark the
        // model dirty; nothing here can be saved, so nothing is unsaved.
        context.model.dirty = false;
      }
    });
    return panel;
  }

  private _base: BaseNotebookFactory;
}

export namespace HistoryNotebookFactory {
  export interface IOptions {
    /** JupyterLab's notebook widget factory (INotebookWidgetFactory). */
    base: BaseNotebookFactory;
    label?: string;
    toolbarFactory?: (panel: NotebookPanel) => DocumentRegistry.IToolbarItem[];
    translator?: DocumentRegistry.IWidgetFactoryOptions['translator'];
  }
}
