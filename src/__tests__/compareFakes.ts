/**
 * Replies of `GET runs/compare` shaped like jupyterlab_repro/runs/compare.py
 * builds them, for the compare tests.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import {
  ICodeDiff,
  ICompareReply,
  ICompareRun,
  IHistory,
  IMetricRow,
  IMetricValue
} from '../compare/types';

export const HOSTILE_IMG = '<img src=x onerror=alert(1)>';
export const HOSTILE_SCRIPT = '<script>window.__pwned=1</script>';

export function compareRun(
  id: string,
  overrides: Partial<ICompareRun> = {}
): ICompareRun {
  return {
    run_id: id,
    run_name: `run-${id}`,
    experiment_id: '1',
    experiment_name: 'default',
    status: 'FINISHED',
    start_time: Date.UTC(2026, 0, 1, 12, 0, 0),
    end_time: Date.UTC(2026, 0, 1, 12, 1, 30),
    duration: 90,
    user: 'ann',
    url: null,
    notebook: 'train.ipynb',
    commit: id.padEnd(40, '0'),
    snapshot: null,
    code: id.padEnd(40, '0'),
    dirty: false,
    unsaved: false,
    out_of_order: false,
    release: null,
    ...overrides
  };
}

export function metricValue(
  latest: number | null,
  overrides: Partial<IMetricValue> = {}
): IMetricValue {
  return {
    latest,
    min: latest,
    max: latest,
    min_step: latest === null ? null : 9,
    max_step: latest === null ? null : 9,
    latest_step: latest === null ? null : 9,
    points: latest === null ? 0 : 10,
    ...overrides
  };
}

export function metricRow(
  key: string,
  latest: (number | null)[],
  direction: 'min' | 'max',
  best: number | null
): IMetricRow {
  return {
    key,
    direction,
    values: latest.map(v => (v === null ? null : metricValue(v))),
    best,
    differs: new Set(latest).size > 1
  };
}

export function history(
  values: (number | null)[],
  overrides: Partial<IHistory> = {}
): IHistory {
  return {
    steps: values.map((_, i) => i * 10),
    values,
    seconds: values.map((_, i) => i * 1.5),
    points: values.length,
    ...overrides
  };
}

export function sameCode(runId: string, fromRun: string): ICodeDiff {
  return {
    run_id: runId,
    from_run: fromRun,
    known: true,
    reason: null,
    from_code: 'a'.repeat(40),
    to_code: 'a'.repeat(40),
    notebook: 'train.ipynb',
    label: 'train.ipynb',
    same_code: true,
    notebook_diff: { cells: [], summary: {}, has_changes: false },
    notebook_text: '',
    files: [],
    files_total: 0
  };
}

/** A comparison of runs `a` (baseline) and `b`, or of the runs given. */
export function compareReply(
  overrides: Partial<ICompareReply> = {}
): ICompareReply {
  const runs = overrides.runs ?? [compareRun('a'), compareRun('b')];
  const ids = runs.map(r => r.run_id);
  return {
    tracking: { uri_kind: 'sqlite', uri: 'sqlite:///mlflow.db', ui_url: null },
    baseline: ids[0],
    runs,
    params: [
      {
        key: 'lr',
        values: ids.map((_, i) => String(0.1 * (i + 1))),
        differs: true
      },
      { key: 'seed', values: ids.map(() => '42'), differs: false }
    ],
    metrics: [
      metricRow(
        'loss',
        ids.map((_, i) => 1 - i * 0.1),
        'min',
        ids.length - 1
      )
    ],
    environment: [],
    code: ids.slice(1).map(id => sameCode(id, ids[0])),
    histories: {},
    ...overrides
  };
}

/** A translation bundle that marks every string it translates. */
export function markingTrans(): TranslationBundle {
  const fill = (text: string, args: unknown[]) =>
    args.reduce<string>(
      (out, arg, i) => out.replace(`%${i + 1}`, String(arg)),
      text
    );
  return {
    __: (text: string, ...args: unknown[]) => `«${fill(text, args)}»`,
    _n: (one: string, many: string, n: number, ...args: unknown[]) =>
      `«${fill(n === 1 ? one : many, [n, ...args])}»`,
    _p: (_ctx: string, text: string, ...args: unknown[]) =>
      `«${fill(text, args)}»`,
    gettext: (text: string) => `«${text}»`
  } as unknown as TranslationBundle;
}
