import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { reproIcon, snapshotIcon } from './icons';
import { SIDEBAR_ID } from './sidebar';
import { SnapshotModel, toSnapshotError } from './snapshotModel';
import { IReproModel } from './tokens';

export namespace CommandIDs {
  export const open = 'jupyterlab-repro:open';
  export const refresh = 'jupyterlab-repro:refresh';
  export const init = 'jupyterlab-repro:init';
  export const snapshot = 'jupyterlab-repro:snapshot';
}

/**
 * What the snapshot command needs besides the sidebar model.
 */
export interface ISnapshotCommandOptions {
  snapshot: SnapshotModel;
  /** Server path of the active notebook, if one is active. */
  currentNotebook: () => string | null;
  /** Server path of the notebook selected in the file browser. */
  selectedNotebook: () => string | null;
  /** Move the keyboard focus to the commit message input. */
  focusMessage: () => void;
}

/**
 * Register the sidebar's commands; palette, menus, shortcuts and buttons
 * all reuse them.
 */
export function addCommands(
  app: JupyterFrontEnd,
  model: IReproModel,
  trans: TranslationBundle,
  snapshotOptions?: ISnapshotCommandOptions
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

  if (snapshotOptions) {
    addSnapshotCommand(app, model, trans, snapshotOptions);
  }
}

/**
 * `jupyterlab-repro:snapshot`: commit the notebook (outputs cleared in the
 * commit only). Without a message yet, it opens the sidebar on the form.
 *
 * Arguments: `path` (a notebook's server path) or `source`
 * (`filebrowser`: the selected notebook; `sidebar`: the followed one);
 * by default the active notebook.
 */
function addSnapshotCommand(
  app: JupyterFrontEnd,
  model: IReproModel,
  trans: TranslationBundle,
  options: ISnapshotCommandOptions
): void {
  const { commands, shell } = app;
  const { snapshot } = options;
  const showForm = () => {
    shell.activateById(SIDEBAR_ID);
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
        Notification.warning(trans.__('Open a notebook to snapshot it.'), {
          autoClose: 5000
        });
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
          showForm();
        }
        return;
      }
      await commitSnapshot(app, model, snapshot, trans);
    }
  });
}

function snapshotTarget(
  args: ReadonlyPartialJSONObject,
  options: ISnapshotCommandOptions
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
 * Run the snapshot and tell the user how it went.
 */
async function commitSnapshot(
  app: JupyterFrontEnd,
  model: IReproModel,
  snapshot: SnapshotModel,
  trans: TranslationBundle
): Promise<void> {
  try {
    const reply = await snapshot.snapshot();
    const subject = reply.message.split('\n')[0];
    if (reply.committed) {
      Notification.success(
        trans.__('Committed %1: %2', reply.short_sha ?? '', subject),
        { autoClose: 5000 }
      );
    } else {
      Notification.info(
        trans.__(
          'Nothing to commit: only outputs changed since the last commit.'
        ),
        { autoClose: 5000 }
      );
    }
    const warnings = ([] as string[]).concat(
      ...reply.notebooks.map(n => n.warnings)
    );
    if (warnings.length > 0) {
      Notification.warning(warnings.join('\n'), { autoClose: false });
    }
  } catch (caught) {
    const error = toSnapshotError(caught);
    switch (error.reason) {
      case 'hook-rejected':
        await showDialog({
          title: trans.__('The pre-commit hook rejected the snapshot'),
          body: hookOutputBody(error.message, error.output ?? ''),
          buttons: [Dialog.okButton({ label: trans.__('Close') })]
        });
        break;
      case 'identity-missing':
        void model.refresh();
        Notification.error(error.message, {
          autoClose: false,
          actions: [
            {
              label: trans.__('Set identity'),
              callback: () => app.shell.activateById(SIDEBAR_ID)
            }
          ]
        });
        break;
      case 'git-busy':
        Notification.warning(error.message, { autoClose: 8000 });
        break;
      default:
        Notification.error(error.message, { autoClose: false });
    }
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
