import { PathExt } from '@jupyterlab/coreutils';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IRequestFailure, ReproRequestError, Requester } from '../common/api';
import { Task } from '../common/task';
import { INotebookVersion, parseHistoryPath } from './drive';

/**
 * A notebook as it was, open in the lab.
 */
export interface IHistoryDocument {
  /** Its path in the ReproHistory drive (the document's path). */
  documentPath: string;
  /** The notebook it is a version of (server path). */
  path: string;
  /** The full sha of the commit or snapshot it shows. */
  commit: string;
  /** `train.ipynb @ a1b2c3d`. */
  label: string;
  /** Whether it is a run's hidden snapshot; null until the drive read it. */
  snapshot: boolean | null;
  /** The run it was opened for, when it was opened from a run. */
  runId: string | null;
  runName: string | null;
  /**
   * What the run's code had that its commit lacks, when it was opened from
   * a run: cells ran unsaved (`repro.unsaved`), the file had uncommitted
   * changes (`repro.git.dirty`). Null: not known.
   */
  unsaved?: boolean | null;
  uncommitted?: boolean | null;
}

/**
 * The run whose code a command restores (a run's context menu or its
 * details): the notebook (server path) and the code it ran.
 */
export interface IRunCode {
  path: string;
  /** The run's commit, or its hidden snapshot. */
  commit: string;
  runId?: string | null;
  runName?: string | null;
  unsaved?: boolean | null;
  uncommitted?: boolean | null;
}

/**
 * Outputs a restore kept aside (a git stash entry) so that it could switch.
 */
export interface IKeptOutputs {
  /** The stash commit. */
  commit: string;
  /** `stash@{N}` when it was made or listed. */
  ref: string;
  /** The branch they were kept on (null: a detached HEAD). */
  branch: string | null;
  /** Server paths of the notebooks whose outputs they are. */
  files: string[];
  message: string;
  /** Whether they can come back onto the code checked out now (listing only). */
  ready?: boolean | null;
  reason?: string | null;
}

/** How a run's code is restored. */
export type RestoreMode = 'branch' | 'copy';

/**
 * `POST /jupyterlab-repro/runs/restore` reply.
 */
export interface IRestoreReply {
  /** The branch made (branch mode). */
  branch: string | null;
  /** The commit it points at (for a snapshot: a commit of its tree). */
  commit: string;
  /** Whether the branch was checked out. */
  checked_out: boolean;
  /** Why it was not checked out. */
  reason: string | null;
  /** The working copy written (copy mode), as a server path. */
  copy: string | null;
  /** The branch was there already, at this code (the same run restored again). */
  reused: boolean;
  /** Outputs put aside so the switch could happen (a git stash entry), if any. */
  kept_outputs: IKeptOutputs | null;
  /** Server paths of the files the switch changed. */
  changed_files: string[];
  /** Notebooks that were the run's code plus outputs: they kept them on the branch. */
  carried_outputs: string[];
}

/**
 * The last restore of the current document, as the sidebar shows it.
 */
export interface IRestoreOutcome {
  mode: RestoreMode;
  documentPath: string;
  reply: IRestoreReply;
}

/**
 * The notebook as it was that is the active document (if one is), the run
 * each open one was opened for, and restoring its code as a branch or as a
 * working copy (`POST runs/restore`).
 */
export class HistoryModel implements IDisposable {
  constructor(options: HistoryModel.IOptions) {
    this._requester = options.requester;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._versionOf = options.versionOf ?? (() => null);
    this._task.changed.connect(this._emit, this);
  }

  /** The active notebook as it was, or null. */
  get current(): IHistoryDocument | null {
    return this._current;
  }

  get busy(): boolean {
    return this._task.busy;
  }

  /** The failure of the last restore. */
  get error(): IRequestFailure | null {
    return this._task.error;
  }

