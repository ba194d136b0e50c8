import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import {
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { makeRequester } from './common/api';
import { addCommands, addExportCommands, CommandIDs } from './commands';
import { createRunsSection } from './runs/RunsView';
import { createSnapshotSection } from './commit/SnapshotView';
import { ExportTargets } from './export/model';
import { ReproModel } from './status/model';
import { openNotebookAt, RunsModel } from './runs/model';
import { ReproSidebar } from './status/sidebar';
import { CommitType, SnapshotModel } from './commit/model';
import { IReproModel } from './tokens';
import { VERSION } from './common/version';

export { IReproModel } from './tokens';

const PLUGIN_ID = 'jupyterlab-repro:plugin';

/**
 * The Repro sidebar: follows the active notebook (or the file browser's
 * folder) and shows its repository status. Works in JupyterLab 4 and in
 * Notebook 7's left area.
 */
const plugin: JupyterFrontEndPlugin<IReproModel> = {
  id: PLUGIN_ID,
  description:
    'The Repro sidebar: repository status of the active notebook, snapshots, exports and runs.',
  autoStart: true,
  provides: IReproModel,
  optional: [
    INotebookTracker,
    IDefaultFileBrowser,
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    ITranslator,
    IDocumentManager,
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    browser: IDefaultFileBrowser | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    docManager: IDocumentManager | null,
    browserFactory: IFileBrowserFactory | null
  ): IReproModel => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const requester = makeRequester(app.serviceManager.serverSettings, trans);
    const model = new ReproModel({ requester, version: VERSION, trans });
    const contents = app.serviceManager.contents;

    // The open document at a server path: through the document manager
    // when there is one (any file type), else among open notebooks.
    const contextOf = (path: string) => {
      const widget = docManager?.findWidget(path);
      if (widget && docManager) {
        return docManager.contextForWidget(widget) ?? null;
      }
      const panel = notebooks?.find(
        nb => contents.localPath(nb.context.path) === path
      );
      return panel?.context ?? null;
    };
    const saveFirst = async (path: string) => {
      const context = contextOf(path);
      if (context?.model.dirty) {
        await context.save();
      }
    };
    const snapshot = new SnapshotModel({
      requester,
      repro: model,
      trans,
      saveFirst,
      revert: async path => {
        try {
          await contextOf(path)?.revert();
        } catch (error) {
          Notification.warning(
            trans.__('Cannot reload %1: %2', path, (error as Error).message),
            { autoClose: 8000 }
          );
        }
      }
    });
    let followNotebook = true;

    // Which path to show: the active notebook, else the browser's folder.
    const follow = () => {
      const current = app.shell.currentWidget;
      const notebook = notebooks?.currentWidget ?? null;
      if (followNotebook && notebook && current === notebook) {
        model.setPath(contents.localPath(notebook.context.path));
      } else if (browser) {
        model.setPath(contents.localPath(browser.model.path));
      }
    };
    app.shell.currentChanged?.connect(follow);
    notebooks?.currentChanged.connect(follow);
    browser?.model.pathChanged.connect(follow);
    notebooks?.widgetAdded.connect((_, panel) => {
      panel.context.saveState.connect((__, state) => {
        if (state === 'completed') {
          void model.refresh();
        }
      });
      panel.context.pathChanged.connect(follow);
    });
    window.addEventListener('focus', () => void model.refresh());
    void app.restored.then(follow);

    const exportTargets = new ExportTargets();
    const sidebar = new ReproSidebar({
      model,
      trans,
      onInit: () => void app.commands.execute(CommandIDs.init)
    });
    sidebar.addSection(
      createSnapshotSection({
        model: snapshot,
        trans,
        onCommit: () =>
          void app.commands.execute(CommandIDs.snapshot, { source: 'sidebar' }),
        reexport: {
          targets: exportTargets,
          onReexport: () => void app.commands.execute(CommandIDs.reexport)
        }
      }),
      3
    );
    // Runs of the followed notebook, grouped by commit (MLflow).
    const runs = new RunsModel({ requester, repro: model, trans });
    sidebar.addSection(
      createRunsSection(runs, trans, async ref => {
        const path = await openNotebookAt(requester, ref);
        await app.commands.execute('docmanager:open', { path });
      }),
      2
    );
    sidebar.disposed.connect(() => runs.dispose());
    addCommands(app, model, trans, {
      snapshot,
      currentNotebook: () => {
        const panel = notebooks?.currentWidget ?? null;
        return panel && app.shell.currentWidget === panel
          ? contents.localPath(panel.context.path)
          : null;
      },
      selectedNotebook: () => {
        const fileBrowser = browserFactory?.tracker.currentWidget ?? browser;
        const item = fileBrowser?.selectedItems().next();
        return item && !item.done && item.value.type === 'notebook'
          ? contents.localPath(item.value.path)
          : null;
      },
      focusMessage: () =>
        sidebar.focusInSection('input.jp-Repro-Snapshot-message')
    });
    if (notebooks) {
      addExportCommands(app, trans, {
        requester,
        notebooks,
        localPath: path => contents.localPath(path),
        saveFirst,
        targets: exportTargets,
        followedNotebook: () => snapshot.notebookPath
      });
      palette?.addItem({ command: CommandIDs.exportCells, category: 'Repro' });
      palette?.addItem({ command: CommandIDs.reexport, category: 'Repro' });
    }
    app.shell.add(sidebar, 'left', { rank: 250 });
    restorer?.add(sidebar, sidebar.id);

    palette?.addItem({ command: CommandIDs.open, category: 'Repro' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'Repro' });
    palette?.addItem({ command: CommandIDs.init, category: 'Repro' });
    palette?.addItem({ command: CommandIDs.snapshot, category: 'Repro' });

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        model.setRefreshInterval(
          settings.get('refreshInterval').composite as number
        );
        followNotebook = settings.get('followActiveNotebook')
          .composite as boolean;
        snapshot.setDefaults({
          commitType: settings.get('defaultCommitType').composite as CommitType,
          clearOutputs: settings.get('clearOutputsByDefault')
            .composite as boolean,
          maxDiffLines: settings.get('maxDiffLines').composite as number
        });
        runs.setMetricColumns(
          settings.get('runsMetricColumns').composite as string[]
        );
        follow();
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error('jupyterlab-repro: cannot load settings', reason);
        });
    }
    return model;
  }
};

export default plugin;
