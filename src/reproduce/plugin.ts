// The reproduce plugin's wiring: the model, the commands, the main-area view
// (tracked, so a reload restores it), the palette. No logic here.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { makeRequester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import {
  IReproductions,
  IReproModel,
  IReproSidebar,
  ReproPathRank
} from '../tokens';
import { addReproduceCommands } from './commands';
import { pathOf, ReproduceModel, Reproductions } from './model';
import { createReproduceWidget, ReproductionsWidget } from './ReproduceView';

export const REPRODUCE_PLUGIN_ID = 'jupyterlab-repro:reproduce';

/**
 * Reproduce a run: "Reproduce…" on a run (its context menu), a job's
 * progress and verdict in the Reproductions view.
 */
export const reproducePlugin: JupyterFrontEndPlugin<IReproductions> = {
  id: REPRODUCE_PLUGIN_ID,
  description:
    'Reproduce a run: re-execute its code in a clean kernel, in its order, with its seed, and say whether the metrics came back.',
  autoStart: true,
  provides: IReproductions,
  requires: [IReproModel],
  optional: [IReproSidebar, ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    repro: IReproModel,
    sidebar: IReproSidebar | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IReproductions => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_repro');
    const model = new ReproduceModel({
      requester: makeRequester(app.serviceManager.serverSettings, trans)
    });
    const tracker = new WidgetTracker<MainAreaWidget>({
      namespace: 'jupyterlab-repro-reproductions'
    });
    const followedPath = () => repro.path;
    const show = () => {
      let widget = tracker.currentWidget;
      if (widget === null || widget.isDisposed) {
        widget = createReproduceWidget({
          model,
          trans,
          onCancel: job =>
            void app.commands.execute(CommandIDs.reproduceCancel, {
              job: job.job
            }),
          onCompare: job =>
            void app.commands.execute(CommandIDs.compare, {
              runIds: [job.run_id, job.reproduction_run_id ?? ''],
              path: pathOf(job, followedPath())
            })
        });
        void tracker.add(widget);
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
    };
    addReproduceCommands(app.commands, {
      model,
      trans,
      contextRunId: () =>
        app.contextMenuHitTest(node => !!node.dataset?.runId)?.dataset.runId ??
        null,
      followedPath,
      show
    });
    void restorer?.restore(tracker, {
      command: CommandIDs.reproduceShow,
      name: () => 'reproductions'
    });
    palette?.addItem({ command: CommandIDs.reproduceShow, category: 'Repro' });
    // The Reproductions view follows the notebook of its newest job (the
    // same as before when it has none); a new job moves it.
    const follow = () => sidebar?.follow();
    sidebar?.addPathWatcher(widget => {
      if (widget instanceof ReproductionsWidget) {
        widget.pathChanged.connect(follow);
      }
    });
    sidebar?.addPathSource(
      widget =>
        widget instanceof ReproductionsWidget ? widget.path : undefined,
      ReproPathRank.reproductions
    );
    const reproductions = new Reproductions(model);
    // The runs list and table read again: their rows carry the new verdict.
    reproductions.finished.connect(() => {
      if (app.commands.hasCommand(CommandIDs.runsRefresh)) {
        void app.commands
          .execute(CommandIDs.runsRefresh)
          .catch(() => undefined);
      }
    });
    return reproductions;
  }
};
