import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { DiffPreview } from '../common/DiffPreview';
import { columnFormatter, formatDuration } from '../common/format';
import { useSignal } from '../common/useSignal';
import {
  baseCommit,
  diffRange,
  environmentOf,
  IRunDiff,
  IRunDiffRange
} from './details';
import { commitOf, RunsModel } from './model';
import { byKey, KeyValues, RunBadges, safeUrl, statusLabel } from './parts';
import { IRun, IRunGroup } from './types';

export interface IRunDetailsProps {
  model: RunsModel;
  run: IRun;
  group: IRunGroup;
  trans: TranslationBundle;
  /** Runs the actions: show the diff, copy the run id. */
  commands: CommandRegistry;
  disabled: boolean;
  canOpen: boolean;
  onOpen: () => void;
}

/**
 * Everything a run recorded: its code (commit, snapshot and what the
 * snapshot differs from its commit by), the unsaved and out-of-order flags,
 * the environment, image and seed, every parameter and the latest metrics.
 */
export function RunDetails(props: IRunDetailsProps): JSX.Element {
  const { model, run, group, trans, commands } = props;
  const url = safeUrl(run.url);
  const facts: [string, string][] = [
    [trans.__('Status'), statusLabel(run.status, trans)],
    [trans.__('Run ID'), run.run_id],
    [trans.__('Experiment'), run.experiment_name ?? run.experiment_id],
    [trans.__('User'), run.user ?? '']
  ];
  // Started and duration: the narrow table leaves them out.
  if (run.start_time) {
    facts.push([trans.__('Started'), Time.format(new Date(run.start_time))]);
  }
  if (run.duration !== null && run.duration !== undefined) {
    facts.push([trans.__('Duration'), formatDuration(run.duration)]);
  }
  if (run.end_time) {
    facts.push([trans.__('Ended'), Time.format(new Date(run.end_time))]);
  }
  const environment = environmentOf(run, trans);
  const image = run.tags?.['repro.image'];
  if (image) {
    environment.push([trans.__('Image'), image]);
  }
  const seed = run.tags?.['repro.seed'];
  if (seed) {
    environment.push([trans.__('Seed'), seed]);
  }
  const params = Object.entries(run.params ?? {}).sort(byKey);
  const metrics = Object.entries(run.metrics ?? {}).sort(byKey);
  // The code it ran: its snapshot, else its group's commit.
  const code = commitOf({ path: model.path ?? '', group, run });
  // One format down the list: "1.0000" beside "0.9556", not "1".
  const formatMetric = columnFormatter(metrics.map(([, v]) => v));
  return (
    <div className="jp-Repro-Runs-detailBody" data-run-id={run.run_id}>
      <dl className="jp-Repro-Runs-facts">
        {facts
          .filter(([, value]) => value !== '')
          .map(([key, value]) => (
            <React.Fragment key={key}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
      </dl>
      <RunBadges run={run} trans={trans} />
      <Code
        model={model}
        run={run}
        group={group}
        trans={trans}
        commands={commands}
      />
      <KeyValues
        className="jp-Repro-Runs-environment"
        title={trans.__('Environment')}
        empty={trans.__('No environment recorded')}
        entries={environment}
      />
      <KeyValues
        className="jp-Repro-Runs-params"
        title={trans.__('Parameters')}
        empty={trans.__('No parameters')}
        entries={params}
      />
      <KeyValues
        className="jp-Repro-Runs-metrics"
        title={trans.__('Metrics')}
        empty={trans.__('No metrics')}
        entries={metrics.map(([k, v]) => [
          k,
          v === undefined ? '' : formatMetric(v)
        ])}
      />
      <div className="jp-Repro-Runs-detailActions">
        {props.canOpen && (
          <button
            className="jp-Repro-Runs-openNotebook"
            disabled={props.disabled}
            onClick={props.onOpen}
          >
            {trans.__('Open notebook as it was')}
          </button>
        )}
        {props.canOpen && code && model.path && (
          <button
            className="jp-Repro-Runs-restore"
            disabled={props.disabled}
            title={trans.__(
              'Restore the code this run ran: as a branch you switch to, or as a working copy'
            )}
            onClick={() =>
              void commands.execute(CommandIDs.restoreBranch, {
                path: model.path ?? '',
                commit: code,
                runId: run.run_id,
                runName: run.run_name ?? '',
                unsaved: !!run.unsaved,
                uncommitted: !!run.dirty
              })
            }
          >
            {trans.__('Restore…')}
          </button>
        )}
        {model.path && commands.hasCommand(CommandIDs.reproduce) && (
          <button
            className="jp-Repro-Runs-reproduce"
            disabled={props.disabled}
            title={trans.__(
              'Run this code again in a clean kernel, check the environment and the data, and compare the metrics'
            )}
            onClick={() =>
              void commands.execute(CommandIDs.reproduce, {
                runId: run.run_id,
                path: model.path ?? ''
              })
            }
          >
            {trans.__('Reproduce…')}
          </button>
        )}
        {model.path && run.reproduction && (
          <button
            className="jp-Repro-Runs-compareReproduction"
            title={trans.__(
              'Compare this run with its last reproduction (%1)',
              run.reproduction.verdict
            )}
            onClick={() =>
              void commands.execute(CommandIDs.compare, {
                runIds: [run.run_id, run.reproduction?.run_id ?? ''],
                path: model.path ?? ''
              })
            }
          >
            {trans.__('Compare with its reproduction')}
          </button>
        )}
        <button
          className="jp-Repro-Runs-copyId"
          onClick={() =>
            void commands.execute(CommandIDs.copyRunId, {
              runId: run.run_id
            })
          }
        >
          {trans.__('Copy run id')}
        </button>
        {url && (
          <a
            className="jp-Repro-Runs-mlflowLink"
            href={url}
            target="_blank"
            rel="noopener noreferrer"
          >
            {trans.__('Open in MLflow')}
          </a>
        )}
      </div>
    </div>
  );
}

/**
 * The code a run ran: its commit, its snapshot, and the output-blind diff
 * between them (for a run on a clean tree: what its commit changed).
 */
function Code(props: {
  model: RunsModel;
  run: IRun;
  group: IRunGroup;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { model, run, group, trans, commands } = props;
  useSignal(model.diffs.changed);
  const range = diffRange(run, group);
  const path = model.path;
  const diff = range && path !== null ? model.diffs.get(path, range) : null;
  const show = React.useCallback(
    () =>
      void commands
        .execute(CommandIDs.runsShowDiff, { runId: run.run_id })
        .catch(() => undefined),
    [commands, run.run_id]
  );
  // What a run on unsaved or uncommitted changes ran is the point of
  // opening it: read that diff at once.
  React.useEffect(() => {
    if (
      range?.kind === 'snapshot' &&
      commands.hasCommand(CommandIDs.runsShowDiff)
    ) {
      show();
    }
  }, [range?.kind, range?.from, range?.to, show]);

  const commit = baseCommit(group);
  const entries: [string, string][] = [];
  if (commit) {
    const short = group.snapshot ? group.parent_short_sha : group.short_sha;
    const subject = group.snapshot ? group.parent_subject : group.subject;
    entries.push([
      trans.__('Commit'),
      [short ?? commit.slice(0, 7), subject ?? ''].join(' ').trim()
    ]);
  }
  if (range?.kind === 'snapshot') {
    entries.push([
      trans.__('Snapshot'),
      trans.__(
        '%1: the notebook as it ran, with the changes its commit lacks',
        range.to.slice(0, 7)
      )
    ]);
  }
  const order = run.tags?.['repro.execution_order'];
  if (order) {
    entries.push([trans.__('Cells ran'), order]);
  }
  return (
    <div className="jp-Repro-Runs-code">
      <div className="jp-Repro-Runs-detailTitle">{trans.__('Code')}</div>
      {entries.length === 0 ? (
        <div className="jp-Repro-Runs-note">
          {trans.__('No commit recorded')}
        </div>
      ) : (
        <dl>
          {entries.map(([key, value]) => (
            <React.Fragment key={key}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
        </dl>
      )}
      {range && (
        <DiffSection range={range} diff={diff} trans={trans} onShow={show} />
      )}
    </div>
  );
}

function DiffSection(props: {
  range: IRunDiffRange;
  diff: IRunDiff | null;
  trans: TranslationBundle;
  onShow: () => void;
}): JSX.Element {
  const { range, diff, trans } = props;
  const title =
    range.kind === 'snapshot'
      ? trans.__(
          'What the code that ran differs from commit %1 by',
          range.from.slice(0, 7)
        )
      : trans.__('What commit %1 changed', range.to.slice(0, 7));
  if (diff === null) {
    return (
      <button className="jp-Repro-Runs-showDiff" onClick={props.onShow}>
        {range.kind === 'snapshot'
          ? trans.__('Show what the code that ran differs by')
          : trans.__("Show the commit's diff")}
      </button>
    );
  }
  return (
    <div className="jp-Repro-Runs-diff" data-state={diff.state}>
      <div className="jp-Repro-Runs-diffTitle">{title}</div>
      {diff.state === 'loading' && (
        <div className="jp-Repro-Runs-note">
          {trans.__('Reading the diff…')}
        </div>
      )}
      {diff.state === 'error' && (
        <div className="jp-Repro-Runs-message" role="alert">
          {diff.message}
        </div>
      )}
      {diff.state === 'ready' && !diff.hasChanges && (
        <div className="jp-Repro-Runs-note">
          {trans.__('No change to the cells’ sources.')}
        </div>
      )}
      {diff.state === 'ready' && diff.hasChanges && (
        <DiffPreview text={diff.text} label={title} />
      )}
    </div>
  );
}
