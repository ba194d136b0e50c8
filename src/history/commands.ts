import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { ReproRequestError, toRequestFailure } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, notify as tell } from '../common/notify';
import { historyPath, INotebookVersion } from './drive';
import { HISTORY_FACTORY } from './factory';
import { HistoryModel, IHistoryDocument } from './model';

/**
 * How the history commands tell the user what happened (their failures
 * reject: the failure reporter shows them).
 */
export interface IHistoryNotifier {
  success(message: string): void;
  warning(message: string): void;
}

/**
 * What the history commands need.
 */
export interface IHistoryCommandOptions {
  model: HistoryModel;
  /** Reads a notebook as a commit holds it (the drive's cached read). */
  version: (path: string, commit: string) => Promise<INotebookVersion>;
  trans: TranslationBundle;
  /** The server paths of the notebooks open in the lab. */
  openPaths: () => string[];
  /** Read the repository status again (the branch may have changed). */
  refreshStatus: () => Promise<void>;
  /** Default: JupyterLab notifications. */
  notify?: IHistoryNotifier;
}

/**
 * `open-at-commit`, `restore-branch` and `open-working-copy`.
 */
export function addHistoryCommands(
  commands: CommandRegistry,
  options: IHistoryCommandOptions
): void {
  const { model, trans } = options;
  const notify = options.notify ?? notifications(trans);

  const documentOf = (
    args: ReadonlyPartialJSONObject
  ): IHistoryDocument | null =>
    typeof args['path'] === 'string'
      ? model.describe(args['path'])
      : model.current;

  // Rejects with the reason it cannot: the runs section shows it inline.
  commands.addCommand(CommandIDs.openAtCommit, {
    label: trans.__('Open Notebook as It Was'),
    caption: trans.__(
      'Open the notebook as a commit (or a run) had it: read-only, without a kernel'
    ),
    isEnabled: args =>
      typeof args['path'] === 'string' && typeof args['commit'] === 'string',
    execute: async (args: ReadonlyPartialJSONObject) => {
      const path = typeof args['path'] === 'string' ? args['path'] : '';
      const commit = typeof args['commit'] === 'string' ? args['commit'] : '';
      if (!commit) {
        throw new ReproRequestError(
          trans.__(
            'This run recorded no commit: its notebook cannot be restored.'
          ),
          400,
          'no-commit'
        );
      }
      const version = await options.version(path, commit);
      const documentPath = historyPath(version, trans);
      model.remember(documentPath, {
        runId: typeof args['runId'] === 'string' ? args['runId'] : null,
        runName: typeof args['runName'] === 'string' ? args['runName'] : null
      });
      await commands.execute('docmanager:open', {
        path: documentPath,
        factory: HISTORY_FACTORY,
        kernelPreference: {
          shouldStart: false,
          canStart: false,
          autoStartDefault: false
        }
      });
    }
  });

  commands.addCommand(CommandIDs.restoreBranch, {
    label: trans.__('Restore as Branch'),
    caption: trans.__(
      "Make branch exp/<run name> at this notebook's code and switch to it when no open notebook would change"
    ),
    isEnabled: args => documentOf(args) !== null && !model.busy,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const document = documentOf(args);
      if (document === null) {
        return;
      }
      let reply;
      try {
        reply = await model.restore(document, 'branch', options.openPaths());
      } catch (error) {
        throw new CommandFailure(
          trans.__(
            'Cannot restore %1 as a branch: %2',
            document.label,
            toRequestFailure(error).message
          ),
          { cause: error }
        );
      }
      await options.refreshStatus().catch(() => undefined);
      const branch = reply.branch ?? '';
      if (reply.checked_out) {
        notify.success(
          trans.__(
            'Switched to branch %1: the code of %2.',
            branch,
            document.label
          )
        );
      } else {
        notify.warning(
          reply.reason ??
            trans.__('Branch %1 made; not switched to it.', branch)
        );
      }
    }
  });

  commands.addCommand(CommandIDs.openWorkingCopy, {
    label: trans.__('Open a Working Copy'),
    caption: trans.__(
      'Write this notebook as it was as a new notebook beside the original and open it'
    ),
    isEnabled: args => documentOf(args) !== null && !model.busy,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const document = documentOf(args);
      if (document === null) {
        return;
      }
      let copy: string;
      try {
        const reply = await model.restore(document, 'copy');
        copy = reply.copy ?? '';
      } catch (error) {
        throw new CommandFailure(
          trans.__(
            'Cannot write a working copy of %1: %2',
            document.label,
            toRequestFailure(error).message
          ),
          { cause: error }
        );
      }
      await commands.execute('docmanager:open', { path: copy });
    }
  });
}

function notifications(trans: TranslationBundle): IHistoryNotifier {
  return {
    success: message =>
      void tell({ type: 'success', message, autoClose: 6000 }, trans),
    warning: message =>
      void tell({ type: 'warning', message, autoClose: 12000 }, trans)
  };
}
