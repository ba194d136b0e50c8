// The runs plugin's wiring: the Runs section and its model (IReproRuns),
// saving before cells run and reading the runs when they finished, sharing
// run code, and the runs table in the main area. No logic here.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { PageConfig } from '@jupyterlab/coreutils';
import {
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import {
  INotebookTracker,
  Notebook,
  NotebookActions
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import { makeRequester, Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { DiffLanguages, sharedDiffLanguages } from '../common/DiffPreview';
import { activeNotebook, selectedNotebook } from '../common/documents';
import { notify } from '../common/notify';
import { SETTINGS_PLUGIN_ID, watchSettings } from '../common/settings';
import { openInMain } from '../common/shell';
import {
  IReproModel,
  IReproRuns,
  IReproSidebar,
  ReproPathRank
} from '../tokens';
import { addRunsCommands } from './commands';
import {
  executionFinished,
  consoleSource,
  LiveRuns,
  SaveBeforeRun
} from './execution';
import { ReproRuns, tableNotebook } from './lookup';
import { RunsModel } from './model';
import { runsTableInLabNotice } from './openInLab';
import { createRunsSection } from './RunsView';
import { RunSelection } from './selection';
import { runsSettings } from './settings';
import { addShareCommands, AutoShare } from './share';
import {
  addRunsTableCommands,
  followSidebarRuns,
  RunsTableWidget
} from './tableWidget';

/** The runs commands the palette lists. */
const PALETTE = [
  CommandIDs.runsRefresh,
  CommandIDs.runsLoadMore,
  CommandIDs.runsTable
];

/**
 * The Runs section (the followed notebook's MLflow runs by commit), the
 * runs table, live runs, save before run, and sharing run code.
 */
export const runsPlugin: JupyterFrontEndPlugin<IReproRuns> = {
  id: 'jupyterlab-repro:runs',
  description:
    'The runs of the followed notebook: the Runs section, the runs table, live runs and sharing run code.',
  autoStart: true,
  requires: [IReproModel, IReproSidebar],
  provides: IReproRuns,
  optional: [
    INotebookTracker,
    IDefaultFileBrowser,
    IFileBrowserFactory,
    ILayoutRestorer,
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
    browser: IDefaultFileBrowser | null,
    browserFactory: IFileBrowserFactory | null,
    restorer: ILayoutRestorer | null,
    languageRegistry: IEditorLanguageRegistry | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IReproRuns => {
    const { commands, shell } = app;
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const requester = makeRequester(app.serviceManager.serverSettings, trans);
    const contents = app.serviceManager.contents;
    const localPath = (path: string) => contents.localPath(path);
    const languages = sharedDiffLanguages(languageRegistry);
    const runs = new RunsModel({ requester, repro: model, trans });
    const selection = new RunSelection(runs);
    const settings = runsSettings(() => undefined);
    const executions = watchExecutions({
      notebooks,
      model,
      runs,
      trans,
      localPath,
      enabled: () => settings.saveBeforeRun
    });
    // Share run code, by command and after a new snapshot run.
    const autoShare = addSharing(
      app,
      runs,
      requester,
      trans,
      () => settings.autoShareRunCode
    );
    sidebar.addSection(
      createRunsSection({ model: runs, trans, commands, selection, languages }),
      2,
      { priority: 2, least: 80, order: 20 }
    );
    // A console on a notebook's kernel follows that notebook.
    sidebar.addPathSource(consoleSource(localPath), ReproPathRank.console);
    addRunsCommands(commands, { model: runs, trans });

    // Every run of a notebook as a table in the main area.
    const tracker = addRunsTable(app, {
      runs,
      sidebar,
      requester,
      trans,
      languages,
      restorer,
      selected: () =>
        selectedNotebook(
          (browserFactory?.tracker.currentWidget ?? browser)?.selectedItems(),
          localPath
        ),
      active: () => activeNotebook(notebooks, shell.currentWidget, localPath)
    });
    sidebar.own(
      followSidebarRuns(runs, tracker),
      ...executions,
      autoShare,
      selection,
      runs
    );
    PALETTE.forEach(command =>
      palette?.addItem({ command, category: 'Repro' })
    );
    if (settingRegistry) {
      sidebar.own(
        watchSettings(settingRegistry, SETTINGS_PLUGIN_ID, read => {
          Object.assign(settings, runsSettings(read));
          runs.setMetricColumns(settings.metricColumns);
        })
      );
    }
    return new ReproRuns({ runs, selection, trans });
  }
};

/**
 * The runs table: its command, its tracker (restored on reload), the path
 * it makes the sidebar follow, and offering JupyterLab where the shell
 * cannot show it (Notebook 7).
 */
function addRunsTable(
  app: JupyterFrontEnd,
  options: {
    runs: RunsModel;
    sidebar: IReproSidebar;
    requester: Requester;
    trans: TranslationBundle;
    languages: DiffLanguages | null;
    restorer: ILayoutRestorer | null;
    /** The notebook selected in the file browser (server path). */
    selected: () => string | null;
    /** The active notebook (server path). */
    active: () => string | null;
  }
): WidgetTracker<RunsTableWidget> {
  const { runs, sidebar, trans } = options;
  const { commands, shell } = app;
  const tracker = new WidgetTracker<RunsTableWidget>({
    namespace: 'jupyterlab-repro-runs-table'
  });
  addRunsTableCommands({
    requester: options.requester,
    trans,
    commands,
    tracker,
    open: widget => openInMain(shell, widget),
    activate: widget => shell.activateById(widget.id),
    cannotOpen: path =>
      void notify(
        runsTableInLabNotice(path, trans, {
          baseUrl: PageConfig.getBaseUrl(),
          open: url => void window.open(url, '_blank', 'noopener')
        }),
        trans
      ),
    defaultPath: args =>
      tableNotebook(args, {
        selected: options.selected,
        active: options.active,
        followed: () => runs.path
      }),
    preferredMetrics: () => runs.configuredMetricColumns,
    languages: options.languages
  });
  sidebar.addPathSource(
    widget =>
      tracker.has(widget as RunsTableWidget)
        ? (widget as RunsTableWidget).path || undefined
        : undefined,
    ReproPathRank.runsTable
  );
  void options.restorer?.restore(tracker, {
    command: CommandIDs.runsTable,
    args: widget => ({ ...widget.args }) as any,
    name: widget => widget.path
  });
  return tracker;
}

/**
 * What ran is what the runs record: save a notebook before its cells run
 * (`saveBeforeRun`), and read the runs again when the followed notebook's
 * cells, or a console on its kernel, are done.
 */
function watchExecutions(options: {
  notebooks: INotebookTracker | null;
  model: IReproModel;
  runs: RunsModel;
  trans: TranslationBundle;
  localPath: (path: string) => string;
  enabled: () => boolean;
}): IDisposable[] {
  const { notebooks, model, runs, trans, localPath } = options;
  const panelOf = (notebook: Notebook) =>
    notebooks?.find(panel => panel.content === notebook) ?? null;
  const saver = new SaveBeforeRun<Notebook>({
    scheduled: NotebookActions.executionScheduled,
    enabled: options.enabled,
    documentOf: notebook => {
      const panel = panelOf(notebook);
      return panel
        ? { path: localPath(panel.context.path), context: panel.context }
        : null;
    },
    inRepository: path =>
      model.path === path &&
      model.status?.path === path &&
      !!model.status.repository,
    onError: (path, error) =>
      void notify(
        {
          type: 'warning',
          message: trans.__(
            'Cannot save %1 before its cells run: %2',
            path,
            (error as Error)?.message ?? String(error)
          ),
          autoClose: 8000
        },
        trans
      )
  });
  // A console on the notebook's kernel (or another tab) runs code too.
  const kernelIdle = new Signal<unknown, { notebook: Notebook }>(runs);
  notebooks?.widgetAdded.connect((_, panel) => {
    panel.sessionContext.iopubMessage.connect((__, msg) => {
      if (executionFinished(msg)) {
        kernelIdle.emit({ notebook: panel.content });
      }
    });
  });
  const live = new LiveRuns<Notebook>({
    executed: NotebookActions.executed,
    kernelIdle,
    pathOf: notebook => {
      const panel = panelOf(notebook);
      return panel ? localPath(panel.context.path) : null;
    },
    runs
  });
  return [saver, live];
}

/**
 * Share run code: the share-run-code and fetch-run-code commands, and
 * pushing the snapshot refs after a new snapshot run (`autoShareRunCode`).
 */
function addSharing(
  app: JupyterFrontEnd,
  runs: RunsModel,
  requester: Requester,
  trans: TranslationBundle,
  enabled: () => boolean
): AutoShare {
  addShareCommands(app.commands, { model: runs, requester, trans });
  return new AutoShare({
    model: runs,
    enabled,
    share: () =>
      requester('runs/share', {
        method: 'POST',
        body: JSON.stringify({ path: runs.path })
      }),
    onError: error =>
      void notify(
        {
          type: 'warning',
          message: trans.__(
            'Could not share the code of the new run: %1',
            error instanceof Error ? error.message : String(error)
          ),
          autoClose: false
        },
        trans
      )
  });
}
