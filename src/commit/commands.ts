import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../common/commandIds';
import { snapshotIcon } from '../common/icons';
import { notify } from '../common/notify';
import { IReproModel } from '../tokens';
import {
  GuardrailAction,
  IChangedFile,
  SnapshotModel,
  toSnapshotError
} from './model';

/**
 * What the commit commands need.
 */
export interface ICommitCommandOptions {
  /** The sidebar model (its path is the followed notebook). */
  model: IReproModel;
  snapshot: SnapshotModel;
  trans: TranslationBundle;
  /** Server path of the active notebook, if one is active. */
  currentNotebook: () => string | null;
  /** Server path of the notebook selected in the file browser. */
  selectedNotebook: () => string | null;
  /** Move the keyboard focus to the commit message input. */
  focusMessage: () => void;
}

/**
 * `snapshot` and `guardrail-fix`.
 */
export function addCommitCommands(
  commands: CommandRegistry,
  options: ICommitCommandOptions
): void {
  addSnapshotCommand(commands, options);
  addGuardrailFixCommand(commands, options);
}

/**
 * `jupyterlab-repro:snapshot`: commit the notebook (outputs cleared in the
 * commit only). Without a message yet, it opens the sidebar on the form.
 *
 * Arguments: `path` (a notebook's server path) or `source`
 * (`filebrowser`: the selected notebook; `sidebar`: the followed one);
 * by default the active notebook.
 */
export function addSnapshotCommand(
  commands: CommandRegistry,
  options: ICommitCommandOptions
): void {
  const { model, snapshot, trans } = options;
  const showForm = () => {
    void commands.execute(CommandIDs.open);
    options.focusMessage();
  };

  commands.addCommand(CommandIDs.snapshot, {
    label: args =>
      args['source'] === 'filebrowser'
        ? trans.__('Snapshot & Commit Notebook…')
        : trans.__('Snapshot & Commit'),
    caption: trans.__(
      'Commit the notebook without its outputs (the open notebook keeps them)'
    ),
    icon: args => (args['isPalette'] ? undefined : snapshotIcon),
    execute: async (args: ReadonlyPartialJSONObject) => {
      const target = snapshotTarget(args, options);
      if (target === null || !target.endsWith('.ipynb')) {
        notify(
          {
            type: 'warning',
            message: trans.__('Open a notebook to snapshot it.'),
            autoClose: 5000
          },
          trans
        );
        return;
      }
      if (target !== snapshot.notebookPath) {
        if (args['source'] === 'filebrowser') {
          await commands.execute('docmanager:open', { path: target });
        }
        model.setPath(target);
        showForm();
        return;
      }
      if (snapshot.message.trim() === '' || !snapshot.canSnapshot) {
        if (!snapshot.busy) {
          // Say why nothing happened, beside the field it needs.
          if (snapshot.canSubmit) {
            snapshot.requireMessage();
          }
          showForm();
        }
        return;
      }
      await commitSnapshot(model, snapshot, trans);
    }
  });
}

function snapshotTarget(
  args: ReadonlyPartialJSONObject,
  options: ICommitCommandOptions
): string | null {
  if (typeof args['path'] === 'string') {
    return args['path'];
  }
  switch (args['source']) {
    case 'filebrowser':
      return options.selectedNotebook();
    case 'sidebar':
      return options.snapshot.notebookPath;
    default:
      return options.currentNotebook() ?? options.snapshot.notebookPath;
  }
}

/**
 * Run the snapshot and tell the user how it went. A refusal rejects with
 * the server's error (the failure reporter shows it, with "Set identity"
 * when git lacks one); a rejecting hook's output opens in a dialog.
 */
async function commitSnapshot(
  model: IReproModel,
  snapshot: SnapshotModel,
  trans: TranslationBundle
): Promise<void> {
  let reply;
  try {
    reply = await snapshot.snapshot();
  } catch (caught) {
    const error = toSnapshotError(caught);
    if (error.reason === 'hook-rejected') {
      await showDialog({
        title: trans.__('The pre-commit hook rejected the snapshot'),
        body: hookOutputBody(error.message, error.output ?? ''),
        buttons: [Dialog.okButton({ label: trans.__('Close') })]
      });
      return;
    }
    if (error.reason === 'identity-missing') {
      // The header then asks for the identity.
      void model.refresh();
    }
    throw caught;
  }
  const subject = reply.message.split('\n')[0];
  if (reply.committed) {
    notify(
      {
        type: 'success',
        message: trans.__('Committed %1: %2', reply.short_sha ?? '', subject),
        autoClose: 5000
      },
      trans
    );
  } else {
    notify(
      {
        type: 'info',
        message: trans.__(
          'Nothing to commit: the code and text are as in the last commit (outputs are never committed).'
        ),
        autoClose: 5000
      },
      trans
    );
  }
  const warnings = ([] as string[]).concat(
    ...reply.notebooks.map(n => n.warnings)
  );
  if (warnings.length > 0) {
    notify(
      { type: 'warning', message: warnings.join('\n'), autoClose: false },
      trans
    );
  }
}

/**
 * The hook dialog's body: the hook output as preformatted text.
 */
export function hookOutputBody(message: string, output: string): Widget {
  const node = document.createElement('div');
  node.className = 'jp-Repro-HookDialog';
  const text = document.createElement('p');
  text.textContent = message;
  const pre = document.createElement('pre');
  pre.className = 'jp-Repro-Snapshot-hookOutput';
  pre.textContent = output;
  node.append(text, pre);
  return new Widget({ node });
}

/**
 * `jupyterlab-repro:guardrail-fix`: resolve a guardrail violation of a
 * changed file: add its rule to `.gitignore` (`action: 'gitignore'`) or
 * track it with Git LFS (`action: 'lfs'`). `path` is the file as the
 * changed-files list names it (relative to the repository); the rule is
 * the one the server gave for it, never one from the arguments.
 */
export function addGuardrailFixCommand(
  commands: CommandRegistry,
  options: Pick<ICommitCommandOptions, 'snapshot' | 'trans'>
): void {
  const { snapshot, trans } = options;
  const target = (
    args: ReadonlyPartialJSONObject
  ): { file: IChangedFile; action: GuardrailAction } | null => {
    const action = args['action'];
    if (action !== 'gitignore' && action !== 'lfs') {
      return null;
    }
    const file = snapshot.files.find(f => f.path === args['path']);
    if (!file?.violation) {
      return null;
    }
    if (
      action === 'lfs' &&
      !(snapshot.changes?.lfs_available && file.violation.lfs_possible)
    ) {
      return null;
    }
    return { file, action };
  };

  commands.addCommand(CommandIDs.guardrailFix, {
    label: args =>
      args['action'] === 'lfs'
        ? trans.__('Track with Git LFS')
        : trans.__('Add to .gitignore'),
    caption: args => {
      const found = target(args);
      return found && found.action === 'gitignore'
        ? trans.__('Add "%1" to .gitignore', found.file.violation?.rule ?? '')
        : trans.__('Let the file be committed: ignore it or track it with LFS');
    },
    isEnabled: args => !snapshot.busy && target(args) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const found = target(args);
      if (found === null) {
        return;
      }
      const { file, action } = found;
      const rule = file.violation?.rule ?? '';
      await snapshot.fixGuardrail(file, action);
      notify(
        {
          type: 'success',
          message:
            action === 'lfs'
              ? trans.__('%1 is now tracked with Git LFS.', file.path)
              : trans.__('"%1" added to .gitignore.', rule),
          autoClose: 5000
        },
        trans
      );
    }
  });
}
