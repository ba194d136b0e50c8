// Small pieces the runs list, the runs table and the run details share:
// status words, safe links, key/value lists and the badges of a run's code.
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IRun, RunStatus } from './types';

export { safeUrl, statusLabel } from '../common/runText';

export const STATUS_GLYPHS: Record<RunStatus, string> = {
  RUNNING: '●',
  SCHEDULED: '○',
  FINISHED: '✓',
  FAILED: '✕',
  KILLED: '■'
};

export function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * What the badges of a run say about its code, as [modifier, text, title].
 */
export function runBadges(
  run: IRun,
  trans: TranslationBundle
): [string, string, string][] {
  const badges: [string, string, string][] = [];
  if (run.unsaved) {
    badges.push([
      'jp-mod-unsaved',
      trans.__('ran with unsaved changes'),
      trans.__(
        'Cells ran with sources the saved notebook does not have; the run recorded the code that actually ran.'
      )
    ]);
  }
  if (run.out_of_order) {
    badges.push([
      'jp-mod-outOfOrder',
      trans.__('cells ran out of order'),
      trans.__(
        'The cells last ran in another order than they stand in the notebook: %1',
        run.tags?.['repro.execution_order'] ?? ''
      )
    ]);
  }
  if (run.reproduction) {
    const verdict = run.reproduction.verdict;
    badges.push([
      `jp-mod-reproduced jp-mod-verdict-${verdict.replace(/[^a-z-]/g, '')}`,
      trans.__('reproduced: %1', verdictWords(verdict, trans)),
      trans.__(
        'Its last reproduction (run %1): %2',
        run.reproduction.run_id,
        verdict
      )
    ]);
  }
  if (run.reproduces) {
    badges.push([
      'jp-mod-reproduction',
      trans.__('reproduction'),
      trans.__('This run reproduces run %1.', run.reproduces)
    ]);
  }
  return badges;
}

/**
 * A reproduction's verdict in words (`within-tolerance` → "within tolerance").
 */
export function verdictWords(
  verdict: string,
  trans: TranslationBundle
): string {
  switch (verdict) {
    case 'exact':
      return trans.__('exact');
    case 'within-tolerance':
      return trans.__('within tolerance');
    case 'differs':
      return trans.__('differs');
    case 'failed':
      return trans.__('failed');
    case 'cancelled':
      return trans.__('cancelled');
    default:
      return verdict;
  }
}

/**
 * The badges of {@link runBadges}, as text.
 */
export function RunBadges(props: {
  run: IRun;
  trans: TranslationBundle;
}): JSX.Element | null {
  const badges = runBadges(props.run, props.trans);
  if (badges.length === 0) {
    return null;
  }
  return (
    <span className="jp-Repro-Runs-badges">
      {badges.map(([modifier, text, title]) => (
        <span
          key={modifier}
          className={`jp-Repro-Runs-badge ${modifier}`}
          title={title}
        >
          {text}
        </span>
      ))}
    </span>
  );
}

export function KeyValues(props: {
  className: string;
  title: string;
  empty: string;
  entries: [string, string][];
}): JSX.Element {
  return (
    <div className={props.className}>
      <div className="jp-Repro-Runs-detailTitle">{props.title}</div>
      {props.entries.length === 0 ? (
        <div className="jp-Repro-Runs-note">{props.empty}</div>
      ) : (
        <dl>
          {props.entries.map(([key, value]) => (
            <React.Fragment key={key}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}

/**
 * The short marks of a run in the lists: the release it was tagged as and
 * whether its code is a hidden snapshot (it ran on uncommitted changes).
 */
export function RunMarks(props: {
  run: IRun;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { run, trans } = props;
  const release = run.tags?.['repro.release'];
  const snapshot = run.tags?.['repro.snapshot'];
  if (!release && !snapshot && !run.dirty) {
    return null;
  }
  return (
    <>
      {release && (
        <span
          className="jp-Repro-Runs-release"
          title={trans.__('Released as tag %1', release)}
        >
          {trans.__('released %1', release)}
        </span>
      )}
      {(snapshot || run.dirty) && (
        <span
          className="jp-Repro-Runs-snapshot"
          title={
            snapshot
              ? trans.__(
                  'Ran on uncommitted changes: its code is the hidden snapshot %1',
                  snapshot.slice(0, 7)
                )
              : trans.__('Ran on uncommitted changes')
          }
        >
          {trans.__('snapshot')}
        </span>
      )}
    </>
  );
}
