// What the user is told, in one place: every notification of the extension
// goes through notify() (long messages keep their full text), and every
// failed command becomes one through the FailureReporter.
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { ReproRequestError, toRequestFailure } from './api';
import { CommandIDs } from './commandIds';

/**
 * JupyterLab shows at most this many characters of a notification's message
 * (its toasts and its notification center cut the rest, `MAX_MESSAGE_LENGTH`
 * in `@jupyterlab/apputils-extension`).
 */
export const NOTIFICATION_MAX_LENGTH = 140;

export type NoticeType = 'success' | 'info' | 'warning' | 'error';

/** A button of a notification. */
export interface INoticeAction {
  label: string;
  /** A longer description, shown on hover. */
  caption?: string;
  callback: () => void;
}

/** Something the user is told. */
export interface INotice {
  type: NoticeType;
  /** Plain text; newlines start new lines. */
  message: string;
  actions?: INoticeAction[];
  /**
   * Milliseconds it stays; false: until dismissed. Default: errors and
   * notices with actions stay, others go after 5 s (8 s for warnings).
   */
  autoClose?: number | false;
}

/** How a notice reaches the user (tests pass their own). */
export type Notify = (notice: INotice) => void;

/**
 * `message` cut to at most `max` characters, "…" included: after the last
 * whole sentence that fits, else the last whole word, else anywhere.
 */
export function shortenMessage(
  message: string,
  max = NOTIFICATION_MAX_LENGTH
): string {
  if (message.length <= max) {
    return message;
  }
  const room = message.slice(0, max - 1);
  const sentence = Math.max(
    room.lastIndexOf('. '),
    room.lastIndexOf('.\n'),
    room.lastIndexOf(': '),
    room.lastIndexOf('\n')
  );
  if (sentence >= max / 3) {
    return room.slice(0, sentence + 1).replace(/\s+$/, '') + '…';
  }
  const word = room.lastIndexOf(' ');
  if (word >= max / 3) {
    return room.slice(0, word).replace(/\s+$/, '') + '…';
  }
  return room + '…';
}

/**
 * The default autoClose of a notice (see {@link INotice.autoClose}).
 */
export function autoCloseOf(notice: INotice): number | false {
  if (notice.autoClose !== undefined) {
    return notice.autoClose;
  }
  if (notice.type === 'error' || (notice.actions?.length ?? 0) > 0) {
    return false;
  }
  return notice.type === 'warning' ? 8000 : 5000;
}

/**
 * Show the whole text of a notice in a dialog, wrapped, as text.
 */
