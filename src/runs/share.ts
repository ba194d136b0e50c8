// Run code for a team: push the hidden snapshot refs of this clone's runs
// to a remote ("Share run code"), fetch what a teammate's run needs ("Fetch
// code", on a run whose commit is not here), and, when the setting asks for
// it, push after every new snapshot run.
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, INoticeAction, notify } from '../common/notify';
import { RunsModel } from './model';
import { IRun } from './types';

/** `POST runs/share` reply. */
export interface IShareReply {
  remote: string;
  /** `{local ref: remote ref}` pushed. */
  transferred: Record<string, string>;
  /** Refs already on the remote with the same commit. */
  already: string[];
  /** Commits snapshots start from that no branch of the remote holds. */
  unpublished_parents: string[];
  /** Commits of this repository's runs that no branch of the remote holds. */
  unpublished_commits: string[];
  warnings: string[];
}

/** One run of a `POST runs/fetch` reply. */
export interface IRunCode {
  run_id: string;
  code: string | null;
  here: boolean;
  reason: string | null;
}

/** `POST runs/fetch` reply. */
export interface IFetchReply extends Omit<
  IShareReply,
  'unpublished_commits' | 'warnings'
> {
  runs: IRunCode[];
}

export interface IShareMessage {
  kind: 'success' | 'warning' | 'error';
  message: string;
}

/** What a share did, in a sentence or two. */
export function shareMessage(
  reply: IShareReply,
  trans: TranslationBundle
): IShareMessage {
  const pushed = Object.keys(reply.transferred).length;
  const parts = [
    pushed > 0
      ? trans._n(
          'Pushed %1 snapshot of run code to %2.',
          'Pushed %1 snapshots of run code to %2.',
          pushed,
          reply.remote
        )
      : trans.__('%1 already has the code of every snapshot run.', reply.remote)
  ];
  const unpublished = [
    ...new Set([...reply.unpublished_commits, ...reply.unpublished_parents])
  ];
  if (unpublished.length > 0) {
    parts.push(
      trans._n(
        'Commit %2 of a run is on no branch of %3: push its branch too, or teammates cannot get it.',
        '%1 commits of runs (%2) are on no branch of %3: push their branches too, or teammates cannot get them.',
        unpublished.length,
        unpublished
          .slice(0, 3)
          .map(sha => sha.slice(0, 7))
          .join(', ') + (unpublished.length > 3 ? '…' : ''),
        reply.remote
      )
    );
  }
  parts.push(...reply.warnings);
  return {
    kind:
      unpublished.length > 0 || reply.warnings.length > 0
        ? 'warning'
        : 'success',
    message: parts.join(' ')
  };
}

/** What a fetch got, in a sentence or two. */
export function fetchMessage(
  reply: IFetchReply,
  trans: TranslationBundle
): IShareMessage {
  const missing = reply.runs.filter(run => !run.here);
  if (missing.length === 0) {
    return {
      kind: 'success',
      message: trans._n(
        'The code of the run is here now.',
        'The code of the %1 runs is here now.',
        reply.runs.length
      )
    };
  }
  return {
    kind: missing.length === reply.runs.length ? 'error' : 'warning',
    message: missing
      .map(run =>
        trans.__(
          'Run %1: %2',
          run.run_id.slice(0, 8),
          run.reason ?? trans.__('its code is not here')
        )
      )
      .join(' ')
  };
}

export interface IShareCommandOptions {
  model: RunsModel;
  requester: Requester;
  trans: TranslationBundle;
  /** Tells the user what happened (default a Notification that stays). */
  notify?: (message: IShareMessage) => void;
}

/** JupyterLab's command that opens a terminal (args `{ cwd }`). */
const NEW_TERMINAL = 'terminal:create-new';

/**
 * The folder of a server path: the notebook's folder, where `git remote …`
 * reaches its repository.
 */
function folderOf(path: string): string {
  return path.endsWith('.ipynb')
    ? path.slice(0, Math.max(0, path.lastIndexOf('/')))
    : path;
}

/**
 * `share-run-code` (args `{ remote? }`) and `fetch-run-code` (args
 * `{ runIds, remote? }`; without run ids, the loaded runs whose commit is
 * not in this repository).
 */
