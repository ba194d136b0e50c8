// The words the runs views put on groups, sort buttons and durations,
// kept apart from the views so each can be tested as text. No DOM.
import { TranslationBundle } from '@jupyterlab/translation';

import { formatDuration } from '../common/format';
import type { IRun, IRunGroup } from './types';

/**
 * Metric names for which lower is better (the same words as the server's
 * `_LOWER_IS_BETTER` in jupyterlab_repro/runs/compare.py, which marks the
 * best run of a comparison).
 */
const LOWER_IS_BETTER = /(loss|err|mse|mae|rmse|perplexity|time|latency|cost)/i;

/** Whether a metric is better low (`min`: a loss) or high (`max`). */
export function metricDirection(metric: string): 'min' | 'max' {
  return LOWER_IS_BETTER.test(metric) ? 'min' : 'max';
}

/**
 * How runs are ordered by a column: `descending` puts the highest value
 * (the latest time, the last name) first.
 */
export interface ISortState {
  column: string;
  descending: boolean;
}

/**
 * The first order a click on a metric gives: its best runs first (lowest
 * first for a loss, highest first for an accuracy).
 */
export function bestFirst(metric: string): ISortState {
  return { column: metric, descending: metricDirection(metric) === 'max' };
}

/**
 * The next order of a metric's sort button: best first, then worst first,
 * then (null) the server's order again, newest runs first.
 */
export function nextMetricSort(
  current: ISortState | null,
  metric: string
): ISortState | null {
  if (current === null || current.column !== metric) {
    return bestFirst(metric);
  }
  const best = bestFirst(metric);
  if (current.descending === best.descending) {
    return { column: metric, descending: !best.descending };
  }
  return null;
}

/**
 * The order runs are in, in words: "lowest first (best first)" for a loss
 * sorted ascending, "highest first" for a loss sorted descending.
 */
export function sortOrderText(
  sort: ISortState,
  trans: TranslationBundle,
  metric = true
): string {
  const order = sort.descending
    ? trans.__('highest first')
    : trans.__('lowest first');
  if (!metric) {
    return order;
  }
  const best = bestFirst(sort.column).descending === sort.descending;
  return best
    ? trans.__('%1 (best first)', order)
    : trans.__('%1 (worst first)', order);
}

/**
 * The title of a metric's sort button: how the runs are ordered now and
 * what a click does, read from the sort state.
 */
export function sortTitle(
  column: string,
  sort: ISortState | null,
  trans: TranslationBundle
): string {
  const sorted = sort !== null && sort.column === column ? sort : null;
  const next = nextMetricSort(sorted, column);
  const then =
    next === null
      ? trans.__('click: newest runs first')
      : trans.__('click: %1', sortOrderText(next, trans));
  if (sorted === null) {
    return trans.__('%1: runs newest first; %2', column, then);
  }
  return trans.__('%1: %2; %3', column, sortOrderText(sorted, trans), then);
}

/**
 * The words of a group's header: the short sha of the code that ran (the
 * snapshot's for uncommitted changes, so two snapshots on the same commit
 * read apart) and what it is.
 */
export interface IGroupLabel {
  /** Short sha of the group's commit or snapshot; '' when none. */
  sha: string;
  /** What the code is: the commit's subject, or the snapshot's parent. */
  text: string;
}

export function groupLabel(
  group: IRunGroup,
  trans: TranslationBundle
): IGroupLabel {
  const sha = group.short_sha ?? (group.commit ? group.commit.slice(0, 7) : '');
  if (group.snapshot) {
    return {
      sha,
      text: group.parent_short_sha
        ? trans
            .__(
              'uncommitted changes on top of %1 %2',
              group.parent_short_sha,
              group.parent_subject ?? ''
            )
            .trim()
        : trans.__('uncommitted changes')
    };
  }
  if (!group.commit) {
    return { sha: '', text: trans.__('no commit recorded') };
  }
  return {
    sha,
    text:
      group.subject ??
      (group.known ? '' : trans.__('(commit not in this repository)'))
  };
}

/** A group's label as one line of text (sha, then what it is). */
export function groupLabelText(
  group: IRunGroup,
  trans: TranslationBundle
): string {
  const { sha, text } = groupLabel(group, trans);
  return [sha, text].filter(Boolean).join(' ');
}

/** How long a run took, or has been running ("12 s…"); `—` when unknown. */
export function durationText(run: IRun, now = Date.now()): string {
  if (run.duration !== null && run.duration !== undefined) {
    return formatDuration(run.duration);
  }
  if (run.status === 'RUNNING' && run.start_time) {
    return formatDuration((now - run.start_time) / 1000) + '…';
  }
  return '—';
}
