// The core plugin (the sidebar model, IReproModel) and the sidebar plugin
// (the left-area panel, IReproSidebar, which path it follows, the status
// commands): wiring only.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { DisposableDelegate } from '@lumino/disposable';

import { makeRequester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { FailureReporter } from '../common/notify';
import { SETTINGS_PLUGIN_ID, watchSettings } from '../common/settings';
import { VERSION } from '../common/version';
import { IReproModel, IReproSidebar, ReproPathRank } from '../tokens';
import { addStatusCommands } from './commands';
import { PathFollower } from './follow';
import { ReproModel } from './model';
import { statusSettings } from './settings';
import { ReproSidebar, SIDEBAR_ID } from './sidebar';

/** The core plugin's id: schema/plugin.json holds the settings of Repro. */
export const PLUGIN_ID = SETTINGS_PLUGIN_ID;

/**
 * The sidebar model: the repository status of the followed notebook or
 * folder, read again on a save, on focus and at the configured interval.
 */
export const corePlugin: JupyterFrontEndPlugin<IReproModel> = {
  id: PLUGIN_ID,
  description:
    'The Repro sidebar model: repository status of the followed notebook or folder.',
  autoStart: true,
  provides: IReproModel,
  optional: [INotebookTracker, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): IReproModel => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const requester = makeRequester(app.serviceManager.serverSettings, trans);
    const model = new ReproModel({ requester, version: VERSION, trans });
    const refreshOnSave = (_: unknown, state: string) => {
      if (state === 'completed' && !model.isDisposed) {
        void model.refresh();
      }
    };
    notebooks?.widgetAdded.connect((_, panel) =>
      panel.context.saveState.connect(refreshOnSave)
    );
    const onFocus = () => void model.refresh();
    window.addEventListener('focus', onFocus);
    // Every failed command of ours becomes a notification with its message
    // (except those whose views show the failure inline).
    new FailureReporter({ commands: app.commands, trans });
    if (settingRegistry) {
      watchSettings(settingRegistry, PLUGIN_ID, read => {
        if (!model.isDisposed) {
          model.setRefreshInterval(statusSettings(read).refreshInterval);
        }
      });
    }
    return model;
  }
};

/**
 * The Repro sidebar in the left area (JupyterLab 4, Notebook 7): the
 * repository status, the sections the features add, and which path it
 * follows (the active notebook or what the main area's widget names, else
 * the file browser's folder).
 */
export const sidebarPlugin: JupyterFrontEndPlugin<IReproSidebar> = {
  id: 'jupyterlab-repro:sidebar',
  description:
    'The Repro sidebar: follows the active notebook (or the file browser folder), shows its repository status and the sections of the features.',
  autoStart: true,
  requires: [IReproModel],
  provides: IReproSidebar,
  optional: [
    INotebookTracker,
    IDefaultFileBrowser,
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    model: IReproModel,
    notebooks: INotebookTracker | null,
    browser: IDefaultFileBrowser | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): IReproSidebar => {
    const { commands, shell } = app;
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const contents = app.serviceManager.contents;
    const follower = new PathFollower({
      target: model,
      current: () => shell.currentWidget,
      folder: () => (browser ? contents.localPath(browser.model.path) : null)
    });
    // The active notebook, last: the other features' views come first.
    follower.addSource(
      widget =>
        notebooks?.currentWidget && widget === notebooks.currentWidget
          ? contents.localPath(notebooks.currentWidget.context.path)
          : undefined,
      ReproPathRank.notebook
    );
    const sidebar = new ReproSidebar({
      model,
      trans,
      commands,
      follower,
      disposeModel: true
    });
    const follow = () => follower.follow();
    shell.currentChanged?.connect(follow);
    notebooks?.currentChanged.connect(follow);
    browser?.model.pathChanged.connect(follow);
    notebooks?.widgetAdded.connect((_, panel) =>
      panel.context.pathChanged.connect(follow)
    );
    void app.restored.then(follow);
    sidebar.own(
      new DisposableDelegate(() => {
        shell.currentChanged?.disconnect(follow);
        notebooks?.currentChanged.disconnect(follow);
        browser?.model.pathChanged.disconnect(follow);
      })
    );
    addStatusCommands(commands, {
      model,
      trans,
      openSidebar: () => shell.activateById(SIDEBAR_ID)
    });
    shell.add(sidebar, 'left', { rank: 250 });
    restorer?.add(sidebar, sidebar.id);
    for (const command of [
      CommandIDs.open,
      CommandIDs.refresh,
      CommandIDs.init
    ]) {
      palette?.addItem({ command, category: 'Repro' });
    }
    if (settingRegistry) {
      sidebar.own(
        watchSettings(settingRegistry, PLUGIN_ID, read => {
          follower.followNotebook = statusSettings(read).followActiveNotebook;
          follower.follow();
        })
      );
    }
    return sidebar;
  }
};
