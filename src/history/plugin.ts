// The history plugin's wiring (the notebook as it was, and restoring a
// run's code): the read-only drive, the widget factory that never starts a
// kernel, the banner, the commands, the kept-outputs offer, and every
// notebook kept clean while only its kernel wrote into it. No logic here.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import {
  INotebookTracker,
  INotebookWidgetFactory,
  NotebookPanel,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { CommandToolbarButton } from '@jupyterlab/ui-components';

import { makeRequester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { labDocuments, reloadClean } from '../common/documents';
import {
  IReproModel,
  IReproRuns,
  IReproSidebar,
  ReproPathRank
} from '../tokens';
import { addHistoryCommands } from './commands';
import { HistoryDrive } from './drive';
import {
  BaseNotebookFactory,
  HISTORY_FACTORY,
  HistoryNotebookFactory
} from './factory';
import { createHistoryBanner } from './HistoryView';
import { KeptOutputsOffer } from './kept';
import { HistoryModel } from './model';
import { keepNotebooksClean, unsavedNotebooks } from './untouched';

/**
 * The notebook as it was at a commit or a run's snapshot (read-only, no
 * kernel), and the ways back to its code: restore as a branch, a working
 * copy, the outputs kept aside.
 */
export const historyPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-repro:history',
  description:
    'The notebook as it was at a commit or a run, read-only, and restoring its code as a branch or a working copy.',
  autoStart: true,
  requires: [IReproModel, IReproSidebar],
  optional: [
    IReproRuns,
    INotebookTracker,
    IDocumentManager,
    INotebookWidgetFactory,
    ILayoutRestorer,
    ICommandPalette,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    model: IReproModel,
    sidebar: IReproSidebar,
    runs: IReproRuns | null,
    notebooks: INotebookTracker | null,
    docManager: IDocumentManager | null,
    notebookFactory: NotebookWidgetFactory.IFactory | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const { commands } = app;
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const requester = makeRequester(app.serviceManager.serverSettings, trans);
    const contents = app.serviceManager.contents;
    // Opening a notebook is not an edit: the kernel's language_info alone
    // (which a snapshot strips) does not mark it modified. From creation on.
    if (notebooks) {
      sidebar.own(keepNotebooksClean(notebooks.widgetAdded));
    }
    // A read-only drive answering `GET runs/notebook`.
    const drive = new HistoryDrive({
      requester,
      serverSettings: app.serviceManager.serverSettings,
      trans
    });
    contents.addDrive(drive);
    const history = new HistoryModel({
      requester,
      trans,
      versionOf: path => drive.known(path)
    });
    const tracker = new WidgetTracker<NotebookPanel>({
      namespace: 'jupyterlab-repro-history'
    });
    // A notebook as it was follows the notebook it is a version of.
    followVersions(sidebar, tracker, history);
    sidebar.addBanner(createHistoryBanner({ model: history, trans, commands }));
    addHistoryFactory(app, {
      base: notebookFactory as unknown as BaseNotebookFactory | null,
      tracker,
      trans,
      translator,
      restorer,
      // The drive has read the version by now: say what it is.
      opened: () => sidebar.follow()
    });
    const documents = labDocuments({ docManager, notebooks, contents });
    addHistoryCommands(commands, {
      model: history,
      version: (path, commit) => drive.version(path, commit),
      trans,
      requester,
      // Open with unsaved work: a switch that changes them is refused. The
      // others are reloaded after it (`reload`).
      openPaths: () =>
        unsavedNotebooks(
          notebooks?.filter(() => true).map(panel => panel.context) ?? [],
          contents
        ),
      reload: paths => reloadClean(documents, paths),
      contextRun: () =>
        runs?.codeOf(
          app.contextMenuHitTest(node => !!node.dataset?.runId)?.dataset.runId
        ) ?? null,
      refreshStatus: () => model.refresh()
    });
    // Back on the code whose outputs a restore kept aside: offer them.
    sidebar.own(
      new KeptOutputsOffer({ requester, trans, commands, status: model }),
      history
    );
    for (const command of [
      CommandIDs.restoreBranch,
      CommandIDs.openWorkingCopy
    ]) {
      palette?.addItem({ command, category: 'Repro' });
    }
  }
};

/**
 * A notebook as it was makes the sidebar follow the notebook it is a version
 * of, and the banner say which version it is (whether followed or not).
 */
function followVersions(
  sidebar: IReproSidebar,
  tracker: WidgetTracker<NotebookPanel>,
  history: HistoryModel
): void {
  const describe = (widget: unknown) =>
    tracker.has(widget as NotebookPanel)
      ? history.describe((widget as NotebookPanel).context.path)
      : null;
  sidebar.addPathWatcher(widget =>
    history.setCurrent(describe(widget)?.documentPath ?? null)
  );
  sidebar.addPathSource(
    widget => describe(widget)?.path ?? undefined,
    ReproPathRank.history
  );
}

/**
 * The "Notebook as It Was (read-only)" widget factory, its toolbar (restore
 * as branch, open a working copy) and its tracker, restored on reload.
 * Without the notebook factory's parts (some Notebook 7 pages), nothing.
 */
function addHistoryFactory(
  app: JupyterFrontEnd,
  options: {
    base: BaseNotebookFactory | null;
    tracker: WidgetTracker<NotebookPanel>;
    trans: TranslationBundle;
    translator: ITranslator | null;
    restorer: ILayoutRestorer | null;
    opened: () => void;
  }
): void {
  const { base, tracker, trans } = options;
  if (!base?.rendermime || !base.contentFactory || !base.mimeTypeService) {
    return;
  }
  const button = (id: string, path: string, label: string) =>
    new CommandToolbarButton({
      commands: app.commands,
      id,
      args: { path },
      label
    });
  const factory = new HistoryNotebookFactory({
    base,
    label: trans.__('Notebook as It Was (read-only)'),
    translator: options.translator ?? undefined,
    toolbarFactory: panel => [
      {
        name: 'repro-restore-branch',
        widget: button(
          CommandIDs.restoreBranch,
          panel.context.path,
          trans.__('Restore as branch')
        )
      },
      {
        name: 'repro-working-copy',
        widget: button(
          CommandIDs.openWorkingCopy,
          panel.context.path,
          trans.__('Open a working copy')
        )
      }
    ]
  });
  let historyId = 0;
  factory.widgetCreated.connect((_, panel) => {
    panel.id = panel.id || `jp-repro-history-${++historyId}`;
    void tracker.add(panel);
    void panel.context.ready.then(options.opened).catch(() => undefined);
  });
  app.docRegistry.addWidgetFactory(factory);
  void options.restorer?.restore(tracker, {
    command: 'docmanager:open',
    args: panel => ({ path: panel.context.path, factory: HISTORY_FACTORY }),
    name: panel => panel.context.path
  });
}