  /** The last restore's outcome while its document is the current one. */
  get outcome(): IRestoreOutcome | null {
    const outcome = this._outcome;
    return outcome && outcome.documentPath === this._current?.documentPath
      ? outcome
      : null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<HistoryModel, void> {
    return this._stateChanged;
  }

  /** Remember which run a notebook as it was was opened for. */
  remember(
    documentPath: string,
    run: {
      runId?: string | null;
      runName?: string | null;
      unsaved?: boolean | null;
      uncommitted?: boolean | null;
    }
  ): void {
    this._runs.set(documentPath, {
      runId: run.runId || null,
      runName: run.runName || null,
      unsaved: run.unsaved ?? null,
      uncommitted: run.uncommitted ?? null
    });
    if (this._current?.documentPath === documentPath) {
      this.setCurrent(documentPath);
    }
  }

  /**
   * What a document path of the ReproHistory drive shows, or null when it
   * is no such path.
   */
  describe(documentPath: string): IHistoryDocument | null {
    const parsed = parseHistoryPath(documentPath);
    if (!parsed) {
      return null;
    }
    const version = this._versionOf(documentPath);
    const run = this._runs.get(documentPath);
    return {
      documentPath,
      path: parsed.path,
      commit: version?.commit ?? parsed.commit,
      label:
        version?.label ??
        `${PathExt.basename(parsed.path)} @ ${parsed.commit.slice(0, 7)}`,
      snapshot: version ? version.snapshot : null,
      runId: run?.runId ?? null,
      runName: run?.runName ?? null,
      unsaved: run?.unsaved ?? null,
      uncommitted: run?.uncommitted ?? null
    };
  }

  /** A run's code as a document the restore commands work on (not an open one). */
  ofRun(run: IRunCode): IHistoryDocument {
    return {
      documentPath: '',
      path: run.path,
      commit: run.commit,
      label: `${PathExt.basename(run.path)} @ ${run.commit.slice(0, 7)}`,
      snapshot: null,
      runId: run.runId || null,
      runName: run.runName || null,
      unsaved: run.unsaved ?? null,
      uncommitted: run.uncommitted ?? null
    };
  }

  /** Follow the active document (a ReproHistory path), or none. */
  setCurrent(documentPath: string | null): void {
    const next = documentPath === null ? null : this.describe(documentPath);
    const previous = this._current;
    if (
      previous === next ||
      (previous !== null &&
        next !== null &&
        JSON.stringify(previous) === JSON.stringify(next))
    ) {
      return;
    }
    this._current = next;
    if (previous?.documentPath !== next?.documentPath) {
      this._task.clearError();
    }
    this._stateChanged.emit();
  }

  /**
   * Restore the code of a notebook as it was: `branch` makes `exp/<run
   * name>` at it and switches to it when none of `openPaths` (server paths
   * of the notebooks open in the lab) would change; `copy` writes it as a
   * new notebook beside the original. Throws with the server's message.
   */
  async restore(
    document: IHistoryDocument,
    mode: RestoreMode,
    openPaths: string[] = []
  ): Promise<IRestoreReply> {
    const body: Record<string, unknown> = {
      path: document.path,
      commit: document.commit,
      mode,
      name: document.runName ?? '',
      run_id: document.runId ?? ''
    };
    if (mode === 'branch') {
      body.open_paths = openPaths;
    }
    const reply = await this._task.run(async () => {
      const answer = await this._requester<IRestoreReply>('runs/restore', {
        method: 'POST',
        body: JSON.stringify(body)
      });
      if (!answer || typeof answer !== 'object') {
        throw new ReproRequestError(
          this._trans.__('The server did not say what it restored.'),
          500,
          'bad-reply'
        );
      }
      if (mode === 'copy' && typeof answer.copy !== 'string') {
        throw new ReproRequestError(
          this._trans.__('The server did not say where it wrote the copy.'),
          500,
          'bad-reply'
        );
      }
      return {
        branch: typeof answer.branch === 'string' ? answer.branch : null,
        commit: String(answer.commit ?? ''),
        checked_out: !!answer.checked_out,
        reason: typeof answer.reason === 'string' ? answer.reason : null,
        copy: typeof answer.copy === 'string' ? answer.copy : null,
        reused: !!answer.reused,
        kept_outputs: keptOutputs(answer.kept_outputs),
        changed_files: strings(answer.changed_files),
        carried_outputs: strings(answer.carried_outputs)
      };
    });
    if (!this._isDisposed) {
      this._outcome = { mode, documentPath: document.documentPath, reply };
      this._stateChanged.emit();
    }
    return reply;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._task.dispose();
    Signal.clearData(this);
  }

  private _emit(): void {
    this._stateChanged.emit();
  }

  private _requester: Requester;
  private _trans: TranslationBundle;
  private _versionOf: (documentPath: string) => INotebookVersion | null;
  /** Restores (one at a time is what the sidebar offers). */
  private _task = new Task();
  private _current: IHistoryDocument | null = null;
  private _outcome: IRestoreOutcome | null = null;
  private _runs = new Map<
    string,
    {
      runId: string | null;
      runName: string | null;
      unsaved: boolean | null;
      uncommitted: boolean | null;
    }
  >();
  private _isDisposed = false;
  private _stateChanged = new Signal<HistoryModel, void>(this);
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((f): f is string => typeof f === 'string')
    : [];
}

/**
 * Kept outputs as the server described them, or null when it did not.
 */
export function keptOutputs(value: unknown): IKeptOutputs | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const kept = value as Partial<IKeptOutputs>;
  if (typeof kept.commit !== 'string' || !Array.isArray(kept.files)) {
    return null;
  }
  return {
    commit: kept.commit,
    ref: typeof kept.ref === 'string' ? kept.ref : '',
    branch: typeof kept.branch === 'string' ? kept.branch : null,
    files: kept.files.filter((f): f is string => typeof f === 'string'),
    message: typeof kept.message === 'string' ? kept.message : '',
    ready: typeof kept.ready === 'boolean' ? kept.ready : null,
    reason: typeof kept.reason === 'string' ? kept.reason : null
  };
}

export namespace HistoryModel {
  export interface IOptions {
    requester: Requester;
    /** The version a document path shows, when the drive read it. */
    versionOf?: (documentPath: string) => INotebookVersion | null;
    trans?: TranslationBundle;
  }
}
