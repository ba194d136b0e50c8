import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { reproIcon } from './icons';
import { SIDEBAR_ID } from './sidebar';
import { IReproModel } from './tokens';

export namespace CommandIDs {
  export const open = 'jupyterlab-repro:open';
  export const refresh = 'jupyterlab-repro:refresh';
  export const init = 'jupyterlab-repro:init';
}

/**
 * Register the sidebar's commands; palette, menus, shortcuts and buttons
 * all reuse them.
 */
export function addCommands(
  app: JupyterFrontEnd,
  model: IReproModel,
  trans: TranslationBundle
): void {
  const { commands, shell } = app;

  commands.addCommand(CommandIDs.open, {
    label: trans.__('Open the Repro Sidebar'),
    caption: trans.__('Show the repository status of the active notebook'),
    icon: args => (args['isPalette'] ? undefined : reproIcon),
    execute: () => {
      shell.activateById(SIDEBAR_ID);
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
        await showErrorMessage(
          trans.__('Cannot initialize a repository'),
          (error as Error).message
        );
      }
    }
  });
}
