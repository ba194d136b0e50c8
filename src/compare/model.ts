import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { Requester } from '../common/api';
import { Task } from '../common/task';
import { XAxisMode } from './chartOptions';
import {
  ICellDiff,
  ICodeDiff,
  ICompareReply,
  ICompareRun,
  IParamRow
} from './types';

export * from './types';

/** Most runs one comparison takes (the server's limit). */
export const MAX_COMPARED = 10;

/** Most metrics whose histories one comparison charts (the server's limit). */
export const MAX_CHARTED = 10;

/**
 * Where a comparison stands: `loading` (no reply yet, or a new baseline),
 * `ready`, `error` (the message says why).
 */
export type CompareState = 'loading' | 'ready' | 'error';

/** How the code diff of a cell is shown. */
export type DiffMode = 'side-by-side' | 'unified';

/**
 * What a comparison is of: the runs (2–10, the first is the baseline unless
 * another is chosen), the notebook or folder whose repository holds their
 * code, and the metrics to chart (null: the first ten the runs logged).
 */
export interface ICompareArgs {
  runIds: string[];
  path: string | null;
  metrics?: string[] | null;
}

export interface ICompareModelOptions extends ICompareArgs {
  requester: Requester;
  trans?: TranslationBundle;
  baseline?: string | null;
  /** Read the comparison at once (default true; tests turn it off). */
  autoLoad?: boolean;
  /** The clock the render time is measured with (default performance.now). */
  now?: () => number;
}

/**
 * The run ids of `args` cleaned: strings, no duplicates, in order.
 */
export function cleanRunIds(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const ids: string[] = [];
  for (const id of value) {
    if (typeof id === 'string' && id.trim() !== '' && !ids.includes(id)) {
      ids.push(id);
    }
  }
  return ids;
}

/**
 * The query of `GET runs/compare` for a comparison.
 */
export function compareQuery(
  args: ICompareArgs,
  baseline: string | null
): string {
  const query = new URLSearchParams();
  for (const id of args.runIds) {
    query.append('run_id', id);
  }
  for (const metric of args.metrics ?? []) {
    query.append('metric', metric);
  }
  if (baseline) {
    query.append('baseline', baseline);
  }
  if (args.path) {
    query.append('path', args.path);
  }
  return `runs/compare?${query.toString()}`;
}

/**
 * A label per run: its name, or the start of its id; runs that share a name
 * get the start of their id after it, so charts and legends tell them apart.
 */
export function runLabels(
  runs: readonly Pick<ICompareRun, 'run_id' | 'run_name'>[]
): Map<string, string> {
  const names = runs.map(run => run.run_name || run.run_id.slice(0, 8));
  const counts = new Map<string, number>();
  for (const name of names) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return new Map(
    runs.map((run, i) => [
      run.run_id,
      (counts.get(names[i]) ?? 0) > 1
        ? `${names[i]} (${run.run_id.slice(0, 8)})`
        : names[i]
    ])
  );
}

/** The first seven characters of a commit. */
export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '';
}

/**
 * The parameter rows to show: the differing ones only, unless all are asked
 * for.
 */
export function visibleParams(
  rows: readonly IParamRow[],
  onlyDifferences: boolean
): IParamRow[] {
  return onlyDifferences ? rows.filter(row => row.differs) : [...rows];
}

/**
 * Both sources of a cell for a side-by-side view: the whole sources the
 * server sent for a changed cell, else what its diff lines hold (all `+`
 * for an added cell, all `-` for a removed one); null when neither tells.
 */
export function cellSources(
  cell: ICellDiff
): { old: string; new: string } | null {
  if (
    typeof cell.old_source === 'string' &&
    typeof cell.new_source === 'string'
  ) {
    return { old: cell.old_source, new: cell.new_source };
  }
  const lines = (prefix: string) =>
    cell.source_diff
      .filter(line => line.startsWith(prefix) && !line.startsWith('@@'))
      .map(line => line.slice(1))
      .join('\n');
  if (cell.status === 'added') {
    return { old: '', new: lines('+') };
  }
  if (cell.status === 'removed') {
    return { old: lines('-'), new: '' };
  }
  return null;
}

