import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { CommandIDs } from '../common/commandIds';
import { reproIcon } from '../common/icons';
import { CommandFailure } from '../common/notify';
import { IReproModel } from '../tokens';

/**
 * What the status commands need.
 */
export interface IStatusCommandOptions {
  model: IReproModel;
  trans: TranslationBundle;
  /** Show the sidebar (the shell's `activateById(SIDEBAR_ID)`). */
  openSidebar: () => void;
}

/**
 * `open`, `refresh`, `init` and `save-identity`: the sidebar and the
 * repository it shows.
 */
export function addStatusCommands(
  commands: CommandRegistry,
  options: IStatusCommandOptions
): void {
  const { model, trans } = options;

  commands.addCommand(CommandIDs.open, {
    label: trans.__('Open the Repro Sidebar'),
    caption: trans.__('Show the repository status of the active notebook'),
    icon: args => (args['isPalette'] ? undefined : reproIcon),
    execute: () => {
      options.openSidebar();
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Repository Status'),
    caption: trans.__('Read the repository status again'),
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.init, {
    label: trans.__('Initialize a Git Repository Here'),
    caption: trans.__(
      'Create a git repository with a .gitignore for ML work and a first commit'
    ),
    isEnabled: () => model.state === 'not-repository',
    execute: async () => {
      const folder = model.status?.directory ?? model.path;
      const result = await showDialog({
        title: trans.__('Initialize a repository'),
        body: trans.__(
          'Create a git repository in "%1" with a .gitignore for model weights, checkpoints, logs and MLflow stores, and commit it?',
          folder === '' ? '/' : folder
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Initialize') })
        ]
      });
      if (!result.button.accept) {
        return;
      }
      try {
        await model.initRepository();
      } catch (error) {
        throw new CommandFailure(
          trans.__(
            'Cannot initialize a repository: %1',
            (error as Error).message
          ),
          { cause: error }
        );
      }
    }
  });

  // Rejects with the server's message: the identity form shows it inline.
  commands.addCommand(CommandIDs.saveIdentity, {
    label: trans.__('Save Git Identity'),
    caption: trans.__(
      'Store the name and e-mail address git records in commits'
    ),
    isEnabled: args => identityOf(args) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const identity = identityOf(args);
      if (identity === null) {
        throw new Error(trans.__('A name and an e-mail address are needed.'));
      }
      await model.setIdentity(identity.name, identity.email);
    }
  });
}

function identityOf(
  args: ReadonlyPartialJSONObject
): { name: string; email: string } | null {
  const { name, email } = args;
  if (typeof name !== 'string' || typeof email !== 'string') {
    return null;
  }
  return name.trim() && email.trim() ? { name, email } : null;
}