export function addShareCommands(
  commands: CommandRegistry,
  options: IShareCommandOptions
): void {
  const { model, requester, trans } = options;
  // The message may ask for an action (push a branch): it stays.
  const tell =
    options.notify ??
    ((message: IShareMessage) =>
      void notify(
        { type: message.kind, message: message.message, autoClose: false },
        trans
      ));
  // Remotes are set up with git itself: a failed push or fetch offers a
  // terminal in the notebook's folder, when the lab has terminals.
  const request = async <T>(
    path: string,
    endpoint: string,
    body: Record<string, unknown>
  ): Promise<T> => {
    try {
      return await requester<T>(endpoint, {
        method: 'POST',
        body: JSON.stringify({ path, ...body })
      });
    } catch (error) {
      const actions: INoticeAction[] = [];
      const cwd = folderOf(path);
      if (commands.hasCommand(NEW_TERMINAL)) {
        actions.push({
          label: trans.__('Open a terminal'),
          caption: trans.__(
            'A terminal in %1, to set up the remote with git (git remote add origin URL)',
            cwd === '' ? '/' : cwd
          ),
          callback: () =>
            void commands.execute(NEW_TERMINAL, { cwd }).catch(() => undefined)
        });
      }
      throw new CommandFailure(
        error instanceof Error ? error.message : String(error),
        { cause: error, actions }
      );
    }
  };

  commands.addCommand(CommandIDs.shareRunCode, {
    label: trans.__('Share Run Code'),
    caption: trans.__(
      "Push the hidden snapshots of this repository's runs to its remote, so teammates can open, compare and restore them"
    ),
    isEnabled: () => model.path !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const path = model.path;
      if (path === null) {
        return;
      }
      const reply = await request<IShareReply>(path, 'runs/share', {
        ...remoteOf(args)
      });
      tell(shareMessage(reply, trans));
      return reply;
    }
  });

  commands.addCommand(CommandIDs.fetchRunCode, {
    label: trans.__('Fetch Run Code'),
    caption: trans.__(
      "Fetch a teammate's run code (its commit or snapshot) from the remote"
    ),
    isEnabled: args => model.path !== null && runIdsOf(args, model).length > 0,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const path = model.path;
      const runIds = runIdsOf(args, model);
      if (path === null || runIds.length === 0) {
        return;
      }
      const reply = await request<IFetchReply>(path, 'runs/fetch', {
        run_ids: runIds,
        ...remoteOf(args)
      });
      tell(fetchMessage(reply, trans));
      await model.refresh();
      return reply;
    }
  });
}

function remoteOf(args: ReadonlyPartialJSONObject): { remote?: string } {
  const remote = args['remote'];
  return typeof remote === 'string' && remote !== '' ? { remote } : {};
}

function runIdsOf(args: ReadonlyPartialJSONObject, model: RunsModel): string[] {
  const given = args['runIds'];
  if (Array.isArray(given)) {
    return given.filter(
      (id): id is string => typeof id === 'string' && id !== ''
    );
  }
  const ids: string[] = [];
  for (const group of model.groups) {
    if (group.commit && !group.known) {
      ids.push(...group.runs.map(run => run.run_id));
    }
  }
  return ids;
}

/**
 * Pushes the snapshot refs after a new snapshot run shows up in the runs
 * panel, when `enabled()` says so (setting `autoShareRunCode`). New: not
 * listed before and started after the notebook was followed (runs of a page
 * loaded later are old); a failed push is reported once, until one succeeds.
 */
/** How far a kernel's clock may lag the browser's (ms). */
const CLOCK_SLACK = 5 * 60 * 1000;

export class AutoShare implements IDisposable {
  constructor(options: {
    model: RunsModel;
    enabled: () => boolean;
    share: () => Promise<unknown>;
    onError: (error: unknown) => void;
    /** The clock run start times are compared with (default Date.now). */
    now?: () => number;
  }) {
    this._options = options;
    this._now = options.now ?? (() => Date.now());
    options.model.stateChanged.connect(this._onChanged, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._options.model.stateChanged.disconnect(this._onChanged, this);
  }

  private _onChanged(): void {
    const { model } = this._options;
    if (model.state !== 'ready' && model.state !== 'empty') {
      return;
    }
    const runs: IRun[] = [];
    for (const group of model.groups) {
      if (group.snapshot) {
        runs.push(...group.runs);
      }
    }
    if (model.path !== this._path) {
      // A notebook followed anew: what it has is not new.
      this._path = model.path;
      this._since = this._now() - CLOCK_SLACK;
      this._seen = new Set(runs.map(run => run.run_id));
      return;
    }
    const fresh = runs.filter(
      run => !this._seen.has(run.run_id) && (run.start_time ?? 0) >= this._since
    );
    runs.forEach(run => this._seen.add(run.run_id));
    if (fresh.length === 0 || !this._options.enabled() || this._pushing) {
      return;
    }
    this._pushing = true;
    this._options
      .share()
      .then(() => {
        this._failed = false;
      })
      .catch(error => {
        if (!this._failed) {
          this._failed = true;
          this._options.onError(error);
        }
      })
      .finally(() => {
        this._pushing = false;
      });
  }

  private _options: {
    model: RunsModel;
    enabled: () => boolean;
    share: () => Promise<unknown>;
    onError: (error: unknown) => void;
  };
  private _now: () => number;
  private _path: string | null = null;
  private _since = 0;
  private _seen = new Set<string>();
  private _pushing = false;
  private _failed = false;
  private _isDisposed = false;
}