/** The cells of a code diff worth showing: all but the unchanged ones. */
export function changedCells(code: ICodeDiff): ICellDiff[] {
  return (code.notebook_diff?.cells ?? []).filter(
    cell => cell.status !== 'unchanged'
  );
}

/**
 * One comparison of MLflow runs: the reply of `GET runs/compare` and how the
 * view shows it (baseline, only differences, chart settings, diff mode).
 * The time from a reply's arrival to its charts being drawn is measured
 * (see {@link markRendered}).
 */
export class CompareModel implements IDisposable {
  constructor(options: ICompareModelOptions) {
    this._requester = options.requester;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._now = options.now ?? (() => performance.now());
    this._runIds = cleanRunIds(options.runIds).slice(0, MAX_COMPARED);
    this._path = options.path || null;
    this._metrics = options.metrics
      ? cleanRunIds(options.metrics).slice(0, MAX_CHARTED)
      : null;
    this._baseline = options.baseline ?? null;
    this._task.changed.connect(this._emit, this);
    if (options.autoLoad ?? true) {
      void this.load();
    }
  }

  get state(): CompareState {
    return this._state;
  }

  get reply(): ICompareReply | null {
    return this._reply;
  }

  get message(): string | null {
    return this._message;
  }

  get busy(): boolean {
    return this._task.busy;
  }

  get runIds(): string[] {
    return [...this._runIds];
  }

  get path(): string | null {
    return this._path;
  }

  /** The charted metrics; null until known (the runs' first ten). */
  get metrics(): string[] | null {
    return this._metrics ? [...this._metrics] : null;
  }

  /** The chosen baseline, or null for the server's (the first run). */
  get baseline(): string | null {
    return this._baseline;
  }

  /** What the comparison is of, for a command or a restored layout. */
  get args(): ICompareArgs {
    return {
      runIds: this.runIds,
      path: this._path,
      ...(this._metrics ? { metrics: this.metrics } : {})
    };
  }

  get onlyDifferences(): boolean {
    return this._onlyDifferences;
  }

  get xAxis(): XAxisMode {
    return this._xAxis;
  }

  get logScale(): boolean {
    return this._logScale;
  }

  get smoothing(): number {
    return this._smoothing;
  }

  get diffMode(): DiffMode {
    return this._diffMode;
  }

  /** The runs the legend hides in every chart. */
  get hidden(): ReadonlySet<string> {
    return this._hidden;
  }

  /**
   * The metric of the parallel-coordinates view: the chosen one, else the
   * first charted metric, else the first metric.
   */
  get parallelMetric(): string | null {
    const keys = this._reply?.metrics.map(row => row.key) ?? [];
    if (this._parallelMetric && keys.includes(this._parallelMetric)) {
      return this._parallelMetric;
    }
    const charted = (this._metrics ?? []).find(key => keys.includes(key));
    return charted ?? keys[0] ?? null;
  }

  /**
   * `performance.now()` when the current reply arrived; null once its
   * render was measured (or before any reply).
   */
  get receivedAt(): number | null {
    return this._receivedAt;
  }

  /** Milliseconds from the last reply's arrival to its charts drawn. */
  get renderMs(): number | null {
    return this._renderMs;
  }

  /** How many times the charts were drawn. */
  get renderCount(): number {
    return this._renderCount;
  }

  /** Changes when the lab's theme does: the charts read their colours again. */
  get themeVersion(): number {
    return this._themeVersion;
  }

