// What the runs table shows, as plain data (no DOM): its columns (facts of
// the run, every parameter, every metric), how a column sorts, what a
// filter keeps, and the rows in order (grouped by commit or not).
import { TranslationBundle } from '@jupyterlab/translation';

import { groupText, runText } from './model';
import {
  bestFirst,
  groupLabelText,
  ISortState,
  metricDirection,
  nextMetricSort,
  sortOrderText
} from './labels';
import type { IRun, IRunGroup } from './types';

/** What a column shows: a fact of the run, a parameter or a metric. */
export type ColumnKind = 'info' | 'param' | 'metric';

/** The facts of a run the table can show as columns. */
export const INFO_COLUMNS = [
  'name',
  'status',
  'started',
  'duration',
  'code',
  'user',
  'experiment'
] as const;

export type InfoColumn = (typeof INFO_COLUMNS)[number];

/**
 * The facts shown unless the user picks others (the run's name carries its
 * status glyph; the Status column spells it out on request).
 */
const DEFAULT_INFO: InfoColumn[] = ['name', 'started', 'duration', 'code'];

/** At most this many parameters and metrics are shown by default. */
const DEFAULT_PARAMS = 6;
const DEFAULT_METRICS = 8;

/**
 * One column. Its id is `name`, `status` … for facts, `param:<key>` and
 * `metric:<key>` for the rest (keys may hold any character).
 */
export interface IColumn {
  id: string;
  kind: ColumnKind;
  /** The fact, parameter or metric it shows. */
  key: string;
}

/** The id of a parameter's or a metric's column. */
export function columnId(kind: ColumnKind, key: string): string {
  return kind === 'info' ? key : `${kind}:${key}`;
}

/** The column an id names (null for an unknown fact). */
export function parseColumn(id: string): IColumn | null {
  for (const kind of ['param', 'metric'] as const) {
    const prefix = `${kind}:`;
    if (id.startsWith(prefix) && id.length > prefix.length) {
      return { id, kind, key: id.slice(prefix.length) };
    }
  }
  return (INFO_COLUMNS as readonly string[]).includes(id)
    ? { id, kind: 'info', key: id }
    : null;
}

/** A column's header text. */
export function columnLabel(column: IColumn, trans: TranslationBundle): string {
  if (column.kind !== 'info') {
    return column.key;
  }
  switch (column.key as InfoColumn) {
    case 'name':
      return trans.__('Run');
    case 'status':
      return trans.__('Status');
    case 'started':
      return trans.__('Started');
    case 'duration':
      return trans.__('Duration');
    case 'code':
      return trans.__('Code');
    case 'user':
      return trans.__('User');
    case 'experiment':
      return trans.__('Experiment');
  }
  return column.key;
}

function sortedKeys(counts: Map<string, number>): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key]) => key);
}

/**
 * Every column the loaded runs can fill: the facts, then the metrics and
 * the parameters (those most runs have first, ties alphabetical).
 */
export function availableColumns(groups: readonly IRunGroup[]): IColumn[] {
  const params = new Map<string, number>();
  const metrics = new Map<string, number>();
  for (const group of groups) {
    for (const run of group.runs) {
      for (const key of Object.keys(run.params ?? {})) {
        params.set(key, (params.get(key) ?? 0) + 1);
      }
      for (const key of Object.keys(run.metrics ?? {})) {
        metrics.set(key, (metrics.get(key) ?? 0) + 1);
      }
    }
  }
  return [
    ...INFO_COLUMNS.map(key => ({ id: key, kind: 'info' as const, key })),
    ...sortedKeys(metrics).map(key => ({
      id: columnId('metric', key),
      kind: 'metric' as const,
      key
    })),
    ...sortedKeys(params).map(key => ({
      id: columnId('param', key),
      kind: 'param' as const,
      key
    }))
  ];
}

/**
 * The columns shown until the user picks: run, started, duration, code;
 * the metrics (the configured ones first); the parameters whose values
 * differ between the runs.
 */
export function defaultColumns(
  groups: readonly IRunGroup[],
  preferredMetrics: readonly string[] = []
): string[] {
  const available = availableColumns(groups);
  const metrics = available
    .filter(column => column.kind === 'metric')
    .map(column => column.key);
  const ordered = [
    ...preferredMetrics.filter(key => metrics.includes(key)),
    ...metrics.filter(key => !preferredMetrics.includes(key))
  ].slice(0, DEFAULT_METRICS);
  const runs = ([] as IRun[]).concat(...groups.map(group => group.runs));
  const differing = available
    .filter(column => column.kind === 'param')
    .filter(column => {
      const values = new Set(runs.map(run => run.params?.[column.key] ?? null));
      return values.size > 1;
    })
    .slice(0, DEFAULT_PARAMS)
    .map(column => column.id);
  return [
    ...DEFAULT_INFO,
    ...ordered.map(key => columnId('metric', key)),
    ...differing
  ];
}

