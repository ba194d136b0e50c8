// The commit plugin's wiring: the "Snapshot & commit" section, its model
// and the snapshot and guardrail-fix commands. No logic here.
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IDocumentManager } from '@jupyterlab/docmanager';
import {
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { makeRequester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { sharedDiffLanguages } from '../common/DiffPreview';
import { floorThrough } from '../common/floor';
import {
  activeNotebook,
  contextAt,
  IDocumentContext,
  IDocumentSources,
  labDocuments,
  saveFirst,
  selectedNotebook
} from '../common/documents';
import { notify } from '../common/notify';
import { SETTINGS_PLUGIN_ID, watchSettings } from '../common/settings';
import { IExportTargets, IReproModel, IReproSidebar } from '../tokens';
import { addCommitCommands } from './commands';
import { SnapshotModel } from './model';
import { snapshotSettings } from './settings';
import { createSnapshotSection } from './SnapshotView';
import { UnsavedDocuments } from './unsaved';

/**
 * Snapshot & commit: the followed notebook's changes and output-blind diff,
 * the guardrails and the commit form.
 */
export const commitPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-repro:commit',
  description:
    'Snapshot & commit: the changed files, the output-blind diff of the followed notebook, guardrails and the commit form.',
  autoStart: true,
  requires: [IReproModel, IReproSidebar],
  optional: [
    INotebookTracker,
    IDocumentManager,
    IDefaultFileBrowser,
    IFileBrowserFactory,
    IExportTargets,
    IEditorLanguageRegistry,
    ISettingRegistry,
    ICommandPalette,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    model: IReproModel,
    sidebar: IReproSidebar,
    notebooks: INotebookTracker | null,
    docManager: IDocumentManager | null,
    browser: IDefaultFileBrowser | null,
    browserFactory: IFileBrowserFactory | null,
    exportTargets: IExportTargets | null,
    languages: IEditorLanguageRegistry | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const contents = app.serviceManager.contents;
    const localPath = (path: string) => contents.localPath(path);
    const documents = labDocuments({ docManager, notebooks, contents });
    // The open notebooks' unsaved changes: the preview says it lacks them.
    const unsaved = notebooks
      ? new UnsavedDocuments({ added: notebooks.widgetAdded, localPath })
      : undefined;
    const snapshot = new SnapshotModel({
      requester: makeRequester(app.serviceManager.serverSettings, trans),
      repro: model,
      trans,
      saveFirst: path => saveFirst(documents, path),
      unsaved,
      revert: path => revertOrWarn(documents, path, trans)
    });
    sidebar.setChanges(snapshot);
    sidebar.addSection(
      createSnapshotSection({
        model: snapshot,
        trans,
        commands: app.commands,
        exportTargets: exportTargets ?? undefined,
        languages: sharedDiffLanguages(languages)
      }),
      3,
      // The form and ~8 lines of the diff preview stay in view, right after
      // the repository facts; the runs list keeps its toolbar and first run.
      {
        floor: floorThrough('.jp-Repro-Snapshot-diff', 8),
        priority: 1,
        order: 10
      }
    );
    sidebar.own(snapshot, ...(unsaved ? [unsaved] : []));
    addCommitCommands(app.commands, {
      model,
      snapshot,
      trans,
      currentNotebook: () =>
        activeNotebook(notebooks, app.shell.currentWidget, localPath),
      selectedNotebook: () =>
        selectedNotebook(
          (browserFactory?.tracker.currentWidget ?? browser)?.selectedItems(),
          localPath
        ),
      focusMessage: () =>
        sidebar.focusInSection('input.jp-Repro-Snapshot-message')
    });
    palette?.addItem({ command: CommandIDs.snapshot, category: 'Repro' });
    if (settingRegistry) {
      sidebar.own(
        watchSettings(settingRegistry, SETTINGS_PLUGIN_ID, read =>
          snapshot.setDefaults(snapshotSettings(read))
        )
      );
    }
  }
};

/**
 * Reload the open document at `path` from disk (after a snapshot that
 * cleared its outputs); a failure is a warning, the snapshot still
 * completes.
 */
async function revertOrWarn(
  documents: IDocumentSources<IDocumentContext>,
  path: string,
  trans: TranslationBundle
): Promise<void> {
  try {
    await contextAt(documents, path)?.revert();
  } catch (error) {
    notify(
      {
        type: 'warning',
        message: trans.__(
          'Cannot reload %1: %2',
          path,
          (error as Error).message
        ),
        autoClose: 8000
      },
      trans
    );
  }
}
