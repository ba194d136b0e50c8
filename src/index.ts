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

import { makeRequester } from './api';
import { addCommands, CommandIDs } from './commands';
import { ReproModel } from './model';
import { ReproSidebar } from './sidebar';
import { IReproModel } from './tokens';
import { VERSION } from './version';

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
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    browser: IDefaultFileBrowser | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): IReproModel => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const model = new ReproModel({
      requester: makeRequester(app.serviceManager.serverSettings),
      version: VERSION
    });
    const contents = app.serviceManager.contents;
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

    addCommands(app, model, trans);
    const sidebar = new ReproSidebar({
      model,
      trans,
      onInit: () => void app.commands.execute(CommandIDs.init)
    });
    app.shell.add(sidebar, 'left', { rank: 250 });
    restorer?.add(sidebar, sidebar.id);

    palette?.addItem({ command: CommandIDs.open, category: 'Repro' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'Repro' });
    palette?.addItem({ command: CommandIDs.init, category: 'Repro' });

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        model.setRefreshInterval(
          settings.get('refreshInterval').composite as number
        );
        followNotebook = settings.get('followActiveNotebook')
          .composite as boolean;
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