/** A value a column sorts by: a number, a text, or null (sorted last). */
export function sortValue(
  column: IColumn,
  run: IRun,
  group: IRunGroup
): number | string | null {
  if (column.kind === 'metric') {
    const value = run.metrics?.[column.key];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  }
  if (column.kind === 'param') {
    const value = run.params?.[column.key];
    if (value === undefined || value === null) {
      return null;
    }
    const number = value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(number) ? number : value;
  }
  switch (column.key as InfoColumn) {
    case 'name':
      return run.run_name || run.run_id;
    case 'status':
      return run.status ?? null;
    case 'started':
      return run.start_time ?? null;
    case 'duration':
      return run.duration ?? null;
    case 'code':
      return run.tags?.['repro.snapshot'] || group.commit || null;
    case 'user':
      return run.user ?? null;
    case 'experiment':
      return run.experiment_name ?? run.experiment_id ?? null;
  }
  return null;
}

/**
 * The next order of a column's header: a metric goes best first, worst
 * first, then unsorted; the start time newest first, oldest first; the
 * other columns A→Z (low→high), then Z→A; then unsorted (the server's
 * order, newest first).
 */
export function nextSort(
  current: ISortState | null,
  column: IColumn
): ISortState | null {
  if (column.kind === 'metric') {
    const next = nextMetricSort(
      current && current.column === column.id
        ? { column: column.key, descending: current.descending }
        : null,
      column.key
    );
    return next ? { column: column.id, descending: next.descending } : null;
  }
  const first = column.id === 'started';
  if (current === null || current.column !== column.id) {
    return { column: column.id, descending: first };
  }
  if (current.descending === first) {
    return { column: column.id, descending: !first };
  }
  return null;
}

/** Whether `sort` puts a metric column's best runs first. */
export function sortsBestFirst(sort: ISortState, column: IColumn): boolean {
  return (
    column.kind === 'metric' &&
    bestFirst(column.key).descending === sort.descending
  );
}

/** The direction a metric column is better in, for its header's title. */
export function columnDirection(column: IColumn): 'min' | 'max' | null {
  return column.kind === 'metric' ? metricDirection(column.key) : null;
}

function compareValues(
  a: number | string | null,
  b: number | string | null
): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  // Numbers before texts, texts in natural order ("run-2" before "run-10").
  if (typeof a === 'number') {
    return -1;
  }
  if (typeof b === 'number') {
    return 1;
  }
  return String(a).localeCompare(String(b), undefined, {
    numeric: true,
    sensitivity: 'base'
  });
}

/**
 * `runs` in the order of `sort`; runs without a value come last, equal
 * values keep their order (the server's: newest first).
 */
export function sortRuns(
  runs: readonly { run: IRun; group: IRunGroup }[],
  sort: ISortState | null
): { run: IRun; group: IRunGroup }[] {
  const column = sort ? parseColumn(sort.column) : null;
  if (!sort || !column) {
    return [...runs];
  }
  return runs
    .map((item, index) => ({
      item,
      index,
      value: sortValue(column, item.run, item.group)
    }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) {
        return a.value === b.value
          ? a.index - b.index
          : a.value === null
            ? 1
            : -1;
      }
      const order = compareValues(a.value, b.value);
      return (sort.descending ? -order : order) || a.index - b.index;
    })
    .map(entry => entry.item);
}

/** One word of a filter: text to find, or a comparison of a value. */
type FilterTerm =
  | { kind: 'text'; text: string }
  | { kind: 'compare'; key: string; op: string; value: string };

const COMPARISON = /^([^<>=!]+?)(>=|<=|!=|>|<|=)(.*)$/;

/**
 * The words of a filter: `accuracy>0.9`, `loss<=1`, `epochs=5`, `lr!=0.1`
 * compare a metric's or parameter's value (numbers as numbers); any other
 * word is looked for in the run's name, id, experiment, user, status,
 * parameters (`key=value`), metric names and commit.
 */
export function parseFilter(filter: string): FilterTerm[] {
  return filter
    .split(/\s+/)
    .filter(Boolean)
    .map((word): FilterTerm => {
      const match = COMPARISON.exec(word);
      if (match && match[3] !== '') {
        return {
          kind: 'compare',
          key: match[1].toLowerCase(),
          op: match[2],
          value: match[3]
        };
      }
      return { kind: 'text', text: word.toLowerCase() };
    });
}

