import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { notify } from '../common/notify';
import { IStatusReply } from '../tokens';
import { IKeptOutputs, keptOutputs } from './model';

/**
 * Shows the offer to bring kept outputs back; `bringBack` runs the command.
 */
export type KeptOutputsPrompt = (
  message: string,
  bringBack: () => void
) => void;

/**
 * Offers to bring back the outputs a restore kept aside, when the user is
 * back on the code they belong to.
 *
 * It watches the sidebar's status: when the branch (or detached commit) of
 * the followed repository changes, it asks `GET runs/kept-outputs` which
 * kept outputs can come back now, and offers each once, in a notification
 * whose action runs `bring-back-outputs`.
 */
export class KeptOutputsOffer implements IDisposable {
  constructor(options: KeptOutputsOffer.IOptions) {
    this._options = options;
    options.status.stateChanged.connect(this._onStatus, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._options.status.stateChanged.disconnect(this._onStatus, this);
  }

  /** Ask the server now, and offer what can come back (the status poll calls it). */
  async check(path: string): Promise<void> {
    const { requester, trans, commands } = this._options;
    let entries: IKeptOutputs[];
    try {
      const reply = await requester<{ kept?: unknown[] }>(
        `runs/kept-outputs?path=${encodeURIComponent(path)}`
      );
      entries = (reply?.kept ?? [])
        .map(keptOutputs)
        .filter((e): e is IKeptOutputs => e !== null);
    } catch {
      return; // an older server, or none: nothing to offer
    }
    for (const entry of entries) {
      if (!entry.ready || this._offered.has(entry.commit) || this._isDisposed) {
        continue;
      }
      this._offered.add(entry.commit);
      // Short: a toast shows ~140 characters.
      const message = trans.__(
        'Outputs of %1 were kept aside (%2) when a run was restored. Bring them back?',
        entry.files.map(f => f.split('/').pop() || f).join(', '),
        entry.ref
      );
      const bringBack = () =>
        void commands.execute(CommandIDs.bringBackOutputs, {
          path,
          commit: entry.commit
        });
      (this._options.prompt ?? notification(trans))(message, bringBack);
    }
  }

  private _onStatus(): void {
    const status = this._options.status;
    const repo = status.status?.repository ?? null;
    if (!repo || status.status?.path !== status.path) {
      return;
    }
    const where = `${repo.root ?? ''}\0`;
    const at = repo.branch ?? `@${repo.head?.sha ?? ''}`;
    const previous = this._where === where ? this._at : null;
    this._where = where;
    this._at = at;
    if (previous !== null && previous !== at) {
      void this.check(status.path);
    }
  }

  private _options: KeptOutputsOffer.IOptions;
  private _where: string | null = null;
  private _at: string | null = null;
  private _offered = new Set<string>();
  private _isDisposed = false;
}

export namespace KeptOutputsOffer {
  export interface IOptions {
    requester: Requester;
    trans: TranslationBundle;
    commands: CommandRegistry;
    /** The sidebar model: the followed path and its last status. */
    status: {
      readonly stateChanged: ISignal<unknown, void>;
      readonly path: string;
      readonly status: IStatusReply | null;
    };
    /** Default: a notification with a "Bring back" action. */
    prompt?: KeptOutputsPrompt;
  }
}

function notification(trans: TranslationBundle): KeptOutputsPrompt {
  return (message, bringBack) =>
    notify(
      {
        type: 'info',
        message,
        autoClose: false,
        actions: [
          {
            label: trans.__('Bring back'),
            caption: trans.__('Put the outputs back into the notebooks'),
            callback: bringBack
          }
        ]
      },
      trans
    );
}
