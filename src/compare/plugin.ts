// The compare and release plugins' wiring: the compare view (tracked, so a
// reload restores it; opened from a URL too), the release dialog's commands
// and the Releases section. No logic here.
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
import { PageConfig } from '@jupyterlab/coreutils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { DisposableDelegate } from '@lumino/disposable';

import { makeRequester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { notify } from '../common/notify';
import { openInMain } from '../common/shell';
import {
  IReproModel,
  IReproRuns,
  IReproSidebar,
  ReproPathRank
} from '../tokens';
import { cellLanguages } from './CodeDiff';
import { addCompareCommands } from './commands';
import { comparisonInLabNotice } from './openInLab';
import { refreshOnRelease, releaseSelector, ReleasesModel } from './releases';
import { createReleasesSection } from './ReleasesView';
import { CompareWidget } from './widget';

/**
 * Compare runs side by side (a main-area view), and release a run as an
 * annotated tag.
 */
export const comparePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-repro:compare',
  description:
    'Compare runs side by side (parameters, metrics, charts, code, environment) and release a run as an annotated tag.',
  autoStart: true,
  requires: [IReproModel, IReproRuns],
  optional: [
    IReproSidebar,
    ILayoutRestorer,
    IRouter,
    IThemeManager,
    IEditorLanguageRegistry,
    ICommandPalette,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    model: IReproModel,
    runs: IReproRuns,
    sidebar: IReproSidebar | null,
    restorer: ILayoutRestorer | null,
    router: IRouter | null,
    themeManager: IThemeManager | null,
    languages: IEditorLanguageRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const { commands, shell } = app;
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const tracker = new WidgetTracker<CompareWidget>({
      namespace: 'jupyterlab-repro-compare'
    });
    addCompareCommands({
      requester: makeRequester(app.serviceManager.serverSettings, trans),
      trans,
      commands,
      tracker,
      ready: app.restored,
      open: widget => openInMain(shell, widget),
      activate: widget => shell.activateById(widget.id),
      // Notebook 7 shows one document per page: offer JupyterLab.
      cannotOpen: args =>
        void notify(
          comparisonInLabNotice(args, trans, {
            baseUrl: PageConfig.getBaseUrl(),
            open: url => void window.open(url, '_blank', 'noopener')
          }),
          trans
        ),
      selected: () => [...runs.selected],
      followedPath: () => runs.path,
      contextRunId: () =>
        app.contextMenuHitTest(node => !!node.dataset?.runId)?.dataset.runId ??
        null,
      describeRun: runId => runs.describe(runId),
      otherRuns: runId => runs.others(runId),
      defaultMetrics: runIds => runs.metricsOf(runIds),
      // The Releases section reads again on its own (refreshOnRelease).
      onReleased: () => void runs.refresh(),
      languageFor: cellLanguages(languages)
    });
    // A comparison follows the notebook its runs came from.
    sidebar?.addPathSource(
      widget =>
        tracker.has(widget as CompareWidget)
          ? (widget as CompareWidget).args.path || undefined
          : undefined,
      ReproPathRank.comparison
    );
    const onTheme = () =>
      tracker.forEach(widget => widget.model.themeChanged());
    themeManager?.themeChanged.connect(onTheme);
    sidebar?.own(
      new DisposableDelegate(() =>
        themeManager?.themeChanged.disconnect(onTheme)
      )
    );
    void restorer?.restore(tracker, {
      command: CommandIDs.compare,
      args: widget => ({ ...widget.args }) as any,
      name: widget =>
        `${widget.args.path ?? ''}:${widget.args.runIds.join(',')}`
    });
    router?.register({
      command: CommandIDs.compareFromUrl,
      pattern: /[?&]repro-compare=/
    });
    palette?.addItem({ command: CommandIDs.compare, category: 'Repro' });
  }
};

/**
 * The Releases section: the repository's release tags with their run's
 * key metrics; clicking one ticks its run in the Runs section.
 */
export const releasePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-repro:release',
  description:
    'The Releases section: release tags of the repository with their run and key metrics.',
  autoStart: true,
  requires: [IReproModel, IReproSidebar, IReproRuns],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IReproModel,
    sidebar: IReproSidebar,
    runs: IReproRuns,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const releases = new ReleasesModel({
      requester: makeRequester(app.serviceManager.serverSettings, trans),
      repro: model,
      trans
    });
    sidebar.addSection(
      createReleasesSection({
        model: releases,
        trans,
        onSelect: releaseSelector({
          select: runId => runs.select(runId),
          focus: runId =>
            sidebar.focusInSection(
              `[data-run-id="${CSS.escape(runId)}"] input.jp-Repro-Runs-check`
            ),
          notify: notice => void notify(notice, trans),
          trans
        })
      }),
      1,
      { order: 30 }
    );
    sidebar.own(refreshOnRelease(app.commands, releases), releases);
  }
};
