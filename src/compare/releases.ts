import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { formatNumber } from '../common/format';
import { INotice } from '../common/notify';
import { Task } from '../common/task';
import { IReproModel } from '../tokens';
import { ITag, ITagsReply } from './types';

/**
 * Where the releases list stands: `idle` (no repository followed),
 * `loading`, `ready`, `empty` (no release tag yet), `error`.
 */
export type ReleasesState = 'idle' | 'loading' | 'ready' | 'empty' | 'error';

/** A release tag as the list shows it. */
export interface IRelease {
  tag: string;
  date: string | null;
  commit: string;
  runId: string;
  runName: string | null;
  /** Up to three `[metric, value]` pairs of the release fields. */
  metrics: [string, string][];
}

/** Metrics a release shows at most. */
const KEY_METRICS = 3;

/**
 * The releases among tags (annotated tags whose message carries a run id),
 * newest first as the server lists them.
 */
export function releasesOf(tags: readonly ITag[]): IRelease[] {
  const releases: IRelease[] = [];
  for (const tag of tags) {
    const fields = tag.release;
    if (!fields || typeof fields['run_id'] !== 'string') {
      continue;
    }
    const metrics = Object.entries(fields)
      .filter(([key]) => key.startsWith('metric.'))
      .slice(0, KEY_METRICS)
      .map(([key, value]): [string, string] => [
        key.slice('metric.'.length),
        metricText(value)
      ]);
    releases.push({
      tag: tag.name,
      date: tag.date,
      commit: tag.commit,
      runId: fields['run_id'],
      runName: fields['run_name'] ?? null,
      metrics
    });
  }
  return releases;
}

/**
 * A metric of a release's fields as the list shows it: a number in four
 * significant digits (the tag keeps every digit), anything else as it is.
 */
function metricText(value: unknown): string {
  const text = String(value);
  const number = text.trim() === '' ? NaN : Number(text);
  return Number.isFinite(number) ? formatNumber(number) : text;
}

/**
 * The release tags of the followed repository (`GET tags`), read again when
 * the followed path or its HEAD changes and after a release.
 */
export class ReleasesModel implements IDisposable {
  constructor(options: {
    requester: Requester;
    repro?: IReproModel | null;
    trans?: TranslationBundle;
  }) {
    this._requester = options.requester;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._repro = options.repro ?? null;
    this._task.changed.connect(this._emit, this);
    if (this._repro) {
      this._repro.stateChanged.connect(this._follow, this);
      this._follow();
    }
  }

  get state(): ReleasesState {
    return this._state;
  }

  get releases(): readonly IRelease[] {
    return this._releases;
  }

  get message(): string | null {
    return this._message;
  }

  get busy(): boolean {
    return this._task.busy;
  }

  /** The path whose repository is listed, or null. */
  get path(): string | null {
    return this._path;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<ReleasesModel, void> {
    return this._stateChanged;
  }

  /** List the release tags of the repository holding `path` (null: none). */
  setPath(path: string | null, key: string | null = path): void {
    if (key === this._key && path === this._path) {
      return;
    }
    const moved = path !== this._path;
    this._path = path;
    this._key = key;
    if (path === null) {
      this._task.invalidate();
      this._releases = [];
      this._message = null;
      this._state = 'idle';
      this._emit();
      return;
    }
    if (moved) {
      this._task.invalidate();
      this._releases = [];
      this._state = 'loading';
    }
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const path = this._path;
    if (this._isDisposed || path === null) {
      return;
    }
    await this._task.load(
      () =>
        this._requester<ITagsReply>(`tags?path=${encodeURIComponent(path)}`),
      reply => {
        this._releases = releasesOf(reply.tags ?? []);
        this._message = null;
        this._state = this._releases.length > 0 ? 'ready' : 'empty';
      },
      error => {
        this._releases = [];
        this._state = 'error';
        this._message =
          error instanceof Error
            ? error.message
            : this._trans.__('Cannot list the release tags.');
      }
    );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._task.dispose();
    if (this._repro) {
      this._repro.stateChanged.disconnect(this._follow, this);
    }
    Signal.clearData(this);
  }

  private _follow(): void {
    const repro = this._repro;
    if (!repro) {
      return;
    }
    const status = repro.status;
    const repository =
      status && status.path === repro.path ? status.repository : null;
    if (!repository || !repository.has_commits) {
      if (repro.state !== 'loading') {
        this.setPath(null);
      }
      return;
    }
    // The same repository and HEAD: nothing new to list (tags made here
    // call refresh themselves).
    const key = `${repository.root ?? ''}\n${repository.head?.sha ?? ''}`;
    const sameRepository =
      this._path !== null && this._key?.split('\n')[0] === repository.root;
    this.setPath(sameRepository ? this._path : repro.path, key);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._stateChanged.emit();
    }
  }

  private _requester: Requester;
  private _trans: TranslationBundle;
  private _repro: IReproModel | null;
  private _task = new Task();
  private _path: string | null = null;
  private _key: string | null = null;
  private _state: ReleasesState = 'idle';
  private _releases: IRelease[] = [];
  private _message: string | null = null;
  private _isDisposed = false;
  private _stateChanged = new Signal<ReleasesModel, void>(this);
}

/**
 * What clicking a release in the Releases section does: tick its run in the
 * Runs section and bring that run into view; when the run is not among the
 * loaded runs, say so.
 */
export function releaseSelector(options: {
  /** Tick a loaded run; false when it is not loaded (or cannot be ticked). */
  select: (runId: string) => boolean;
  /** Bring the run's row of the Runs section into view. */
  focus: (runId: string) => void;
  notify: (notice: INotice) => void;
  trans: TranslationBundle;
}): (release: IRelease) => void {
  const { trans } = options;
  return release => {
    if (options.select(release.runId)) {
      options.focus(release.runId);
    } else {
      options.notify({
        type: 'info',
        message: trans.__(
          'The run of release %1 (%2) is not among the loaded runs of this notebook.',
          release.tag,
          release.runName ?? release.runId
        ),
        autoClose: 6000
      });
    }
  };
}

/** The part of the command registry {@link refreshOnRelease} uses. */
export interface ICommandsExecuted {
  readonly commandExecuted: ISignal<
    unknown,
    { readonly id: string; readonly result: Promise<any> }
  >;
}

/**
 * Read the releases again after a run was released (the release-run
 * command resolved with the release; null when it was cancelled).
 * Disposing the result stops it.
 */
export function refreshOnRelease(
  commands: ICommandsExecuted,
  releases: { refresh(): Promise<void> }
): IDisposable {
  const onExecuted = (
    _: unknown,
    executed: { readonly id: string; readonly result: Promise<any> }
  ) => {
    if (executed.id !== CommandIDs.releaseRun) {
      return;
    }
    executed.result.then(
      reply => {
        if (reply) {
          void releases.refresh();
        }
      },
      () => undefined
    );
  };
  commands.commandExecuted.connect(onExecuted);
  return new DisposableDelegate(() => {
    commands.commandExecuted.disconnect(onExecuted);
  });
}