function lookUp(run: IRun, key: string): string | number | null {
  for (const [name, value] of Object.entries(run.metrics ?? {})) {
    if (name.toLowerCase() === key) {
      return value;
    }
  }
  for (const [name, value] of Object.entries(run.params ?? {})) {
    if (name.toLowerCase() === key) {
      return value;
    }
  }
  return null;
}

function compares(
  found: string | number | null,
  op: string,
  wanted: string
): boolean {
  if (found === null) {
    return op === '!=';
  }
  const a = typeof found === 'number' ? found : Number(found);
  const b = Number(wanted);
  if (Number.isFinite(a) && Number.isFinite(b) && String(found).trim() !== '') {
    switch (op) {
      case '>':
        return a > b;
      case '<':
        return a < b;
      case '>=':
        return a >= b;
      case '<=':
        return a <= b;
      case '=':
        return a === b;
      case '!=':
        return a !== b;
    }
  }
  const text = String(found).toLowerCase();
  const other = wanted.toLowerCase();
  return op === '=' ? text === other : op === '!=' ? text !== other : false;
}

/** Whether a run passes every word of a parsed filter. */
export function runMatches(
  run: IRun,
  group: IRunGroup,
  terms: readonly FilterTerm[]
): boolean {
  if (terms.length === 0) {
    return true;
  }
  let text: string | null = null;
  return terms.every(term => {
    if (term.kind === 'compare') {
      const found = lookUp(run, term.key);
      if (found !== null || term.op === '!=') {
        return compares(found, term.op, term.value);
      }
    }
    text ??= groupText(group) + '\n' + runText(run);
    const word =
      term.kind === 'text' ? term.text : `${term.key}${term.op}${term.value}`;
    return text.includes(word.toLowerCase());
  });
}

/** A row of the table: a commit's header, or a run. */
export type TableRow =
  | { kind: 'group'; group: IRunGroup; count: number }
  | { kind: 'run'; run: IRun; group: IRunGroup };

/**
 * The rows of the table: the runs that pass `filter`, in the order of
 * `sort`; grouped under their commits (newest commit first, as the sidebar
 * groups them) or, not grouped, one list across commits.
 */
export function tableRows(
  groups: readonly IRunGroup[],
  options: { filter?: string; sort?: ISortState | null; grouped?: boolean }
): TableRow[] {
  const terms = parseFilter(options.filter ?? '');
  const sort = options.sort ?? null;
  const rows: TableRow[] = [];
  if (options.grouped ?? true) {
    for (const group of groups) {
      const runs = sortRuns(
        group.runs
          .filter(run => runMatches(run, group, terms))
          .map(run => ({ run, group })),
        sort
      );
      if (runs.length > 0) {
        rows.push({ kind: 'group', group, count: runs.length });
        rows.push(...runs.map(item => ({ kind: 'run' as const, ...item })));
      }
    }
    return rows;
  }
  const all = ([] as { run: IRun; group: IRunGroup }[]).concat(
    ...groups.map(group =>
      group.runs
        .filter(run => runMatches(run, group, terms))
        .map(run => ({ run, group }))
    )
  );
  return sortRuns(all, sort).map(item => ({ kind: 'run' as const, ...item }));
}

/** A group's header text in the table (see {@link groupLabelText}). */
export function groupRowText(
  group: IRunGroup,
  trans: TranslationBundle
): string {
  return groupLabelText(group, trans);
}

/**
 * The title of a column's header: how the runs are ordered now and what a
 * click does, read from the sort state ("loss: lowest first (best first);
 * click: highest first (worst first)").
 */
export function columnSortTitle(
  column: IColumn,
  sort: ISortState | null,
  trans: TranslationBundle
): string {
  const label = columnLabel(column, trans);
  const sorted = sort !== null && sort.column === column.id ? sort : null;
  const words = (state: ISortState): string => {
    if (column.kind === 'metric') {
      return sortOrderText(
        { column: column.key, descending: state.descending },
        trans
      );
    }
    if (column.id === 'started') {
      return state.descending
        ? trans.__('newest first')
        : trans.__('oldest first');
    }
    if (column.id === 'duration' || column.kind === 'param') {
      return sortOrderText(state, trans, false);
    }
    return state.descending ? trans.__('Z to A') : trans.__('A to Z');
  };
  const next = nextSort(sorted, column);
  const then =
    next === null
      ? trans.__('click: newest runs first')
      : trans.__('click: %1', words(next));
  return sorted === null
    ? trans.__('%1; %2', label, then)
    : trans.__('%1: %2; %3', label, words(sorted), then);
}
