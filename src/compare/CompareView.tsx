import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { launchIcon, refreshIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { columnFormatter, formatDuration, MISSING } from '../common/format';
import { safeUrl, statusLabel } from '../common/runText';
import { useSignal } from '../common/useSignal';
import { CompareCharts, IChartsModule } from './Charts';
import { CodeDiffView, LanguageFor } from './CodeDiff';
import { CompareModel, runLabels, shortSha, visibleParams } from './model';
import { ICompareReply, ICompareRun, IMetricValue } from './types';

export interface ICompareViewProps {
  model: CompareModel;
  trans: TranslationBundle;
  /** Runs "Release…" of a card. */
  commands: CommandRegistry;
  languageFor?: LanguageFor;
  onRendered?: (ms: number) => void;
  loadCharts?: () => Promise<IChartsModule>;
}

/**
 * The comparison of MLflow runs: a card per run (the baseline first), the
 * parameters (only the differing ones by default), the metrics with the best
 * run marked, the charts, the code that changed from the baseline to each
 * run, and the environment differences. Every string from the server is
 * rendered as React text.
 */
export function CompareView(props: ICompareViewProps): JSX.Element {
  const { model, trans } = props;
  useSignal(model.stateChanged);
  const reply = model.reply;
  return (
    <div
      className={'jp-Repro-Compare' + (model.busy ? ' jp-mod-busy' : '')}
      data-state={model.state}
      aria-busy={model.busy}
    >
      <div className="jp-Repro-Compare-header">
        <h2 className="jp-Repro-Compare-title">
          {trans._n(
            'Comparing %1 run',
            'Comparing %1 runs',
            reply?.runs.length ?? model.runIds.length
          )}
        </h2>
        {reply && (
          <label className="jp-Repro-Compare-baseline">
            {trans.__('Baseline')}
            <select
              value={model.currentBaseline ?? ''}
              disabled={model.busy}
              onChange={e => model.setBaseline(e.target.value)}
            >
              {reply.runs.map(run => (
                <option key={run.run_id} value={run.run_id}>
                  {runLabels(reply.runs).get(run.run_id)}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          className="jp-Repro-Compare-refresh"
          aria-label={trans.__('Compare again')}
          title={trans.__('Read the runs again')}
          disabled={model.busy}
          onClick={() => void model.load()}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      {model.state === 'loading' && !reply && (
        <div className="jp-Repro-Compare-note">
          {trans.__('Comparing runs…')}
        </div>
      )}
      {model.state === 'error' && (
        <div className="jp-Repro-Compare-message" role="alert">
          {model.message}
        </div>
      )}
      {reply && <Comparison {...props} reply={reply} />}
    </div>
  );
}

function Comparison(
  props: ICompareViewProps & { reply: ICompareReply }
): JSX.Element {
  const { model, trans, reply } = props;
  const labels = runLabels(reply.runs);
  const notebooks = new Set(reply.runs.map(run => run.notebook ?? ''));
  return (
    <>
      <div className="jp-Repro-Compare-cards">
        {reply.runs.map(run => (
          <RunCard
            key={run.run_id}
            run={run}
            label={labels.get(run.run_id) ?? run.run_id}
            baseline={run.run_id === reply.baseline}
            showNotebook={notebooks.size > 1}
            path={model.path}
            trans={trans}
            commands={props.commands}
          />
        ))}
      </div>
      <Params model={model} reply={reply} labels={labels} trans={trans} />
      <Metrics reply={reply} labels={labels} trans={trans} />
      <section className="jp-Repro-Compare-section">
        <h3>{trans.__('Charts')}</h3>
        <CompareCharts
          model={model}
          trans={trans}
          onRendered={props.onRendered}
          load={props.loadCharts}
        />
      </section>
      <section className="jp-Repro-Compare-section jp-Repro-Compare-codeSection">
        <h3>
          {trans.__('Code')}
          <span
            className="jp-Repro-Compare-diffMode"
            role="radiogroup"
            aria-label={trans.__('How the code diff is shown')}
          >
            <button
              role="radio"
              aria-checked={model.diffMode === 'side-by-side'}
              className={
                model.diffMode === 'side-by-side' ? 'jp-mod-active' : ''
              }
              onClick={() => model.setDiffMode('side-by-side')}
            >
              {trans.__('side by side')}
            </button>
            <button
              role="radio"
              aria-checked={model.diffMode === 'unified'}
              className={model.diffMode === 'unified' ? 'jp-mod-active' : ''}
              onClick={() => model.setDiffMode('unified')}
            >
              {trans.__('unified')}
            </button>
          </span>
        </h3>
        {reply.code.map(code => (
          <CodeDiffView
            key={code.run_id}
            code={code}
            model={model}
            labels={labels}
            languageFor={props.languageFor}
            trans={trans}
          />
        ))}
      </section>
      <Environment reply={reply} labels={labels} trans={trans} />
    </>
  );
}

function RunCard(props: {
  run: ICompareRun;
  label: string;
  baseline: boolean;
  showNotebook: boolean;
  path: string | null;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { run, trans } = props;
  const url = safeUrl(run.url);
  const code = run.snapshot
    ? trans.__(
        'snapshot %1 on %2',
        shortSha(run.snapshot),
        shortSha(run.commit)
      )
    : run.commit
      ? trans.__('commit %1', shortSha(run.commit))
      : trans.__('code unknown');
  const duration =
    run.duration !== null && run.duration !== undefined
      ? formatDuration(run.duration)
      : run.status === 'RUNNING' && run.start_time
        ? formatDuration((Date.now() - run.start_time) / 1000) + '…'
        : MISSING;
  return (
    <article
      className={
        'jp-Repro-Compare-card' +
        (props.baseline ? ' jp-mod-baseline' : '') +
        ` jp-mod-${String(run.status).toLowerCase()}`
      }
      data-run-id={run.run_id}
    >
      <header>
        <span className="jp-Repro-Compare-cardName" title={run.run_id}>
          {props.label}
        </span>
        {props.baseline && (
          <span className="jp-Repro-Compare-baselineBadge">
            {trans.__('baseline')}
          </span>
        )}
      </header>
      <dl>
        <dt>{trans.__('Status')}</dt>
        <dd className="jp-Repro-Compare-cardStatus">
          {statusLabel(run.status, trans)}
        </dd>
        <dt>{trans.__('Code')}</dt>
        <dd
          className="jp-Repro-Compare-cardCode"
          title={run.snapshot ?? run.commit ?? ''}
        >
          {code}
        </dd>
        <dt>{trans.__('Duration')}</dt>
        <dd>{duration}</dd>
        {run.start_time !== null && (
          <>
            <dt>{trans.__('Started')}</dt>
            <dd>{Time.format(new Date(run.start_time))}</dd>
          </>
        )}
        <dt>{trans.__('Experiment')}</dt>
        <dd>{run.experiment_name ?? run.experiment_id}</dd>
        {props.showNotebook && (
          <>
            <dt>{trans.__('Notebook')}</dt>
            <dd className="jp-Repro-Compare-cardNotebook">
              {run.notebook ?? trans.__('unknown')}
            </dd>
          </>
        )}
      </dl>
      <div className="jp-Repro-Compare-flags">
        {run.unsaved && (
          <span
            className="jp-Repro-Compare-flag jp-mod-unsaved"
            title={trans.__(
              'Cells ran with sources the saved notebook does not have; the run recorded the code that actually ran.'
            )}
          >
            {trans.__('ran with unsaved changes')}
          </span>
        )}
        {run.out_of_order && (
          <span className="jp-Repro-Compare-flag jp-mod-outOfOrder">
            {trans.__('cells ran out of order')}
          </span>
        )}
        {run.dirty && !run.unsaved && (
          <span className="jp-Repro-Compare-flag jp-mod-dirty">
            {trans.__('uncommitted changes')}
          </span>
        )}
        {run.release && (
          <span
            className="jp-Repro-Compare-flag jp-mod-release"
            title={trans.__('Released as tag %1', run.release)}
          >
            {trans.__('released %1', run.release)}
          </span>
        )}
      </div>
      <footer>
        <button
          className="jp-Repro-Compare-release jp-mod-styled"
          disabled={!run.code || !props.path}
          title={
            run.code
              ? trans.__('Tag the code of this run with its metrics')
              : trans.__(
                  'The code of this run is unknown: it cannot be released.'
                )
          }
          onClick={() =>
            void props.commands.execute(CommandIDs.releaseRun, {
              runId: run.run_id,
              path: props.path ?? ''
            })
          }
        >
          {trans.__('Release…')}
        </button>
        {url && (
          <a
            className="jp-Repro-Compare-mlflow"
            href={url}
            target="_blank"
            rel="noopener noreferrer"
            title={trans.__('Open in MLflow')}
            aria-label={trans.__('Open in MLflow')}
          >
            <launchIcon.react tag="span" />
          </a>
        )}
      </footer>
    </article>
  );
}

function RunHeads(props: {
  reply: ICompareReply;
  labels: Map<string, string>;
  first: string;
}): JSX.Element {
  return (
    <thead>
      <tr>
        <th scope="col">{props.first}</th>
        {props.reply.runs.map(run => (
          <th scope="col" key={run.run_id} data-run-id={run.run_id}>
            {props.labels.get(run.run_id)}
          </th>
        ))}
      </tr>
    </thead>
  );
}

function Params(props: {
  model: CompareModel;
  reply: ICompareReply;
  labels: Map<string, string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, reply, trans } = props;
  const rows = visibleParams(reply.params, model.onlyDifferences);
  const hiddenCount = reply.params.length - rows.length;
  return (
    <section className="jp-Repro-Compare-section jp-Repro-Compare-params">
      <h3>
        {trans.__('Parameters')}
        <label className="jp-Repro-Compare-onlyDiff">
          <input
            type="checkbox"
            checked={model.onlyDifferences}
            onChange={e => model.setOnlyDifferences(e.target.checked)}
          />
          {trans.__('Only differences')}
        </label>
      </h3>
      {rows.length === 0 ? (
        <div className="jp-Repro-Compare-note">
          {reply.params.length === 0
            ? trans.__('No parameters.')
            : trans.__('All %1 parameters are the same.', reply.params.length)}
        </div>
      ) : (
        <div className="jp-Repro-Compare-tableWrap">
          <table className="jp-Repro-Compare-table">
            <RunHeads
              reply={reply}
              labels={props.labels}
              first={trans.__('Parameter')}
            />
            <tbody>
              {rows.map(row => (
                <tr
                  key={row.key}
                  className={row.differs ? 'jp-mod-differs' : ''}
                  data-key={row.key}
                >
                  <th scope="row">{row.key}</th>
                  {row.values.map((value, i) => (
                    <td
                      key={reply.runs[i]?.run_id ?? i}
                      className={
                        (row.differs && value !== row.values[0]
                          ? 'jp-mod-differs'
                          : '') + (value === null ? ' jp-mod-missing' : '')
                      }
                    >
                      {value ?? MISSING}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hiddenCount > 0 && rows.length > 0 && (
        <div className="jp-Repro-Compare-note">
          {trans._n(
            '%1 parameter with the same value is hidden.',
            '%1 parameters with the same value are hidden.',
            hiddenCount
          )}
        </div>
      )}
    </section>
  );
}

function metricTitle(value: IMetricValue | null): string {
  if (!value) {
    return '';
  }
  return [
    `latest ${value.latest ?? 'NaN'} @ ${value.latest_step ?? '?'}`,
    `min ${value.min ?? 'NaN'} @ ${value.min_step ?? '?'}`,
    `max ${value.max ?? 'NaN'} @ ${value.max_step ?? '?'}`,
    `${value.points} points`
  ].join('\n');
}

function Metrics(props: {
  reply: ICompareReply;
  labels: Map<string, string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { reply, trans } = props;
  return (
    <section className="jp-Repro-Compare-section jp-Repro-Compare-metrics">
      <h3>{trans.__('Metrics')}</h3>
      {reply.metrics.length === 0 ? (
        <div className="jp-Repro-Compare-note">{trans.__('No metrics.')}</div>
      ) : (
        <div className="jp-Repro-Compare-tableWrap">
          <table className="jp-Repro-Compare-table">
            <RunHeads
              reply={reply}
              labels={props.labels}
              first={trans.__('Metric (latest)')}
            />
            <tbody>
              {reply.metrics.map(row => {
                const format = columnFormatter(
                  row.values.map(v => v?.latest ?? undefined)
                );
                return (
                  <tr
                    key={row.key}
                    data-key={row.key}
                    className={row.differs ? 'jp-mod-differs' : ''}
                  >
                    <th scope="row">
                      {row.key}
                      <span
                        className="jp-Repro-Compare-direction"
                        title={
                          row.direction === 'min'
                            ? trans.__('lower is better')
                            : trans.__('higher is better')
                        }
                      >
                        {row.direction === 'min' ? ' ↓' : ' ↑'}
                      </span>
                    </th>
                    {row.values.map((value, i) => {
                      const best = row.best === i;
                      return (
                        <td
                          key={reply.runs[i]?.run_id ?? i}
                          className={
                            (best ? 'jp-mod-best' : '') +
                            (value === null ? ' jp-mod-missing' : '')
                          }
                          title={metricTitle(value)}
                          aria-label={
                            best
                              ? trans.__('best: %1', format(value?.latest))
                              : undefined
                          }
                        >
                          {value === null ? MISSING : format(value.latest)}
                          {best && (
                            <span
                              className="jp-Repro-Compare-best"
                              aria-hidden="true"
                            >
                              {' ★'}
                            </span>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Environment(props: {
  reply: ICompareReply;
  labels: Map<string, string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { reply, trans } = props;
  return (
    <section className="jp-Repro-Compare-section jp-Repro-Compare-environment">
      <h3>{trans.__('Environment')}</h3>
      {reply.environment.length === 0 ? (
        <div className="jp-Repro-Compare-note">
          {trans.__('No difference in the recorded environment.')}
        </div>
      ) : (
        <div className="jp-Repro-Compare-tableWrap">
          <table className="jp-Repro-Compare-table">
            <RunHeads
              reply={reply}
              labels={props.labels}
              first={trans.__('Entry')}
            />
            <tbody>
              {reply.environment.map(row => (
                <tr key={row.key} className="jp-mod-differs">
                  <th scope="row">{row.key}</th>
                  {row.values.map((value, i) => (
                    <td key={reply.runs[i]?.run_id ?? i}>{value ?? MISSING}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
