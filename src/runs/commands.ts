import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { openNotebookAtCommit, RunsModel } from './model';

/**
 * What the runs commands need.
 */
export interface IRunsCommandOptions {
  model: RunsModel;
  requester: Requester;
  trans: TranslationBundle;
}

/**
 * `runs-refresh`, `runs-load-more` and `open-at-commit`.
 */
export function addRunsCommands(
  commands: CommandRegistry,
  options: IRunsCommandOptions
): void {
  const { model, requester, trans } = options;

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

  // Rejects with the reason it cannot: the runs section shows it inline.
  commands.addCommand(CommandIDs.openAtCommit, {
    label: trans.__('Open Notebook as It Was'),
    caption: trans.__('Open a read-only copy of the notebook as of a commit'),
    isEnabled: args =>
      typeof args['path'] === 'string' && typeof args['commit'] === 'string',
    execute: async (args: ReadonlyPartialJSONObject) => {
      const path = typeof args['path'] === 'string' ? args['path'] : '';
      const commit = typeof args['commit'] === 'string' ? args['commit'] : null;
      const copy = await openNotebookAtCommit(requester, path, commit, trans);
      await commands.execute('docmanager:open', { path: copy });
    }
  });
}
