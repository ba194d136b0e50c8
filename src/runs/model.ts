import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ReproRequestError, Requester } from '../common/api';
import { Task } from '../common/task';
import { IReproModel } from '../tokens';
import { RunDiffs } from './details';
import { ISortState, nextMetricSort } from './labels';
import {
  IRun,
  IRunGroup,
  IRunRef,
  IRunsReply,
  ITrackingInfo,
  RunStatus
} from './types';

export * from './types';

/**
 * Where the runs section stands.
 *
 * `idle`: no notebook followed; `empty`: the notebook has no runs;
 * `unavailable`: the tracking store cannot be reached (503), retried on the
 * next refresh.
 */
export type RunsState =
  'idle' | 'loading' | 'ready' | 'empty' | 'unavailable' | 'error';

/**
 * Options to build a {@link RunsModel}.
 */
export interface IRunsModelOptions {
  requester: Requester;
  /** Follow the sidebar's path (only notebooks are listed). */
  repro?: IReproModel | null;
  /** Metric columns to show; empty: the most common metrics. */
  metricColumns?: string[];
  /** Runs per page (default 50). */
  pageSize?: number;
  /** Seconds between polls while a run is live (default 5). */
  activeInterval?: number;
  /** Seconds between polls otherwise (default 60). */
  idleInterval?: number;
  /** Start polling at once (default true; tests turn it off). */
  autoStart?: boolean;
  /**
   * Milliseconds {@link RunsModel.refreshSoon} waits for more executions
   * before it reads the runs (default 400).
   */
  liveDelay?: number;
  /**
   * Milliseconds after that read before one more (default 1200): a store
   * may list a run a moment after it ended (the server caches MLflow's
   * experiment list briefly, a remote tracking server may lag). 0: none.
   */
  catchUpDelay?: number;
  /** Translates the messages the model writes itself. */
  trans?: TranslationBundle;
}

/**
 * How the runs of each group are ordered: by a metric, or (null) as the
 * server lists them, newest first.
 */
export type IRunsSort = ISortState;

/** Statuses that change soon, so the list is polled often. */
const LIVE_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  'RUNNING',
  'SCHEDULED'
]);

/** Most runs one request may ask for (the server's limit). */
const MAX_PAGE = 1000;

/** Metric columns chosen when none are configured. */
const AUTO_METRIC_COLUMNS = 3;

/**
 * The MLflow runs of the followed notebook, grouped by the commit that ran.
 *
 * Pages are appended with {@link loadMore} (groups continuing on the next
 * page are merged by key); a poll refreshes the loaded runs every few seconds
 * while one of them is live, else every minute, and stands by while the page
 * is hidden.
 */
export class RunsModel implements IDisposable {
  constructor(options: IRunsModelOptions) {
    this._requester = options.requester;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._task = new Task({ debounce: Math.max(0, options.liveDelay ?? 400) });
    this._catchUpDelay = Math.max(0, options.catchUpDelay ?? 1200);
    this._catchUp = new Task({ debounce: this._catchUpDelay });
    this._task.changed.connect(this._onTaskChanged, this);
    this._diffs = new RunDiffs({
      requester: this._requester,
      trans: this._trans
    });
    this._configuredColumns = cleanColumns(options.metricColumns ?? []);
    this._pageSize = Math.min(MAX_PAGE, Math.max(1, options.pageSize ?? 50));
    this._activeInterval = seconds(options.activeInterval ?? 5);
    this._idleInterval = seconds(options.idleInterval ?? 60);
    this._poll = new Poll({
      factory: () => this._tick(),
      frequency: frequency(this._idleInterval),
      name: 'jupyterlab-repro:runs',
      standby: 'when-hidden',
      auto: false
    });
    this._repro = options.repro ?? null;
    if (this._repro) {
      this._repro.stateChanged.connect(this._followRepro, this);
    }
    if (options.autoStart ?? true) {
      void this._poll.start();
    }
    if (this._repro) {
      this._followRepro();
    }
  }

  get state(): RunsState {
    return this._state;
  }

  /** The followed notebook (server path), or null. */
  get path(): string | null {
    return this._path;
  }

  /** Every loaded group, newest first. */
  get groups(): readonly IRunGroup[] {
    return this._groups;
  }

