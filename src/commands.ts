import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { pythonIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { Requester } from './common/api';
import { ExportDialog } from './export/ExportDialog';
import {
  ExportModel,
  ExportSelection,
  ExportTargets,
  ICellInfo,
  IExportReply,
  IExportSettings,
  INotebookInfo,
  readSettings,
  reexport,
  toExportError,
  withSettings
} from './export/model';
import { reproIcon, snapshotIcon } from './common/icons';
import { SIDEBAR_ID } from './status/sidebar';
import { SnapshotModel, toSnapshotError } from './commit/model';
import { IReproModel } from './tokens';

export namespace CommandIDs {
  export const open = 'jupyterlab-repro:open';
  export const refresh = 'jupyterlab-repro:refresh';
  export const init = 'jupyterlab-repro:init';
  export const snapshot = 'jupyterlab-repro:snapshot';
  export const exportCells = 'jupyterlab-repro:export';
  export const reexport = 'jupyterlab-repro:reexport';
}

/**
 * What the snapshot command needs besides the sidebar model.
 */
export interface ISnapshotCommandOptions {
  snapshot: SnapshotModel;
  /** Server path of the active notebook, if one is active. */
  currentNotebook: () => string | null;
  /** Server path of the notebook selected in the file browser. */
  selectedNotebook: () => string | null;
  /** Move the keyboard focus to the commit message input. */
  focusMessage: () => void;
}

/**
 * Register the sidebar's commands; palette, menus, shortcuts and buttons
 * all reuse them.
 */
export function addCommands(
  app: JupyterFrontEnd,
  model: IReproModel,
  trans: TranslationBundle,
  snapshotOptions?: ISnapshotCommandOptions
): void {
  const { commands, shell } = app;

  commands.addCommand(CommandIDs.open, {
    label: trans.__('Open the Repro Sidebar'),
    caption: trans.__('Show the repository status of the active notebook'),
    icon: args => (args['isPalette'] ? undefined : reproIcon),
    execute: () => {
      shell.activateById(SIDEBAR_ID);
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Repository Status'),
    caption: trans.__('Read the repository status again'),
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.init, {
    label: trans.__('Initialize a Git Repository Here'),
    caption: trans.__(
      'Create a git repository with a .gitignore for ML work and a first commit'
    ),
    isEnabled: () => model.state === 'not-repository',
    execute: async () => {
      const folder = model.status?.directory ?? model.path;
      const result = await showDialog({
        title: trans.__('Initialize a repository'),
        body: trans.__(
          'Create a git repository in "%1" with a .gitignore for model weights, checkpoints, logs and MLflow stores, and commit it?',
          folder === '' ? '/' : folder
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Initialize') })
        ]
      });
      if (!result.button.accept) {
        return;
      }
      try {
        await model.initRepository();
      } catch (error) {
        await showErrorMessage(
          trans.__('Cannot initialize a repository'),
          (error as Error).message
        );
      }
    }
  });

  if (snapshotOptions) {
    addSnapshotCommand(app, model, trans, snapshotOptions);
  }
}

/**
 * `jupyterlab-repro:snapshot`: commit the notebook (outputs cleared in the
 * commit only). Without a message yet, it opens the sidebar on the form.
 *
 * Arguments: `path` (a notebook's server path) or `source`
 * (`filebrowser`: the selected notebook; `sidebar`: the followed one);
 * by default the active notebook.
 */
function addSnapshotCommand(
  app: JupyterFrontEnd,
  model: IReproModel,
  trans: TranslationBundle,
  options: ISnapshotCommandOptions
): void {
  const { commands, shell } = app;
  const { snapshot } = options;
  const showForm = () => {
    shell.activateById(SIDEBAR_ID);
    options.focusMessage();
  };

  commands.addCommand(CommandIDs.snapshot, {
    label: args =>
      args['source'] === 'filebrowser'
        ? trans.__('Snapshot & Commit Notebook…')
        : trans.__('Snapshot & Commit'),
    caption: trans.__(
      'Commit the notebook without its outputs (the open notebook keeps them)'
    ),
    icon: args => (args['isPalette'] ? undefined : snapshotIcon),
    execute: async (args: ReadonlyPartialJSONObject) => {
      const target = snapshotTarget(args, options);
      if (target === null || !target.endsWith('.ipynb')) {
        Notification.warning(trans.__('Open a notebook to snapshot it.'), {
          autoClose: 5000
        });
        return;
      }
      if (target !== snapshot.notebookPath) {
        if (args['source'] === 'filebrowser') {
          await commands.execute('docmanager:open', { path: target });
        }
        model.setPath(target);
        showForm();
        return;
      }
      if (snapshot.message.trim() === '' || !snapshot.canSnapshot) {
        if (!snapshot.busy) {
          showForm();
        }
        return;
      }
      await commitSnapshot(app, model, snapshot, trans);
    }
  });
}

function snapshotTarget(
  args: ReadonlyPartialJSONObject,
  options: ISnapshotCommandOptions
): string | null {
  if (typeof args['path'] === 'string') {
    return args['path'];
  }
  switch (args['source']) {
    case 'filebrowser':
      return options.selectedNotebook();
    case 'sidebar':
      return options.snapshot.notebookPath;
    default:
      return options.currentNotebook() ?? options.snapshot.notebookPath;
  }
}

/**
 * Run the snapshot and tell the user how it went.
 */
async function commitSnapshot(
  app: JupyterFrontEnd,
  model: IReproModel,
  snapshot: SnapshotModel,
  trans: TranslationBundle
): Promise<void> {
  try {
    const reply = await snapshot.snapshot();
    const subject = reply.message.split('\n')[0];
    if (reply.committed) {
      Notification.success(
        trans.__('Committed %1: %2', reply.short_sha ?? '', subject),
        { autoClose: 5000 }
      );
    } else {
      Notification.info(
        trans.__(
          'Nothing to commit: only outputs changed since the last commit.'
        ),
        { autoClose: 5000 }
      );
    }
    const warnings = ([] as string[]).concat(
      ...reply.notebooks.map(n => n.warnings)
    );
    if (warnings.length > 0) {
      Notification.warning(warnings.join('\n'), { autoClose: false });
    }
  } catch (caught) {
    const error = toSnapshotError(caught);
    switch (error.reason) {
      case 'hook-rejected':
        await showDialog({
          title: trans.__('The pre-commit hook rejected the snapshot'),
          body: hookOutputBody(error.message, error.output ?? ''),
          buttons: [Dialog.okButton({ label: trans.__('Close') })]
        });
        break;
      case 'identity-missing':
        void model.refresh();
        Notification.error(error.message, {
          autoClose: false,
          actions: [
            {
              label: trans.__('Set identity'),
              callback: () => app.shell.activateById(SIDEBAR_ID)
            }
          ]
        });
        break;
      case 'git-busy':
        Notification.warning(error.message, { autoClose: 8000 });
        break;
      default:
        Notification.error(error.message, { autoClose: false });
    }
  }
}

/**
 * The hook dialog's body: the hook output as preformatted text.
 */
export function hookOutputBody(message: string, output: string): Widget {
  const node = document.createElement('div');
  node.className = 'jp-Repro-HookDialog';
  const text = document.createElement('p');
  text.textContent = message;
  const pre = document.createElement('pre');
  pre.className = 'jp-Repro-Snapshot-hookOutput';
  pre.textContent = output;
  node.append(text, pre);
  return new Widget({ node });
}

/**
 * What the export commands need.
 */
export interface IExportCommandOptions {
  requester: Requester;
  notebooks: INotebookTracker;
  /** Server path of a contents path (drive prefix removed). */
  localPath: (path: string) => string;
  /** Save the open document at this server path if it has unsaved changes. */
  saveFirst: (path: string) => Promise<void>;
  /** Kept up to date here; the sidebar's "Re-export" reads it. */
  targets: ExportTargets;
  /** Server path of the notebook the sidebar follows, if any. */
  followedNotebook: () => string | null;
}

const METADATA_KEY = 'jupyterlab_repro';

/**
 * `jupyterlab-repro:export` (the dialog) and `jupyterlab-repro:reexport`
 * (the remembered module and cells, no dialog); keeps {@link ExportTargets}
 * in step with the open notebooks' metadata.
 *
 * `export` arguments: `source: 'cell'` (the cell context menu) starts on
 * the selected cells. `reexport` arguments: `path` (default: the notebook
 * the sidebar follows, else the active one).
 */
export function addExportCommands(
  app: JupyterFrontEnd,
  trans: TranslationBundle,
  options: IExportCommandOptions
): void {
  const { commands } = app;
  const { notebooks, localPath, targets, requester, saveFirst } = options;

  const pathOf = (panel: NotebookPanel) => localPath(panel.context.path);
  const panelAt = (path: string) =>
    notebooks.find(panel => pathOf(panel) === path) ?? null;
  // The notebook last focused (a toolbar button or context menu of a
  // notebook makes it the current one before the command runs).
  const activeNotebook = (): NotebookPanel | null => notebooks.currentWidget;

  notebooks.widgetAdded.connect((_, panel) => {
    let path = pathOf(panel);
    const update = () => {
      const model = panel.context.model;
      targets.update(path, model?.getMetadata(METADATA_KEY));
    };
    void panel.context.ready.then(() => {
      if (panel.isDisposed) {
        return;
      }
      update();
      panel.context.model.metadataChanged.connect(update);
    });
    panel.context.pathChanged.connect(() => {
      targets.forget(path);
      path = pathOf(panel);
      update();
    });
    panel.disposed.connect(() => targets.forget(path));
  });

  // After a write: the notebook remembers module and cells. It is saved
  // when it was clean (it always is right after the export saved it).
  const remember = async (path: string, settings: IExportSettings) => {
    const model = panelAt(path)?.context.model;
    if (!model) {
      return;
    }
    const current = model.getMetadata(METADATA_KEY);
    const known = readSettings(current);
    if (known?.module === settings.module && known.cells === settings.cells) {
      return;
    }
    const clean = !model.dirty;
    model.setMetadata(METADATA_KEY, withSettings(current, settings));
    if (clean) {
      await panelAt(path)?.context.save();
    }
  };

  const notify = (reply: IExportReply) => {
    const count = reply.cells.length + reply.main_cells.length;
    const message = reply.changed
      ? trans._n(
          'Exported %1 cell to %2',
          'Exported %1 cells to %2',
          count,
          reply.output
        )
      : trans._n(
          '%2 is up to date (%1 cell).',
          '%2 is up to date (%1 cells).',
          count,
          reply.output
        );
    Notification.success(message, {
      autoClose: 6000,
      actions: [
        {
          label: trans.__('Open'),
          caption: trans.__('Open %1', reply.output),
          callback: () =>
            void commands.execute('docmanager:open', { path: reply.output })
        }
      ]
    });
    if (reply.warnings.length > 0) {
      Notification.warning(reply.warnings.join('\n'), { autoClose: false });
    }
  };

  commands.addCommand(CommandIDs.exportCells, {
    label: trans.__('Export Cells to Module…'),
    icon: args => (args['isPalette'] ? undefined : pythonIcon),
    caption: trans.__(
      'Write the tagged, selected or all code cells of the notebook to a Python module'
    ),
    isEnabled: () => activeNotebook() !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const panel = activeNotebook();
      if (!panel) {
        Notification.warning(trans.__('Open a notebook to export its cells.'), {
          autoClose: 5000
        });
        return;
      }
      await panel.context.ready;
      const model = new ExportModel({
        requester,
        notebook: notebookInfo(panel, pathOf(panel)),
        selection:
          args['source'] === 'cell'
            ? 'selected'
            : (args['selection'] as ExportSelection | undefined),
        saveFirst,
        remember,
        trans
      });
      const dialog = new ExportDialog({
        model,
        trans,
        title: trans.__(
          'Export cells of %1 to a module',
          panel.context.path.split('/').pop() ?? ''
        )
      });
      void model.start();
      try {
        const result = await dialog.launch();
        if (result.button.accept && result.value) {
          notify(result.value);
        }
      } finally {
        dialog.dispose();
        model.dispose();
      }
    }
  });

  const reexportPath = (args: ReadonlyPartialJSONObject): string | null => {
    if (typeof args['path'] === 'string') {
      return args['path'];
    }
    const followed = options.followedNotebook();
    if (followed !== null && targets.get(followed) !== null) {
      return followed;
    }
    const panel = activeNotebook();
    return panel ? pathOf(panel) : null;
  };

  commands.addCommand(CommandIDs.reexport, {
    label: args => {
      const path = reexportPath(args);
      const target = targets.get(path);
      return target
        ? trans.__('Re-export to %1', target)
        : trans.__('Re-export Cells to the Remembered Module');
    },
    caption: trans.__(
      'Export the cells again to the module the notebook remembers'
    ),
    isEnabled: args => targets.get(reexportPath(args)) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const path = reexportPath(args);
      if (path === null || targets.get(path) === null) {
        Notification.warning(
          trans.__('Export the notebook once to choose its module.'),
          { autoClose: 5000 }
        );
        return;
      }
      try {
        notify(await reexport(requester, path, { saveFirst, remember }));
      } catch (caught) {
        const error = toExportError(caught);
        const panel = panelAt(path);
        Notification.error(error.message, {
          autoClose: false,
          actions:
            panel && panel === activeNotebook()
              ? [
                  {
                    label: trans.__('Export…'),
                    callback: () =>
                      void commands.execute(CommandIDs.exportCells)
                  }
                ]
              : []
        });
      }
    }
  });
}

/**
 * The cells (type, id, tags, selection) and remembered export of an open
 * notebook. Cell ids are used only when the notebook format stores them.
 */
export function notebookInfo(
  panel: NotebookPanel,
  path: string
): INotebookInfo {
  const notebook = panel.content;
  const model = panel.context.model;
  const hasIds =
    model.nbformat > 4 || (model.nbformat === 4 && model.nbformatMinor >= 5);
  const cells: ICellInfo[] = notebook.widgets.map(cell => {
    const tags = cell.model.getMetadata('tags');
    return {
      type: cell.model.type,
      id: hasIds ? cell.model.id : null,
      tags: Array.isArray(tags)
        ? tags.filter((t): t is string => typeof t === 'string')
        : [],
      selected: notebook.isSelectedOrActive(cell)
    };
  });
  return {
    path,
    cells,
    remembered: readSettings(model.getMetadata(METADATA_KEY))
  };
}
