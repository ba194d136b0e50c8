import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { pythonIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, notify as tell } from '../common/notify';
import { ExportDialog } from './ExportDialog';
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
} from './model';

/**
 * What the export commands need.
 */
export interface IExportCommandOptions {
  requester: Requester;
  trans: TranslationBundle;
  notebooks: INotebookTracker;
  /** Server path of a contents path (drive prefix removed). */
  localPath: (path: string) => string;
  /** Save the open document at this server path if it has unsaved changes. */
  saveFirst: (path: string) => Promise<void>;
  /** Kept up to date here; the snapshot section's "Re-export" reads it. */
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
  commands: CommandRegistry,
  options: IExportCommandOptions
): void {
  const { notebooks, localPath, targets, requester, saveFirst, trans } =
    options;

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
    // It has an action: it stays until dismissed.
    tell(
      {
        type: 'success',
        message,
        actions: [
          {
            label: trans.__('Open'),
            caption: trans.__('Open %1', reply.output),
            callback: () =>
              void commands.execute('docmanager:open', { path: reply.output })
          }
        ]
      },
      trans
    );
    if (reply.warnings.length > 0) {
      tell(
        {
          type: 'warning',
          message: reply.warnings.join('\n'),
          autoClose: false
        },
        trans
      );
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
        tell(
          {
            type: 'warning',
            message: trans.__('Open a notebook to export its cells.'),
            autoClose: 5000
          },
          trans
        );
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
        tell(
          {
            type: 'warning',
            message: trans.__('Export the notebook once to choose its module.'),
            autoClose: 5000
          },
          trans
        );
        return;
      }
      let reply: IExportReply;
      try {
        reply = await reexport(requester, path, { saveFirst, remember });
      } catch (caught) {
        // The dialog shows what the export would do and lets the user
        // change module or cells.
        const panel = panelAt(path);
        throw new CommandFailure(toExportError(caught).message, {
          cause: caught,
          actions:
            panel && panel === activeNotebook()
              ? [
                  {
                    label: trans.__('Export…'),
                    caption: trans.__('Open the export dialog'),
                    callback: () =>
                      void commands.execute(CommandIDs.exportCells)
                  }
                ]
              : []
        });
      }
      notify(reply);
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
