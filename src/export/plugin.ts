// The export plugin's wiring: the export and reexport commands and what
// each notebook remembers for "Re-export" (IExportTargets). No logic here.
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { makeRequester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { labDocuments, saveFirst } from '../common/documents';
import { IExportTargets, IReproModel } from '../tokens';
import { addExportCommands } from './commands';
import { ExportTargets, followedNotebook } from './model';

/**
 * Cells to an importable module: "Export cells to module" and "Re-export";
 * provides the module each notebook remembers.
 */
export const exportPlugin: JupyterFrontEndPlugin<IExportTargets> = {
  id: 'jupyterlab-repro:export',
  description:
    'Export cells to an importable module, and re-export them to the module the notebook remembers.',
  autoStart: true,
  requires: [IReproModel],
  provides: IExportTargets,
  optional: [INotebookTracker, IDocumentManager, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IReproModel,
    notebooks: INotebookTracker | null,
    docManager: IDocumentManager | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IExportTargets => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const contents = app.serviceManager.contents;
    const targets = new ExportTargets();
    if (!notebooks) {
      return targets;
    }
    const documents = labDocuments({ docManager, notebooks, contents });
    addExportCommands(app.commands, {
      requester: makeRequester(app.serviceManager.serverSettings, trans),
      trans,
      notebooks,
      localPath: path => contents.localPath(path),
      saveFirst: path => saveFirst(documents, path),
      targets,
      followedNotebook: () => followedNotebook(model.path)
    });
    for (const command of [CommandIDs.exportCells, CommandIDs.reexport]) {
      palette?.addItem({ command, category: 'Repro' });
    }
    return targets;
  }
};