  /**
   * The loaded groups narrowed by {@link filter} (groups without a match
   * dropped), each group's runs in the {@link sort} order.
   */
  get visibleGroups(): readonly IRunGroup[] {
    const terms = this._filter.toLowerCase().split(/\s+/).filter(Boolean);
    const sort = this._sort;
    if (terms.length === 0 && sort === null) {
      return this._groups;
    }
    const result: IRunGroup[] = [];
    for (const group of this._groups) {
      const head = groupText(group);
      let runs = group.runs.filter(run => {
        const text = head + '\n' + runText(run);
        return terms.every(term => text.includes(term));
      });
      if (sort !== null) {
        runs = sortRuns(runs, sort);
      }
      if (runs.length > 0) {
        result.push({ ...group, runs });
      }
    }
    return result;
  }

  /** The metric the runs are sorted by, or null (newest first). */
  get sort(): IRunsSort | null {
    return this._sort;
  }

  /** The diffs the open run details show. */
  get diffs(): RunDiffs {
    return this._diffs;
  }

  get runCount(): number {
    return this._groups.reduce((n, g) => n + g.runs.length, 0);
  }

  get tracking(): ITrackingInfo | null {
    return this._tracking;
  }

  /**
   * Other MLflow stores in the notebook's folder (server paths): where a
   * kernel without a tracking URI of its own logged.
   */
  get otherStores(): readonly string[] {
    return this._otherStores;
  }

  get hasMore(): boolean {
    return this._nextPageToken !== null;
  }

  /** The error or unavailability message of the last request. */
  get message(): string | null {
    return this._message;
  }

  get busy(): boolean {
    return this._task.busy;
  }

  get filter(): string {
    return this._filter;
  }

  /** Whether a loaded run is running or scheduled. */
  get hasLiveRuns(): boolean {
    return this._groups.some(g =>
      g.runs.some(r => LIVE_STATUSES.has(r.status))
    );
  }

  /** Milliseconds between polls right now. */
  get pollInterval(): number {
    return this._poll.frequency.interval;
  }

  /**
   * The metric columns: the configured ones, else the up-to-three metric
   * keys most runs report (ties alphabetical).
   */
  get metricColumns(): string[] {
    if (this._configuredColumns.length > 0) {
      return [...this._configuredColumns];
    }
    return this.metricKeys.slice(0, AUTO_METRIC_COLUMNS);
  }

  /** The metric columns the settings name (`runsMetricColumns`). */
  get configuredMetricColumns(): string[] {
    return [...this._configuredColumns];
  }

