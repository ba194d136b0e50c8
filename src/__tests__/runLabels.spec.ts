import { nullTranslator } from '@jupyterlab/translation';

import {
  bestFirst,
  durationText,
  groupLabel,
  groupLabelText,
  metricDirection,
  nextMetricSort,
  sortOrderText,
  sortTitle
} from '../runs/labels';
import { group, run, SHA_A, SHA_B, SHA_C } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

describe('metric directions', () => {
  it('knows losses and errors are better low, the rest high', () => {
    for (const key of ['loss', 'val_loss', 'error_rate', 'RMSE', 'latency']) {
      expect(metricDirection(key)).toBe('min');
    }
    for (const key of ['accuracy', 'val_accuracy', 'f1', 'auc']) {
      expect(metricDirection(key)).toBe('max');
    }
  });

  it('sorts the best runs first on the first click', () => {
    expect(bestFirst('loss')).toEqual({ column: 'loss', descending: false });
    expect(bestFirst('accuracy')).toEqual({
      column: 'accuracy',
      descending: true
    });
  });

  it('cycles best first, worst first, unsorted', () => {
    let sort = nextMetricSort(null, 'loss');
    expect(sort).toEqual({ column: 'loss', descending: false });
    sort = nextMetricSort(sort, 'loss');
    expect(sort).toEqual({ column: 'loss', descending: true });
    expect(nextMetricSort(sort, 'loss')).toBeNull();
    // Another metric starts over at its best.
    expect(nextMetricSort(sort, 'acc')).toEqual({
      column: 'acc',
      descending: true
    });
  });
});

describe('sort words', () => {
  it('says "lowest first" for a loss sorted ascending, never "highest"', () => {
    const ascending = { column: 'loss', descending: false };
    expect(sortOrderText(ascending, trans)).toBe('lowest first (best first)');
    const title = sortTitle('loss', ascending, trans);
    expect(title).toBe(
      'loss: lowest first (best first); click: highest first (worst first)'
    );
  });

  it('reads the direction from the sort state', () => {
    expect(sortTitle('loss', { column: 'loss', descending: true }, trans)).toBe(
      'loss: highest first (worst first); click: newest runs first'
    );
    expect(
      sortTitle('accuracy', { column: 'accuracy', descending: true }, trans)
    ).toBe(
      'accuracy: highest first (best first); click: lowest first (worst first)'
    );
    // Sorted by another metric: this one is not sorted.
    expect(sortTitle('loss', { column: 'acc', descending: true }, trans)).toBe(
      'loss: runs newest first; click: lowest first (best first)'
    );
    expect(sortTitle('loss', null, trans)).toBe(
      'loss: runs newest first; click: lowest first (best first)'
    );
    expect(
      sortOrderText({ column: 'epochs', descending: false }, trans, false)
    ).toBe('lowest first');
  });
});

describe('group labels', () => {
  const snapshot = {
    snapshot: true,
    parent: SHA_A,
    parent_short_sha: 'aaaaaaa',
    parent_subject: 'feat: add features'
  };

  it('tell two snapshots on the same commit apart by their own sha', () => {
    const first = group(SHA_B, [run('r1')], snapshot);
    const second = group(SHA_C, [run('r2')], snapshot);
    expect(groupLabel(first, trans)).toEqual({
      sha: 'bbbbbbb',
      text: 'uncommitted changes on top of aaaaaaa feat: add features'
    });
    expect(groupLabelText(first, trans)).not.toBe(
      groupLabelText(second, trans)
    );
    expect(groupLabelText(second, trans)).toBe(
      'ccccccc uncommitted changes on top of aaaaaaa feat: add features'
    );
  });

  it('label commits, unknown commits and runs without one', () => {
    expect(groupLabelText(group(SHA_A, [run('r1')]), trans)).toBe(
      'aaaaaaa feat: commit aaa'
    );
    expect(
      groupLabel(group(SHA_A, [], { subject: null, known: false }), trans)
    ).toEqual({ sha: 'aaaaaaa', text: '(commit not in this repository)' });
    expect(groupLabel(group(null, []), trans)).toEqual({
      sha: '',
      text: 'no commit recorded'
    });
    expect(
      groupLabel(
        group(SHA_B, [], { snapshot: true, parent: null, short_sha: null }),
        trans
      )
    ).toEqual({ sha: 'bbbbbbb', text: 'uncommitted changes' });
  });
});

describe('durations of runs', () => {
  it('shows a run under a second as tenths, never "0 s"', () => {
    expect(durationText(run('r1', { duration: 0.4 }))).toBe('0.4 s');
    expect(durationText(run('r1', { duration: 0.02 }))).toBe('< 0.1 s');
    expect(durationText(run('r1', { duration: 90 }))).toBe('1 min 30 s');
    expect(durationText(run('r1', { duration: null, status: 'FAILED' }))).toBe(
      '—'
    );
  });

  it('counts a running run up to now', () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(
      durationText(
        run('r1', { duration: null, status: 'RUNNING', start_time: start }),
        start + 12_300
      )
    ).toBe('12 s…');
  });
});
