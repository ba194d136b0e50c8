import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { CommandIDs } from '../common/commandIds';
import { notify as tell } from '../common/notify';
import { diffRange } from './details';
import { RunsModel } from './model';

/**
 * What the runs commands need.
 */
export interface IRunsCommandOptions {
  model: RunsModel;
  trans: TranslationBundle;
  /** Puts text on the clipboard (default `Clipboard.copyToSystem`). */
  copy?: (text: string) => void;
  /** Says the id was copied (default a short notification). */
  notify?: (message: string) => void;
}

/**
 * `runs-refresh`, `runs-load-more`, `runs-sort`, `runs-show-diff` and
 * `copy-run-id`.
 */
export function addRunsCommands(
  commands: CommandRegistry,
  options: IRunsCommandOptions
): void {
  const { model, trans } = options;
  const copy = options.copy ?? ((text: string) => Clipboard.copyToSystem(text));
  const notify =
    options.notify ??
    ((message: string) =>
      void tell({ type: 'info', message, autoClose: 3000 }, trans));

  commands.addCommand(CommandIDs.runsRefresh, {
    label: trans.__('Refresh Runs'),
    caption: trans.__("Read the followed notebook's MLflow runs again"),
    isEnabled: () => model.path !== null,
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.runsLoadMore, {
    label: trans.__('Load More Runs'),
    caption: trans.__("Show the next page of the followed notebook's runs"),
    isEnabled: () => model.hasMore && !model.busy,
    execute: () => model.loadMore()
  });

  commands.addCommand(CommandIDs.runsSort, {
    label: args =>
      typeof args['column'] === 'string'
        ? trans.__('Sort Runs by %1', args['column'])
        : trans.__('Sort Runs by a Metric'),
    caption: trans.__(
      'Sort the runs by a metric: best first (lowest first for a loss), worst first, then newest first again'
    ),
    isEnabled: args =>
      typeof args['column'] === 'string' && args['column'] !== '',
    execute: (args: ReadonlyPartialJSONObject) => {
      const column = args['column'];
      if (typeof column === 'string' && column !== '') {
        model.toggleSort(column);
      }
    }
  });

  // Rejects when the run is not loaded or recorded no commit.
  commands.addCommand(CommandIDs.runsShowDiff, {
    label: trans.__("Show the Run's Code Changes"),
    caption: trans.__(
      "Show what a run's code differs from its commit by (unsaved and uncommitted changes), or what its commit changed"
    ),
    isEnabled: args => runIdOf(args) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const runId = runIdOf(args);
      const found = runId === null ? null : model.findRun(runId);
      const range = found ? diffRange(found.run, found.group) : null;
      if (!found || !range || model.path === null) {
        throw new Error(trans.__('This run recorded no commit to compare.'));
      }
      await model.diffs.load(model.path, range);
    }
  });

  commands.addCommand(CommandIDs.copyRunId, {
    label: trans.__('Copy Run Id'),
    caption: trans.__("Copy the run's MLflow id to the clipboard"),
    isEnabled: args => runIdOf(args) !== null,
    execute: (args: ReadonlyPartialJSONObject) => {
      const runId = runIdOf(args);
      if (runId === null) {
        return;
      }
      copy(runId);
      notify(trans.__('Run id %1 copied.', runId));
    }
  });
}

function runIdOf(args: ReadonlyPartialJSONObject): string | null {
  const runId = args['runId'];
  return typeof runId === 'string' && runId !== '' ? runId : null;
}
