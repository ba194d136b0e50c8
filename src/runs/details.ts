import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { Requester, toRequestFailure } from '../common/api';
import { Task } from '../common/task';
import type { IRun, IRunGroup } from './types';

/**
 * What a run's details compare: the code of a run on unsaved or uncommitted
 * changes (its hidden snapshot) with the commit it started from, or what the
 * commit of a run on a clean tree changed.
 */
export interface IRunDiffRange {
  from: string;
  to: string;
  kind: 'snapshot' | 'commit';
}

/**
 * The {@link IRunDiffRange} of a run, or null when it recorded no commit.
 */
export function diffRange(run: IRun, group: IRunGroup): IRunDiffRange | null {
  const snapshot =
    run.tags['repro.snapshot'] || (group.snapshot ? group.commit : null);
  const base = group.snapshot ? group.parent : group.commit;
  if (snapshot && base && snapshot !== base) {
    return { from: base, to: snapshot, kind: 'snapshot' };
  }
  if (!group.snapshot && group.commit) {
    return { from: `${group.commit}^`, to: group.commit, kind: 'commit' };
  }
  return null;
}

/**
 * The commit a run's code started from: the snapshot's parent for a run on
 * uncommitted changes, else its group's commit.
 */
export function baseCommit(group: IRunGroup): string | null {
  return (group.snapshot ? group.parent : group.commit) || null;
}

/**
 * One diff as the run details show it.
 */
export interface IRunDiff {
  state: 'loading' | 'ready' | 'error';
  /** The output-blind diff text ('' while loading or after an error). */
  text: string;
  hasChanges: boolean;
  /** Why it could not be read. */
  message: string | null;
}

/**
 * `GET /jupyterlab-repro/diff` reply (the parts the details read).
 */
interface IDiffReply {
  text: string;
  has_changes: boolean;
}

/**
 * The output-blind diffs the open run details show, read once per notebook
 * and range (commits and snapshots never change) and forgotten with
 * {@link clear} when another notebook is followed.
 */
export class RunDiffs implements IDisposable {
  constructor(options: { requester: Requester; trans?: TranslationBundle }) {
    this._requester = options.requester;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
  }

  get changed(): ISignal<RunDiffs, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The diff of `range` in the notebook at `path`, if it was asked for. */
  get(path: string, range: IRunDiffRange): IRunDiff | null {
    return this._diffs.get(key(path, range)) ?? null;
  }

  /**
   * Read the diff unless it is loaded or loading; a failed one is read again.
   */
  async load(path: string, range: IRunDiffRange): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const id = key(path, range);
    const known = this._diffs.get(id);
    if (known && known.state !== 'error') {
      return;
    }
    let task = this._tasks.get(id);
    if (!task) {
      task = new Task();
      this._tasks.set(id, task);
    }
    this._set(id, {
      state: 'loading',
      text: '',
      hasChanges: false,
      message: null
    });
    const query =
      `diff?path=${encodeURIComponent(path)}` +
      `&from=${encodeURIComponent(range.from)}` +
      `&to=${encodeURIComponent(range.to)}`;
    await task.load(
      () => this._requester<IDiffReply>(query),
      reply =>
        this._set(id, {
          state: 'ready',
          text: typeof reply?.text === 'string' ? reply.text : '',
          hasChanges: !!reply?.has_changes,
          message: null
        }),
      error =>
        this._set(id, {
          state: 'error',
          text: '',
          hasChanges: false,
          message:
            toRequestFailure(error).message ||
            this._trans.__('Cannot read the diff.')
        })
    );
  }

  /** Forget every diff; replies in flight are dropped. */
  clear(): void {
    for (const task of this._tasks.values()) {
      task.dispose();
    }
    this._tasks.clear();
    if (this._diffs.size > 0) {
      this._diffs.clear();
      this._changed.emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.clear();
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _set(id: string, diff: IRunDiff): void {
    if (this._isDisposed) {
      return;
    }
    this._diffs.set(id, diff);
    this._changed.emit();
  }

  private _requester: Requester;
  private _trans: TranslationBundle;
  private _diffs = new Map<string, IRunDiff>();
  private _tasks = new Map<string, Task>();
  private _isDisposed = false;
  private _changed = new Signal<RunDiffs, void>(this);
}

function key(path: string, range: IRunDiffRange): string {
  return `${path}\n${range.from}\n${range.to}`;
}

/** Tag suffixes after `repro.env.` that are not package versions. */
const ENV_FACTS = [
  'python',
  'platform',
  'cuda',
  'cudnn',
  'gpu',
  'gpu.count',
  'gpu.driver',
  'cuda_visible_devices'
];

/**
 * The environment a run recorded (`repro.env.*`) as label/value pairs:
 * Python and the platform first, then the key packages by name, then CUDA
 * and the GPUs.
 */
export function environmentOf(
  run: IRun,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_repro')
): [string, string][] {
  const prefix = 'repro.env.';
  const facts: Record<string, string> = {};
  const packages: [string, string][] = [];
  for (const [name, value] of Object.entries(run.tags ?? {})) {
    if (!name.startsWith(prefix) || typeof value !== 'string') {
      continue;
    }
    const suffix = name.slice(prefix.length);
    if (ENV_FACTS.includes(suffix)) {
      facts[suffix] = value;
    } else if (suffix) {
      packages.push([suffix, value]);
    }
  }
  packages.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const labels: Record<string, string> = {
    python: trans.__('Python'),
    platform: trans.__('Platform'),
    cuda: trans.__('CUDA'),
    cudnn: trans.__('cuDNN'),
    gpu: trans.__('GPU'),
    'gpu.count': trans.__('GPUs'),
    'gpu.driver': trans.__('GPU driver'),
    cuda_visible_devices: 'CUDA_VISIBLE_DEVICES'
  };
  const head = ['python', 'platform']
    .filter(fact => fact in facts)
    .map((fact): [string, string] => [labels[fact], facts[fact]]);
  const tail = ENV_FACTS.slice(2)
    .filter(fact => fact in facts)
    .map((fact): [string, string] => [labels[fact], facts[fact]]);
  return [...head, ...packages, ...tail];
}
