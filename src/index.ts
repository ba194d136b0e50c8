// The plugin wiring only: build the models, the sidebar and its sections,
// register each feature's commands and follow the active notebook. No
// feature logic lives here.
import {
  ILayoutRestorer,
  IRouter,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import {
  IDefaultFileBrowser,
  IFileBrowserFactory
} from '@jupyterlab/filebrowser';
import {
  INotebookTracker,
  INotebookWidgetFactory,
  Notebook,
  NotebookActions,
  NotebookPanel,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandToolbarButton } from '@jupyterlab/ui-components';
import { DisposableDelegate } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import {
  addCommitCommands,
  CommitType,
  createSnapshotSection,
  SnapshotModel,
  UnsavedDocuments
} from './commit';
import {
  CommandIDs,
  DiffLanguages,
  FailureReporter,
  makeRequester,
  notify,
  VERSION
} from './common';
import {
  addCompareCommands,
  CompareWidget,
  compareUrlQuery,
  createReleasesSection,
  ICandidateRun,
  ReleasesModel
} from './compare';
import { addExportCommands, ExportTargets } from './export';
import {
  addHistoryCommands,
  BaseNotebookFactory,
  createHistoryBanner,
  HISTORY_FACTORY,
  HistoryDrive,
  HistoryModel,
  HistoryNotebookFactory,
  keepUntouchedClean,
  KeptOutputsOffer
} from './history';
import { ReproductionsWidget, reproducePlugin } from './reproduce';
import {
  addRunsCommands,
  addRunsTableCommands,
  addShareCommands,
  AutoShare,
  commitOf,
  createRunsSection,
  executionFinished,
  followSidebarRuns,
  IRun,
  LiveRuns,
  notebookOfConsole,
  RunSelection,
  RunsModel,
  RunsTableWidget,
  SaveBeforeRun
} from './runs';
import {
  addStatusCommands,
  floorThrough,
  ReproModel,
  ReproSidebar,
  SIDEBAR_ID
} from './status';
import { IReproModel } from './tokens';

export { IExportTargets, IReproModel } from './tokens';

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
    IFileBrowserFactory,
    INotebookWidgetFactory,
    IThemeManager,
    IRouter,
    IEditorLanguageRegistry
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
    browserFactory: IFileBrowserFactory | null,
    notebookFactory: NotebookWidgetFactory.IFactory | null,
    themeManager: IThemeManager | null,
    router: IRouter | null,
    languages: IEditorLanguageRegistry | null
  ): IReproModel => {
    const { commands, shell } = app;
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const requester = makeRequester(app.serviceManager.serverSettings, trans);
    const contents = app.serviceManager.contents;
    const model = new ReproModel({ requester, version: VERSION, trans });

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
    // The open notebooks' unsaved changes: the preview says it lacks them.
    const unsaved = notebooks
      ? new UnsavedDocuments({
          added: notebooks.widgetAdded,
          localPath: path => contents.localPath(path)
        })
      : undefined;
    const snapshot = new SnapshotModel({
      requester,
      repro: model,
      trans,
      saveFirst,
      unsaved,
      revert: async path => {
        try {
          await contextOf(path)?.revert();
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
    });
    const exportTargets = new ExportTargets();
    // Runs of the followed notebook, grouped by commit (MLflow).
    const runs = new RunsModel({ requester, repro: model, trans });
    // The runs ticked for a comparison, and the repository's release tags.
    const selection = new RunSelection(runs);
    const releases = new ReleasesModel({ requester, repro: model, trans });

    // The notebooks as they were: a read-only drive answering
    // `GET runs/notebook`, opened with a factory that never starts a kernel.
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
    const historyTracker = new WidgetTracker<NotebookPanel>({
      namespace: 'jupyterlab-repro-history'
    });
    const compareTracker = new WidgetTracker<CompareWidget>({
      namespace: 'jupyterlab-repro-compare'
    });
    const runsTableTracker = new WidgetTracker<RunsTableWidget>({
      namespace: 'jupyterlab-repro-runs-table'
    });

    // Which path to show: the active notebook (for a notebook as it was,
    // the notebook it is a version of; for a comparison, the notebook its
    // runs came from; for the Reproductions view, the notebook of its newest
    // job, or the same as before when it has none; for a console on a
    // notebook's kernel, that notebook), else the browser's folder.
    let followNotebook = true;
    const follow = () => {
      if (model.isDisposed) {
        return;
      }
      const current = shell.currentWidget;
      const notebook = notebooks?.currentWidget ?? null;
      const historical =
        current && historyTracker.has(current)
          ? history.describe((current as NotebookPanel).context.path)
          : null;
      history.setCurrent(historical?.documentPath ?? null);
      const comparison =
        current && compareTracker.has(current)
          ? (current as CompareWidget).args.path
          : current && runsTableTracker.has(current)
            ? (current as RunsTableWidget).path
            : null;
      const consoleOf = notebookOfConsole(current);
      const reproductions =
        current instanceof ReproductionsWidget ? current : null;
      // A new job (or the jobs read after a reload) moves its path.
      reproductions?.pathChanged.connect(follow);
      if (followNotebook && historical) {
        model.setPath(historical.path);
      } else if (followNotebook && comparison) {
        model.setPath(comparison);
      } else if (followNotebook && reproductions) {
        if (reproductions.path !== null) {
          model.setPath(reproductions.path);
        }
      } else if (followNotebook && consoleOf) {
        model.setPath(contents.localPath(consoleOf));
      } else if (followNotebook && notebook && current === notebook) {
        model.setPath(contents.localPath(notebook.context.path));
      } else if (browser) {
        model.setPath(contents.localPath(browser.model.path));
      }
    };
    const refreshOnSave = (_: unknown, state: string) => {
      if (state === 'completed' && !model.isDisposed) {
        void model.refresh();
      }
    };
    const onFocus = () => void model.refresh();
    shell.currentChanged?.connect(follow);
    notebooks?.currentChanged.connect(follow);
    browser?.model.pathChanged.connect(follow);
    notebooks?.widgetAdded.connect((_, panel) => {
      panel.context.saveState.connect(refreshOnSave);
      panel.context.pathChanged.connect(follow);
      // Opening a notebook is not an edit: the kernel's language_info alone
      // (which a snapshot strips) does not mark it modified.
      keepUntouchedClean(panel.context);
    });
    window.addEventListener('focus', onFocus);
    void app.restored.then(follow);

    const base = notebookFactory as unknown as BaseNotebookFactory | null;
    if (base?.rendermime && base.contentFactory && base.mimeTypeService) {
      const factory = new HistoryNotebookFactory({
        base,
        label: trans.__('Notebook as It Was (read-only)'),
        translator: translator ?? undefined,
        toolbarFactory: panel => [
          {
            name: 'repro-restore-branch',
            widget: new CommandToolbarButton({
              commands,
              id: CommandIDs.restoreBranch,
              args: { path: panel.context.path },
              label: trans.__('Restore as branch')
            })
          },
          {
            name: 'repro-working-copy',
            widget: new CommandToolbarButton({
              commands,
              id: CommandIDs.openWorkingCopy,
              args: { path: panel.context.path },
              label: trans.__('Open a working copy')
            })
          }
        ]
      });
      let historyId = 0;
      factory.widgetCreated.connect((_, panel) => {
        panel.id = panel.id || `jp-repro-history-${++historyId}`;
        void historyTracker.add(panel);
        // The drive has read the version by now: say what it is.
        void panel.context.ready.then(follow).catch(() => undefined);
      });
      app.docRegistry.addWidgetFactory(factory);
      void restorer?.restore(historyTracker, {
        command: 'docmanager:open',
        args: panel => ({ path: panel.context.path, factory: HISTORY_FACTORY }),
        name: panel => panel.context.path
      });
    }

    // What ran is what the runs record: save first (saveBeforeRun), and
    // read the runs again when the followed notebook's cells are done.
    let saveBeforeRun = true;
    const panelOf = (notebook: Notebook) =>
      notebooks?.find(panel => panel.content === notebook) ?? null;
    const saver = new SaveBeforeRun<Notebook>({
      scheduled: NotebookActions.executionScheduled,
      enabled: () => saveBeforeRun,
      documentOf: notebook => {
        const panel = panelOf(notebook);
        return panel
          ? {
              path: contents.localPath(panel.context.path),
              context: panel.context
            }
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
        return panel ? contents.localPath(panel.context.path) : null;
      },
      runs
    });

    const sidebar = new ReproSidebar({
      model,
      trans,
      commands,
      changes: snapshot
    });
    sidebar.addBanner(createHistoryBanner({ model: history, trans, commands }));
    // One set of parsers for the snapshot preview and the runs' diffs.
    const diffLanguages = languages ? new DiffLanguages(languages) : null;
    sidebar.addSection(
      createSnapshotSection({
        model: snapshot,
        trans,
        commands,
        exportTargets,
        languages: diffLanguages
      }),
      3,
      // The form and ~8 lines of the diff preview stay in view, right
      // after the repository facts; the runs list keeps its toolbar and
      // first run, and scrolls.
      { floor: floorThrough('.jp-Repro-Snapshot-diff', 8), priority: 1 }
    );
    sidebar.addSection(
      createRunsSection({
        model: runs,
        trans,
        commands,
        selection,
        languages: diffLanguages
      }),
      2,
      { priority: 2, least: 80 }
    );
    sidebar.addSection(
      createReleasesSection({
        model: releases,
        trans,
        onSelect: release => {
          // Tick the release's run in the runs panel and bring it into view.
          if (runs.findRun(release.runId) && selection.add(release.runId)) {
            sidebar.focusInSection(
              `[data-run-id="${CSS.escape(release.runId)}"] input.jp-Repro-Runs-check`
            );
          } else {
            notify(
              {
                type: 'info',
                message: trans.__(
                  'The run of release %1 (%2) is not among the loaded runs of this notebook.',
                  release.tag,
                  release.runName ?? release.runId
                ),
                autoClose: 6000
              },
              trans
            );
          }
        }
      }),
      1
    );
    // Disposed with the sidebar: listeners first, then the models that
    // follow the sidebar model, then the sidebar model (its poll stops).
    sidebar.own(
      new DisposableDelegate(() => {
        window.removeEventListener('focus', onFocus);
        shell.currentChanged?.disconnect(follow);
        notebooks?.currentChanged.disconnect(follow);
        browser?.model.pathChanged.disconnect(follow);
      }),
      saver,
      live,
      history,
      selection,
      releases,
      runs,
      snapshot,
      ...(unsaved ? [unsaved] : []),
      exportTargets,
      model
    );

    // Every failed command of ours becomes a notification with its message
    // (except those whose views show the failure inline).
    sidebar.own(new FailureReporter({ commands, trans }));
    addStatusCommands(commands, {
      model,
      trans,
      openSidebar: () => shell.activateById(SIDEBAR_ID)
    });
    addCommitCommands(commands, {
      model,
      snapshot,
      trans,
      currentNotebook: () => {
        const panel = notebooks?.currentWidget ?? null;
        return panel && shell.currentWidget === panel
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
    addRunsCommands(commands, { model: runs, trans });
    addShareCommands(commands, { model: runs, requester, trans });
    // Push the snapshot refs after a new snapshot run (autoShareRunCode).
    let autoShareRunCode = false;
    const autoShare = new AutoShare({
      model: runs,
      enabled: () => autoShareRunCode,
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
    sidebar.own(autoShare);

    // Compare runs and release one (main-area views; the runs panel's side
    // comes in as functions).
    const describeRun = (runId: string): ICandidateRun | null => {
      const found = runs.findRun(runId);
      if (!found) {
        return null;
      }
      const { run, group } = found;
      const code = run.tags['repro.snapshot']
        ? trans.__('snapshot %1', run.tags['repro.snapshot'].slice(0, 7))
        : (group.short_sha ?? '');
      return {
        runId,
        label: run.run_name || runId.slice(0, 8),
        detail: [code, group.subject ?? ''].filter(Boolean).join(' ')
      };
    };
    addCompareCommands({
      requester,
      trans,
      commands,
      tracker: compareTracker,
      ready: app.restored,
      open: widget => {
        shell.add(widget, 'main');
        if (!widget.isAttached) {
          return false;
        }
        shell.activateById(widget.id);
        return true;
      },
      activate: widget => shell.activateById(widget.id),
      // Notebook 7 shows one document per page: offer JupyterLab.
      cannotOpen: args => {
        const url =
          URLExt.join(PageConfig.getBaseUrl(), 'lab') +
          '?' +
          compareUrlQuery(args);
        notify(
          {
            type: 'info',
            message: trans.__(
              'This page shows one document: the comparison opens in JupyterLab.'
            ),
            actions: [
              {
                label: trans.__('Open in JupyterLab'),
                callback: () => void window.open(url, '_blank', 'noopener')
              }
            ]
          },
          trans
        );
      },
      selected: () => selection.ids,
      followedPath: () => runs.path,
      contextRunId: () =>
        app.contextMenuHitTest(node => !!node.dataset?.runId)?.dataset.runId ??
        null,
      describeRun,
      otherRuns: runId =>
        ([] as IRun[])
          .concat(...runs.groups.map(group => group.runs))
          .filter(run => run.run_id !== runId)
          .map(run => describeRun(run.run_id))
          .filter((run): run is ICandidateRun => run !== null),
      defaultMetrics: runIds => {
        const keys = new Set<string>();
        for (const id of runIds) {
          Object.keys(runs.findRun(id)?.run.metrics ?? {}).forEach(key =>
            keys.add(key)
          );
        }
        if (keys.size === 0) {
          return null;
        }
        const columns = runs.metricColumns.filter(key => keys.has(key));
        const rest = [...keys].filter(key => !columns.includes(key)).sort();
        return [...columns, ...rest];
      },
      onReleased: () => {
        void runs.refresh();
        void releases.refresh();
      },
      languageFor: async cellType => {
        if (!languages || (cellType !== 'code' && cellType !== 'markdown')) {
          return null;
        }
        const language = await languages.getLanguage(
          cellType === 'markdown' ? 'markdown' : 'python'
        );
        return language?.support ?? null;
      }
    });
    const onTheme = () =>
      compareTracker.forEach(widget => widget.model.themeChanged());
    themeManager?.themeChanged.connect(onTheme);
    sidebar.own(
      new DisposableDelegate(() =>
        themeManager?.themeChanged.disconnect(onTheme)
      )
    );
    void restorer?.restore(compareTracker, {
      command: CommandIDs.compare,
      args: widget => ({ ...widget.args }) as any,
      name: widget =>
        `${widget.args.path ?? ''}:${widget.args.runIds.join(',')}`
    });
    router?.register({
      command: CommandIDs.compareFromUrl,
      pattern: /[?&]repro-compare=/
    });

    // Every run of a notebook as a table in the main area.
    addRunsTableCommands({
      requester,
      trans,
      commands,
      tracker: runsTableTracker,
      open: widget => {
        shell.add(widget, 'main');
        if (!widget.isAttached) {
          return false;
        }
        shell.activateById(widget.id);
        return true;
      },
      activate: widget => shell.activateById(widget.id),
      cannotOpen: path =>
        void notify(
          {
            type: 'info',
            message: trans.__(
              'This page shows one document: open the runs table of %1 in JupyterLab.',
              path
            ),
            autoClose: false,
            actions: [
              {
                label: trans.__('Open JupyterLab'),
                callback: () =>
                  void window.open(
                    URLExt.join(
                      PageConfig.getBaseUrl(),
                      'lab',
                      'tree',
                      URLExt.encodeParts(path)
                    ),
                    '_blank',
                    'noopener'
                  )
              }
            ]
          },
          trans
        ),
      defaultPath: args => {
        if (args['source'] === 'filebrowser') {
          const fileBrowser = browserFactory?.tracker.currentWidget ?? browser;
          const item = fileBrowser?.selectedItems().next();
          return item && !item.done && item.value.type === 'notebook'
            ? contents.localPath(item.value.path)
            : null;
        }
        const panel = notebooks?.currentWidget ?? null;
        return panel && shell.currentWidget === panel
          ? contents.localPath(panel.context.path)
          : runs.path;
      },
      preferredMetrics: () => runs.configuredMetricColumns,
      languages: diffLanguages
    });
    sidebar.own(followSidebarRuns(runs, runsTableTracker));
    void restorer?.restore(runsTableTracker, {
      command: CommandIDs.runsTable,
      args: widget => ({ ...widget.args }) as any,
      name: widget => widget.path
    });
    addHistoryCommands(commands, {
      model: history,
      version: (path, commit) => drive.version(path, commit),
      trans,
      requester,
      // Open with unsaved work: a switch that changes them is refused. The
      // others are reloaded after it (`reload`).
      openPaths: () => {
        const paths: string[] = [];
        notebooks?.forEach(panel => {
          if (
            contents.driveName(panel.context.path) === '' &&
            panel.context.model?.dirty
          ) {
            paths.push(contents.localPath(panel.context.path));
          }
        });
        return paths;
      },
      reload: async paths => {
        for (const path of paths) {
          const context = contextOf(path);
          if (context && !context.model.dirty) {
            await context.revert();
          }
        }
      },
      contextRun: () => {
        const runId = app.contextMenuHitTest(node => !!node.dataset?.runId)
          ?.dataset.runId;
        const found = runId ? runs.findRun(runId) : null;
        const commit = found
          ? commitOf({ path: runs.path ?? '', ...found })
          : null;
        return found && commit && runs.path
          ? {
              path: runs.path,
              commit,
              runId: found.run.run_id,
              runName: found.run.run_name,
              unsaved: !!found.run.unsaved,
              uncommitted: found.run.dirty
            }
          : null;
      },
      refreshStatus: () => model.refresh()
    });
    // Back on the code whose outputs a restore kept aside: offer them.
    sidebar.own(
      new KeptOutputsOffer({ requester, trans, commands, status: model })
    );
    if (notebooks) {
      addExportCommands(commands, {
        requester,
        trans,
        notebooks,
        localPath: path => contents.localPath(path),
        saveFirst,
        targets: exportTargets,
        followedNotebook: () => snapshot.notebookPath
      });
    }
    shell.add(sidebar, 'left', { rank: 250 });
    restorer?.add(sidebar, sidebar.id);

    // Commands that need arguments (save-identity, guardrail-fix,
    // open-at-commit, runs-sort, runs-show-diff, copy-run-id) are run by the
    // views, not from the palette.
    const category = 'Repro';
    for (const command of [
      CommandIDs.open,
      CommandIDs.refresh,
      CommandIDs.init,
      CommandIDs.snapshot,
      ...(notebooks ? [CommandIDs.exportCells, CommandIDs.reexport] : []),
      CommandIDs.runsRefresh,
      CommandIDs.runsLoadMore,
      CommandIDs.runsTable,
      CommandIDs.compare,
      CommandIDs.restoreBranch,
      CommandIDs.openWorkingCopy
    ]) {
      palette?.addItem({ command, category });
    }

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        if (model.isDisposed) {
          return;
        }
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
        saveBeforeRun = settings.get('saveBeforeRun').composite as boolean;
        autoShareRunCode = settings.get('autoShareRunCode')
          .composite as boolean;
        follow();
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
          sidebar.own(
            new DisposableDelegate(() => settings.changed.disconnect(apply))
          );
        })
        .catch(reason => {
          console.error('jupyterlab-repro: cannot load settings', reason);
        });
    }
    return model;
  }
};

export default [plugin, reproducePlugin];