export function showFullMessage(
  notice: INotice,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_repro')
): Promise<unknown> {
  const node = document.createElement('div');
  node.className = 'jp-Repro-Notice-full';
  node.textContent = notice.message;
  const titles: Record<NoticeType, string> = {
    error: trans.__('Error'),
    warning: trans.__('Warning'),
    success: trans.__('Done'),
    info: trans.__('Message')
  };
  return showDialog({
    title: titles[notice.type],
    body: new Widget({ node }),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

/**
 * Tell the user something with a JupyterLab notification. A message too
 * long for a notification is shown cut at a sentence, with **Show all**,
 * which opens the whole text; its actions are kept. Returns the
 * notification's id.
 */
export function notify(
  notice: INotice,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_repro')
): string {
  const actions: Notification.IAction[] = (notice.actions ?? []).map(
    action => ({
      label: action.label,
      caption: action.caption,
      callback: () => action.callback()
    })
  );
  const long = notice.message.length > NOTIFICATION_MAX_LENGTH;
  if (long) {
    actions.unshift({
      label: trans.__('Show all'),
      caption: trans.__('Show the whole message'),
      displayType: 'link',
      callback: event => {
        // The notification stays: its other actions may still be wanted.
        event.preventDefault();
        void showFullMessage(notice, trans);
      }
    });
  }
  return Notification.emit(shortenMessage(notice.message), notice.type, {
    // A long message takes a while to read: it stays.
    autoClose: long ? false : autoCloseOf(notice),
    actions,
    // The whole text, for whoever reads the notification center's data.
    data: { message: notice.message }
  });
}

/**
 * A command failed: the words the command puts around the cause (often the
 * server's message as it is) and what the user can do about it. It keeps
 * the cause's status, reason and reply, so views that read those still can.
 */
export class CommandFailure extends ReproRequestError {
  constructor(
    message: string,
    options: {
      cause?: unknown;
      /** What the user can do (shown as buttons of the notification). */
      actions?: INoticeAction[];
      /** `warning` for a refusal that is not an error (default `error`). */
      type?: 'error' | 'warning';
    } = {}
  ) {
    const cause = options.cause;
    const failure = cause === undefined ? null : toRequestFailure(cause);
    super(
      message,
      failure?.status ?? 0,
      failure?.reason ?? null,
      cause instanceof ReproRequestError ? cause.body : null
    );
    this.name = 'CommandFailure';
    this.actions = options.actions ?? [];
    this.type = options.type ?? 'error';
  }

  readonly actions: INoticeAction[];
  readonly type: 'error' | 'warning';
}

/**
 * Commands whose failures the view that runs them shows inline, beside what
 * failed, so the reporter leaves them alone:
 *
 * - `save-identity`: the identity form shows the server's message under its
 *   fields;
 * - `open-at-commit`: the runs section shows why a run's notebook cannot be
 *   opened, above its runs;
 * - `runs-show-diff`: a run's details show why its code changes cannot be
 *   read, where the diff would be.
 *
 * Other commands never fail by design: their models keep the failure and
 * their views show it — `refresh` (the repository header), `runs-refresh`
 * and `runs-load-more` (the runs section), `export` (the export dialog),
 * `compare`, `compare-with` and `compare-from-url` (the comparison view),
 * and a name `release-run`'s server refuses (the release dialog opens again
 * with the reason). `src/__tests__/failures.spec.ts` checks each of them.
 */
export const INLINE_FAILURES: ReadonlySet<string> = new Set([
  CommandIDs.saveIdentity,
  CommandIDs.openAtCommit,
  CommandIDs.runsShowDiff
]);

/** The prefix of the commands whose failures are reported. */
const OUR_COMMANDS = 'jupyterlab-repro:';

export interface IFailureReporterOptions {
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** Commands not reported (default {@link INLINE_FAILURES}). */
  inline?: ReadonlySet<string>;
  /** How notices are shown (default {@link notify}). */
  notify?: Notify;
}

/**
 * Turns every failed `jupyterlab-repro:` command into a notification with
 * the failure's message (the server's, as sent) and what can be done about
 * it: the actions a {@link CommandFailure} names, and those the server's
 * reason suggests (set your identity, initialize a repository). One
 * listener on the command registry's `commandExecuted` signal, so a command
 * run from a button, the palette, a menu or a shortcut is reported the same
 * way, and a failure that reaches the user through two commands (one runs
 * the other) is reported once. Commands whose views show their failures
 * inline ({@link INLINE_FAILURES}) are left to them.
 */
export class FailureReporter implements IDisposable {
  constructor(options: IFailureReporterOptions) {
    this._commands = options.commands;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._inline = options.inline ?? INLINE_FAILURES;
    this._notify =
      options.notify ?? (notice => void notify(notice, this._trans));
    this._commands.commandExecuted.connect(this._onExecuted, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._commands.commandExecuted.disconnect(this._onExecuted, this);
  }

  /**
   * What the user is told when command `id` failed with `error`.
   */
  noticeOf(id: string, error: unknown): INotice {
    const failure = toRequestFailure(error);
    const own = error instanceof CommandFailure ? error : null;
    const actions = [...(own?.actions ?? [])];
    const known = new Set(actions.map(action => action.label));
    for (const action of this._fixesOf(failure.reason, id)) {
      if (!known.has(action.label)) {
        actions.push(action);
      }
    }
    const warning = own?.type === 'warning' || failure.reason === 'git-busy';
    return {
      type: warning ? 'warning' : 'error',
      message: failure.message,
      actions,
      autoClose: warning && actions.length === 0 ? 10000 : false
    };
  }

  private _onExecuted(
    _: CommandRegistry,
    executed: CommandRegistry.ICommandExecutedArgs
  ): void {
    const { id } = executed;
    if (!id.startsWith(OUR_COMMANDS) || this._inline.has(id)) {
      return;
    }
    executed.result.catch((error: unknown) => {
      if (this._isDisposed || this._wasReported(error)) {
        return;
      }
      this._notify(this.noticeOf(id, error));
    });
  }

  /** What the server's reason says the user can do. */
  private _fixesOf(reason: string | null, id: string): INoticeAction[] {
    const trans = this._trans;
    const commands = this._commands;
    const run = (command: string, args: ReadonlyPartialJSONObject = {}) =>
      void commands.execute(command, args).catch(() => undefined);
    switch (reason) {
      case 'identity-missing':
        return id === CommandIDs.open
          ? []
          : [
              {
                label: trans.__('Set identity'),
                caption: trans.__(
                  'Open the Repro sidebar, where git asks for your name and e-mail address'
                ),
                callback: () => run(CommandIDs.open)
              }
            ];
      case 'not-a-repository':
        return commands.hasCommand(CommandIDs.init) &&
          commands.isEnabled(CommandIDs.init)
          ? [
              {
                label: trans.__('Initialize a repository'),
                caption: trans.__(
                  'Create a git repository here with a .gitignore for ML work'
                ),
                callback: () => run(CommandIDs.init)
              }
            ]
          : [];
      default:
        return [];
    }
  }

  /**
   * Whether this failure was reported already (a command that runs another
   * one rejects with the same error); remembers it if not.
   */
  private _wasReported(error: unknown): boolean {
    if (typeof error !== 'object' || error === null) {
      return false;
    }
    if (this._reported.has(error)) {
      return true;
    }
    this._reported.add(error);
    return false;
  }

  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
  private _inline: ReadonlySet<string>;
  private _notify: Notify;
  /** By identity, forgotten with the error. */
  private _reported = new WeakSet<object>();
  private _isDisposed = false;
}