  /** The lab's theme changed (IThemeManager.themeChanged). */
  themeChanged(): void {
    this._set(() => this._themeVersion++);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<CompareModel, void> {
    return this._stateChanged;
  }

  /**
   * Read the comparison. Without metrics to chart, a second read charts the
   * first ten metrics the runs logged.
   */
  async load(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    if (this._runIds.length < 2) {
      this._state = 'error';
      this._message = this._trans.__('Choose at least two runs to compare.');
      this._emit();
      return;
    }
    if (this._state !== 'ready') {
      this._state = 'loading';
    }
    await this._task.load(
      () =>
        this._requester<ICompareReply>(compareQuery(this.args, this._baseline)),
      reply => {
        this._apply(reply);
      },
      error => {
        this._state = 'error';
        this._message =
          error instanceof Error
            ? error.message
            : this._trans.__('Cannot compare these runs.');
      }
    );
    if (
      this._metrics === null &&
      this._reply !== null &&
      this._state === 'ready' &&
      !this._isDisposed
    ) {
      const keys = this._reply.metrics
        .map(row => row.key)
        .slice(0, MAX_CHARTED);
      this._metrics = keys;
      if (keys.length > 0) {
        await this.load();
      }
    }
  }

  /** Compare against another of the runs (read again). */
  setBaseline(runId: string): void {
    if (!this._runIds.includes(runId) || runId === this.currentBaseline) {
      return;
    }
    this._baseline = runId;
    this._state = 'loading';
    void this.load();
  }

  /** The baseline of the shown reply (or the chosen one while loading). */
  get currentBaseline(): string | null {
    return this._baseline ?? this._reply?.baseline ?? this._runIds[0] ?? null;
  }

  setOnlyDifferences(value: boolean): void {
    this._set(() => (this._onlyDifferences = value));
  }

  setXAxis(value: XAxisMode): void {
    this._set(() => (this._xAxis = value));
  }

  setLogScale(value: boolean): void {
    this._set(() => (this._logScale = value));
  }

  /** TensorBoard-like smoothing weight, 0 … 0.99. */
  setSmoothing(value: number): void {
    const weight = Number.isFinite(value)
      ? Math.min(0.99, Math.max(0, value))
      : 0;
    this._set(() => (this._smoothing = weight));
  }

  setDiffMode(value: DiffMode): void {
    this._set(() => (this._diffMode = value));
  }

  setParallelMetric(metric: string): void {
    this._set(() => (this._parallelMetric = metric));
  }

  /** Show or hide a run in every chart. */
  toggleRun(runId: string): void {
    this._set(() => {
      const hidden = new Set(this._hidden);
      if (hidden.has(runId)) {
        hidden.delete(runId);
      } else {
        hidden.add(runId);
      }
      this._hidden = hidden;
    });
  }

  /**
   * The charts of the current reply are drawn: the first call after a reply
   * records the milliseconds since it arrived and returns them; later calls
   * (a setting changed) return null.
   */
  markRendered(): number | null {
    this._renderCount++;
    if (this._receivedAt === null) {
      return null;
    }
    this._renderMs = Math.max(0, this._now() - this._receivedAt);
    this._receivedAt = null;
    return this._renderMs;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._task.dispose();
    Signal.clearData(this);
  }

  private _apply(reply: ICompareReply): void {
    this._receivedAt = this._now();
    this._reply = reply;
    this._message = null;
    this._state = 'ready';
    const known = new Set(reply.runs.map(run => run.run_id));
    this._hidden = new Set([...this._hidden].filter(id => known.has(id)));
  }

  private _set(change: () => void): void {
    change();
    this._emit();
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._stateChanged.emit();
    }
  }

  private _requester: Requester;
  private _trans: TranslationBundle;
  private _now: () => number;
  private _task = new Task();
  private _runIds: string[];
  private _path: string | null;
  private _metrics: string[] | null;
  private _baseline: string | null;
  private _state: CompareState = 'loading';
  private _reply: ICompareReply | null = null;
  private _message: string | null = null;
  private _onlyDifferences = true;
  private _xAxis: XAxisMode = 'step';
  private _logScale = false;
  private _smoothing = 0;
  private _diffMode: DiffMode = 'side-by-side';
  private _parallelMetric: string | null = null;
  private _hidden: ReadonlySet<string> = new Set();
  private _receivedAt: number | null = null;
  private _renderMs: number | null = null;
  private _renderCount = 0;
  private _themeVersion = 0;
  private _isDisposed = false;
  private _stateChanged = new Signal<CompareModel, void>(this);
}
