import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { Requester, ReproRequestError, toRequestFailure } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, notify as tell } from '../common/notify';
import { historyPath, INotebookVersion } from './drive';
import { HISTORY_FACTORY } from './factory';
import {
  HistoryModel,
  IHistoryDocument,
  IKeptOutputs,
  IRunCode,
  keptOutputs
} from './model';

/**
 * How the history commands tell the user what happened (their failures
 * reject: the failure reporter shows them).
 */
export interface IHistoryNotifier {
  success(message: string): void;
  warning(message: string): void;
}

/**
 * What the user chose in the "Restore…" dialog of a run.
 */
export type RestoreChoice = 'branch' | 'copy' | null;

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
  /** The run right-clicked in the runs list (its context menu's "Restore…"). */
  contextRun?: () => IRunCode | null;
  /** Asks how to restore a run (default: a dialog). */
  ask?: (document: IHistoryDocument) => Promise<RestoreChoice>;
  /**
   * Reload the open documents of these server paths that have no unsaved
   * changes (a switch or a bring-back rewrote their files).
   */
  reload?: (paths: string[]) => Promise<void>;
  /** For bringing kept outputs back (`runs/kept-outputs`). */
  requester?: Requester;
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

  // A run's code (`{ path, commit, runId?, runName? }`, or the run
  // right-clicked with `{ source: 'run' }`), a notebook as it was (`{ path }`
  // of the ReproHistory drive), or the active one.
  const runOf = (args: ReadonlyPartialJSONObject): IRunCode | null => {
    if (
      typeof args['commit'] === 'string' &&
      typeof args['path'] === 'string'
    ) {
      return {
        path: args['path'],
        commit: args['commit'],
        runId: stringArg(args['runId']),
        runName: stringArg(args['runName']),
        unsaved: boolArg(args['unsaved']),
        uncommitted: boolArg(args['uncommitted'])
      };
    }
    return args['source'] === 'run' ? (options.contextRun?.() ?? null) : null;
  };
  const documentOf = (
    args: ReadonlyPartialJSONObject
  ): IHistoryDocument | null => {
    const run = runOf(args);
    if (run) {
      return model.ofRun(run);
    }
    if (args['source'] === 'run') {
      return null;
    }
    return typeof args['path'] === 'string'
      ? model.describe(args['path'])
      : model.current;
  };
  const fromRun = (args: ReadonlyPartialJSONObject) =>
    args['source'] === 'run' || typeof args['commit'] === 'string';
  const reload = (paths: string[]) =>
    (options.reload?.(paths) ?? Promise.resolve()).catch(() => undefined);
  const ask = options.ask ?? (document => askHow(document, trans));

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
        runId: stringArg(args['runId']),
        runName: stringArg(args['runName']),
        unsaved: boolArg(args['unsaved']),
        uncommitted: boolArg(args['uncommitted'])
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
    label: args =>
      fromRun(args) ? trans.__('Restore…') : trans.__('Restore as Branch'),
    caption: trans.__(
      'Make branch exp/<run name> at this code and switch to it; notebooks whose only local changes are outputs are kept aside (a git stash entry) and come back when you switch back'
    ),
    isEnabled: args => documentOf(args) !== null && !model.busy,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const document = documentOf(args);
      if (document === null) {
        return;
      }
      if (fromRun(args)) {
        const choice = await ask(document);
        if (choice === 'copy') {
          return commands.execute(CommandIDs.openWorkingCopy, {
            path: document.path,
            commit: document.commit,
            runId: document.runId ?? '',
            runName: document.runName ?? ''
          });
        }
        if (choice !== 'branch') {
          return;
        }
      }
      let reply;
      try {
        reply = await model.restore(document, 'branch', options.openPaths());
      } catch (error) {
        const failure = toRequestFailure(error);
        const refused =
          error instanceof ReproRequestError && error.status === 409;
        throw new CommandFailure(
          trans.__(
            'Cannot restore %1 as a branch: %2',
            document.label,
            failure.message
          ),
          {
            cause: error,
            actions: refused
              ? [
                  {
                    label: trans.__('Open a working copy'),
                    callback: () =>
                      void commands.execute(CommandIDs.openWorkingCopy, {
                        path: document.path,
                        commit: document.commit,
                        runId: document.runId ?? '',
                        runName: document.runName ?? ''
                      })
                  }
                ]
              : undefined
          }
        );
      }
      await options.refreshStatus().catch(() => undefined);
      await reload(reply.changed_files);
      const branch = reply.branch ?? '';
      if (reply.checked_out) {
        const aside =
          carriedText(reply.carried_outputs, trans) +
          keptText(reply.kept_outputs, trans);
        // Short when there is more to say: a toast shows ~140 characters.
        notify.success(
          aside
            ? trans.__('Switched to branch %1.', branch) + aside
            : trans.__(
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

  commands.addCommand(CommandIDs.bringBackOutputs, {
    label: trans.__('Bring Back Kept Outputs'),
    caption: trans.__(
      'Put back the outputs a restore kept aside (a git stash entry), once their code is checked out again'
    ),
    isEnabled: args => typeof args['path'] === 'string' && !!options.requester,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const requester = options.requester;
      if (!requester) {
        return;
      }
      const body: Record<string, string> = {
        path: stringArg(args['path']) ?? ''
      };
      const commit = stringArg(args['commit']);
      if (commit) {
        body.commit = commit;
      }
      let kept: IKeptOutputs | null;
      try {
        kept = keptOutputs(
          await requester<unknown>('runs/kept-outputs', {
            method: 'POST',
            body: JSON.stringify(body)
          })
        );
      } catch (error) {
        throw new CommandFailure(
          trans.__(
            'Cannot bring the outputs back: %1',
            toRequestFailure(error).message
          ),
          { cause: error }
        );
      }
      const files = kept?.files ?? [];
      await reload(files);
      await options.refreshStatus().catch(() => undefined);
      notify.success(
        trans.__('Brought back the outputs of %1.', files.join(', '))
      );
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
      // An untouched working copy closes without "Save your work?": every
      // notebook is watched so (see keepUntouchedClean, wired in index.ts).
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

/**
 * The notebooks that kept their outputs on the branch (their code is its), or ''.
 */
export function carriedText(
  files: readonly string[],
  trans: TranslationBundle
): string {
  return files.length === 0
    ? ''
    : ' ' +
        trans._n(
          '%2 keeps its outputs (they came from this code).',
          '%2 keep their outputs (they came from this code).',
          files.length,
          files.map(baseName).join(', ')
        );
}

/**
 * Where a restore kept outputs aside and how they come back, or ''.
 */
export function keptText(
  kept: IKeptOutputs | null,
  trans: TranslationBundle
): string {
  if (!kept || kept.files.length === 0) {
    return '';
  }
  const files = kept.files.map(baseName).join(', ');
  return (
    ' ' +
    (kept.branch
      ? trans.__(
          'Outputs of %1 kept in %2: back on %3, the lab offers them (or git stash pop).',
          files,
          kept.ref,
          kept.branch
        )
      : trans.__(
          'Outputs of %1 kept in %2: check out the commit you left, then git stash pop.',
          files,
          kept.ref
        ))
  );
}

function baseName(path: string): string {
  return path.split('/').pop() || path;
}

/**
 * The "Restore…" dialog of a run: a branch (switched to), or a working copy.
 */
async function askHow(
  document: IHistoryDocument,
  trans: TranslationBundle
): Promise<RestoreChoice> {
  const run = document.runName || document.runId || document.label;
  const result = await showDialog({
    title: trans.__('Restore the code of run %1', run),
    body: trans.__(
      'As a branch: exp/%1 at the code the run ran, and the lab switches to it. Notebooks whose only local changes are outputs are kept aside and come back when you switch back; other local changes stop the switch, and nothing changes. As a working copy: the notebook as it ran, beside yours, and nothing else changes.',
      document.runName || document.runId || 'run'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.createButton({
        label: trans.__('Open a working copy'),
        actions: ['copy']
      }),
      Dialog.okButton({ label: trans.__('Switch to a branch') })
    ]
  });
  if (result.button.actions.includes('copy')) {
    return 'copy';
  }
  return result.button.accept ? 'branch' : null;
}

function stringArg(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function boolArg(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}
