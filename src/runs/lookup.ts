import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { IReproRunCandidate, IReproRunCode, IReproRuns } from '../tokens';
import { commitOf } from './model';
import { IRun, IRunGroup } from './types';

/** The loaded runs the lookups read (a RunsModel fits). */
export interface ILoadedRuns {
  /** The followed notebook (server path). */
  readonly path: string | null;
  readonly groups: readonly IRunGroup[];
  /** The metric columns shown, in order. */
  readonly metricColumns: string[];
  findRun(runId: string): { run: IRun; group: IRunGroup } | null;
}

/** A run as the compare commands offer it: its name and what its code is. */
export type IRunCandidate = IReproRunCandidate;

/**
 * The hidden snapshot a run's code was recorded in (its `repro.snapshot`
 * tag), null for a run on committed code.
 */
export function snapshotOf(run: IRun): string | null {
  return run.tags?.['repro.snapshot'] || null;
}

/** A loaded run as the compare picker shows it, null when not loaded. */
export function candidateRun(
  runs: ILoadedRuns,
  runId: string,
  trans: TranslationBundle
): IRunCandidate | null {
  const found = runs.findRun(runId);
  if (!found) {
    return null;
  }
  const { run, group } = found;
  const snapshot = snapshotOf(run);
  const code = snapshot
    ? trans.__('snapshot %1', snapshot.slice(0, 7))
    : (group.short_sha ?? '');
  return {
    runId,
    label: run.run_name || runId.slice(0, 8),
    detail: [code, group.subject ?? ''].filter(Boolean).join(' ')
  };
}

/** Every other loaded run, in the list's order, as candidates. */
export function otherCandidates(
  runs: ILoadedRuns,
  runId: string,
  trans: TranslationBundle
): IRunCandidate[] {
  return ([] as IRun[])
    .concat(...runs.groups.map(group => group.runs))
    .filter(run => run.run_id !== runId)
    .map(run => candidateRun(runs, run.run_id, trans))
    .filter((run): run is IRunCandidate => run !== null);
}

/**
 * The metrics to chart for a comparison of loaded runs: the runs panel's
 * metric columns they report, in the panel's order, then their other
 * metrics alphabetically; null when they report none (or are not loaded).
 */
export function comparedMetrics(
  runs: ILoadedRuns,
  runIds: readonly string[]
): string[] | null {
  const keys = new Set<string>();
  for (const id of runIds) {
    Object.keys(runs.findRun(id)?.run.metrics ?? {}).forEach(key =>
      keys.add(key)
    );
  }
  if (keys.size === 0) {
    return null;
  }
  const columns = runs.metricColumns.filter(key => keys.has(key));
  const rest = [...keys].filter(key => !columns.includes(key)).sort();
  return [...columns, ...rest];
}

/** The code of a loaded run, as "Restore…" and "open at commit" take it. */
export type IRunCodeRef = IReproRunCode;

/** The code of the loaded run `runId`, null when unknown or without code. */
export function runCode(
  runs: ILoadedRuns,
  runId: string | null | undefined
): IRunCodeRef | null {
  const found = runId ? runs.findRun(runId) : null;
  const commit = found ? commitOf({ path: runs.path ?? '', ...found }) : null;
  return found && commit && runs.path
    ? {
        path: runs.path,
        commit,
        runId: found.run.run_id,
        runName: found.run.run_name,
        unsaved: !!found.run.unsaved,
        uncommitted: found.run.dirty
      }
    : null;
}

/** The runs ticked for a comparison (a RunSelection fits). */
export interface ITickedRuns {
  readonly ids: string[];
  add(runId: string): boolean;
}

/**
 * The runs of the followed notebook as the other features see them
 * ({@link IReproRuns}): the Runs section's model and its ticked runs.
 */
export class ReproRuns implements IReproRuns {
  constructor(options: {
    runs: ILoadedRuns & { refresh(): Promise<void> };
    selection: ITickedRuns;
    trans: TranslationBundle;
  }) {
    this._runs = options.runs;
    this._selection = options.selection;
    this._trans = options.trans;
  }

  get path(): string | null {
    return this._runs.path;
  }

  get selected(): readonly string[] {
    return this._selection.ids;
  }

  select(runId: string): boolean {
    return this._runs.findRun(runId) !== null && this._selection.add(runId);
  }

  describe(runId: string): IRunCandidate | null {
    return candidateRun(this._runs, runId, this._trans);
  }

  others(runId: string): IRunCandidate[] {
    return otherCandidates(this._runs, runId, this._trans);
  }

  metricsOf(runIds: readonly string[]): string[] | null {
    return comparedMetrics(this._runs, runIds);
  }

  codeOf(runId: string | null | undefined): IRunCodeRef | null {
    return runCode(this._runs, runId);
  }

  refresh(): Promise<void> {
    return this._runs.refresh();
  }

  private _runs: ILoadedRuns & { refresh(): Promise<void> };
  private _selection: ITickedRuns;
  private _trans: TranslationBundle;
}

/**
 * The notebook the runs table shows when its command names none: the file
 * browser's selected notebook for `{ source: 'filebrowser' }` (none when
 * the selection is not a notebook), else the active notebook, else the one
 * the Runs section follows.
 */
export function tableNotebook(
  args: ReadonlyPartialJSONObject,
  sources: {
    selected: () => string | null;
    active: () => string | null;
    followed: () => string | null;
  }
): string | null {
  if (args['source'] === 'filebrowser') {
    return sources.selected();
  }
  return sources.active() ?? sources.followed();
}