  /**
   * Every metric key of the loaded runs, those most runs report first
   * (ties alphabetical).
   */
  get metricKeys(): string[] {
    const counts = new Map<string, number>();
    for (const group of this._groups) {
      for (const run of group.runs) {
        for (const key of Object.keys(run.metrics ?? {})) {
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([key]) => key);
  }

  /**
   * The one metric the compact list shows: the one picked (while the runs
   * report it), else the first metric column; null when no run has one.
   */
  get metric(): string | null {
    const keys = this.metricKeys;
    if (this._metric !== null && keys.includes(this._metric)) {
      return this._metric;
    }
    const first = this.metricColumns[0];
    if (first !== undefined && keys.includes(first)) {
      return first;
    }
    return keys[0] ?? this._configuredColumns[0] ?? null;
  }

  /**
   * Show this metric in the compact list (null: the default). A sort by
   * the previous metric moves to this one, best runs first.
   */
  setMetric(metric: string | null): void {
    const key = metric && metric.trim() ? metric.trim() : null;
    if (key === this._metric) {
      return;
    }
    const before = this.metric;
    this._metric = key;
    const after = this.metric;
    if (this._sort !== null && this._sort.column === before && after) {
      this._sort = nextMetricSort(null, after);
    }
    this._stateChanged.emit();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<RunsModel, void> {
    return this._stateChanged;
  }

  /**
   * Follow a notebook (server path). Anything but a `.ipynb` path, or null,
   * leaves the section idle.
   */
  setPath(path: string | null): void {
    const next = path !== null && /\.ipynb$/i.test(path) ? path : null;
    if (next === this._path) {
      return;
    }
    this._path = next;
    this._task.invalidate();
    this._catchUp.invalidate();
    this._diffs.clear();
    this._groups = [];
    this._nextPageToken = null;
    this._tracking = null;
    this._otherStores = [];
    this._message = null;
    this._state = next === null ? 'idle' : 'loading';
    this._updateFrequency();
    this._stateChanged.emit();
    if (next !== null) {
      void this.refresh();
    }
  }

  /**
   * Narrow the shown runs to those whose name, id, experiment, parameters,
   * metric names or commit (sha, subject, branch) contain every word.
   */
  setFilter(text: string): void {
    if (text === this._filter) {
      return;
    }
    this._filter = text;
    this._stateChanged.emit();
  }

  /**
   * Sort each group's runs by a metric: best first (lowest first for a
   * loss, highest first for the rest), then worst first, then back to
   * newest first. Runs without the metric come last.
   */
  toggleSort(column: string): void {
    this._sort = nextMetricSort(this._sort, column);
    this._stateChanged.emit();
  }

  /** Sort by a metric in one direction, or (null) newest first again. */
  setSort(sort: IRunsSort | null): void {
    this._sort = sort ? { ...sort } : null;
    this._stateChanged.emit();
  }

  /** A loaded run and its group, by run id. */
  findRun(runId: string): { run: IRun; group: IRunGroup } | null {
    for (const group of this._groups) {
      const run = group.runs.find(r => r.run_id === runId);
      if (run) {
        return { run, group };
      }
    }
    return null;
  }

  /**
   * Read the runs again shortly, once executions stop coming (the followed
   * notebook's kernel went idle after running cells), and once more a
   * moment later: a run that finished shows up without waiting for the
   * next poll, even from a store that lists it a little late.
   */
  refreshSoon(): void {
    if (this._isDisposed || this._path === null) {
      return;
    }
    this._catchUp.invalidate();
    this._task.schedule(() => {
      void this.refresh().then(() => {
        if (this._catchUpDelay > 0 && !this._isDisposed) {
          this._catchUp.schedule(() => void this.refresh());
        }
      });
    });
  }

  /** Configure the metric columns (empty: choose automatically). */
  setMetricColumns(columns: string[]): void {
    this._configuredColumns = cleanColumns(columns);
    this._stateChanged.emit();
  }

  /**
   * Read the followed notebook's runs again: as many as are loaded (at
   * least one page). Replies to superseded requests are dropped.
   */
  async refresh(): Promise<void> {
    if (this._isDisposed || this._path === null) {
      return;
    }
    const count = Math.min(MAX_PAGE, Math.max(this._pageSize, this.runCount));
    if (this._state !== 'ready' && this._state !== 'empty') {
      this._state = 'loading';
    }
    await this._request(this._path, count, null, reply => {
      this._groups = reply.groups.map(copyGroup);
    });
  }

  /**
   * Append the next page, merging a group that continues into it.
   */
  async loadMore(): Promise<void> {
    const token = this._nextPageToken;
    if (this._isDisposed || this._path === null || token === null) {
      return;
    }
    if (this.busy) {
      return;
    }
    await this._request(this._path, this._pageSize, token, reply => {
      this._groups = mergeGroups(this._groups, reply.groups);
    });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this._task.dispose();
    this._catchUp.dispose();
    this._diffs.dispose();
    if (this._repro) {
      this._repro.stateChanged.disconnect(this._followRepro, this);
    }
    Signal.clearData(this);
  }

  private async _request(
    path: string,
    count: number,
    token: string | null,
    apply: (reply: IRunsReply) => void
  ): Promise<void> {
    let query = `runs?path=${encodeURIComponent(path)}&max_results=${count}`;
    if (token !== null) {
      query += `&page_token=${encodeURIComponent(token)}`;
    }
    await this._task.load(
      () => this._requester<IRunsReply>(query),
      reply => {
        apply(reply);
        this._tracking = reply.tracking ?? null;
        this._otherStores = Array.isArray(reply.other_stores)
          ? reply.other_stores.filter(s => typeof s === 'string')
          : [];
        this._nextPageToken = reply.next_page_token || null;
        this._message = null;
        this._state = this._groups.length > 0 ? 'ready' : 'empty';
      },
      error => this._applyError(error)
    );
  }

  private _onTaskChanged(): void {
    this._updateFrequency();
    this._stateChanged.emit();
  }

  private _applyError(error: unknown): void {
    const status = error instanceof ReproRequestError ? error.status : -1;
    const message =
      error instanceof Error
        ? error.message
        : this._trans.__('Unknown error reading runs.');
    if (status === 503) {
      // Keep what was loaded: the store may come back on the next refresh.
      this._state = 'unavailable';
      this._message = message;
      return;
    }
    this._state = 'error';
    this._message = message;
    this._groups = [];
    this._nextPageToken = null;
  }

  private _updateFrequency(): void {
    // A store that failed is asked again at the slow pace only.
    const live = this._state === 'ready' && this.hasLiveRuns;
    const interval = live ? this._activeInterval : this._idleInterval;
    if (interval === this._poll.frequency.interval) {
      return;
    }
    this._poll.frequency = frequency(interval);
    const phase = this._poll.state.phase;
    if (
      phase !== 'constructed' &&
      phase !== 'stopped' &&
      phase !== 'disposed'
    ) {
      // The next tick was timed with the old interval: time it anew.
      void this._poll.schedule({ interval, phase: 'resolved' });
    }
  }

  private async _tick(): Promise<void> {
    if (this._path !== null && !this.busy) {
      await this.refresh();
    }
  }

  private _followRepro(): void {
    if (this._repro) {
      this.setPath(this._repro.path);
    }
  }

  private _requester: Requester;
  private _trans: TranslationBundle;
  /**
   * Page reads: a reply for a notebook no longer followed is dropped; its
   * debounce times {@link refreshSoon}.
   */
  private _task: Task;
  /** Times the one read {@link refreshSoon} makes after its own. */
  private _catchUp: Task;
  private _catchUpDelay: number;
  private _diffs: RunDiffs;
  private _sort: IRunsSort | null = null;
  private _metric: string | null = null;
  private _repro: IReproModel | null;
  private _configuredColumns: string[];
  private _pageSize: number;
  private _activeInterval: number;
  private _idleInterval: number;
  private _poll: Poll;
  private _path: string | null = null;
  private _state: RunsState = 'idle';
  private _groups: IRunGroup[] = [];
  private _tracking: ITrackingInfo | null = null;
  private _otherStores: string[] = [];
  private _nextPageToken: string | null = null;
  private _message: string | null = null;
  private _filter = '';
  private _isDisposed = false;
  private _stateChanged = new Signal<RunsModel, void>(this);
}

/**
 * The commit whose notebook a run used: its hidden snapshot when it ran on
 * uncommitted changes, else its group's commit.
 */
export function commitOf(ref: IRunRef): string | null {
  return ref.run?.tags['repro.snapshot'] || ref.group.commit || null;
}

function mergeGroups(
  groups: IRunGroup[],
  page: readonly IRunGroup[]
): IRunGroup[] {
  const merged = groups.map(copyGroup);
  const byKey = new Map(merged.map(g => [g.key, g]));
  for (const group of page) {
    const existing = byKey.get(group.key);
    if (existing) {
      const seen = new Set(existing.runs.map(r => r.run_id));
      existing.runs.push(...group.runs.filter(r => !seen.has(r.run_id)));
    } else {
      const copy = copyGroup(group);
      merged.push(copy);
      byKey.set(copy.key, copy);
    }
  }
  return merged;
}

function copyGroup(group: IRunGroup): IRunGroup {
  return { ...group, runs: [...(group.runs ?? [])] };
}

/** What a filter word is looked for in, for a group (lower case). */
export function groupText(group: IRunGroup): string {
  return [
    group.commit,
    group.subject,
    group.branch,
    group.parent,
    group.parent_subject
  ]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
}

/** What a filter word is looked for in, for a run (lower case). */
export function runText(run: IRun): string {
  const parts: (string | null)[] = [
    run.run_name,
    run.run_id,
    run.experiment_name,
    run.user,
    run.status
  ];
  for (const [key, value] of Object.entries(run.params ?? {})) {
    parts.push(`${key}=${value}`);
  }
  parts.push(...Object.keys(run.metrics ?? {}));
  return parts.filter(Boolean).join('\n').toLowerCase();
}

function sortRuns(runs: IRun[], sort: IRunsSort): IRun[] {
  const value = (run: IRun): number | null => {
    const v = run.metrics?.[sort.column];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  // Stable: runs with equal (or no) values keep the server's order.
  return runs
    .map((run, index) => ({ run, index, value: value(run) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) {
        return a.value === b.value
          ? a.index - b.index
          : a.value === null
            ? 1
            : -1;
      }
      const order = sort.descending ? b.value - a.value : a.value - b.value;
      return order || a.index - b.index;
    })
    .map(item => item.run);
}

function cleanColumns(columns: string[]): string[] {
  const result: string[] = [];
  for (const column of columns) {
    const key = typeof column === 'string' ? column.trim() : '';
    if (key && !result.includes(key)) {
      result.push(key);
    }
  }
  return result;
}

function seconds(value: number): number {
  return Math.max(1, value) * 1000;
}

function frequency(interval: number) {
  return { interval, backoff: true, max: Math.max(interval, 300 * 1000) };
}
