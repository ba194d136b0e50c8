// The reproductions in the main area: each job's progress (cell i of n,
// elapsed, the running cell's first line), what the check found, and once
// finished its verdict, metrics, params and failure. Everything the server
// sends is rendered as text.
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { useSignal } from '../common/useSignal';
import { differenceLines } from './dialog';
import { ReproduceModel } from './model';
import { IJob, IMetricRow, Verdict } from './types';

/** The words of a verdict. */
export function verdictLabel(
  verdict: Verdict,
  trans: TranslationBundle
): string {
  switch (verdict) {
    case 'exact':
      return trans.__('reproduced exactly');
    case 'within-tolerance':
      return trans.__('within tolerance');
    case 'differs':
      return trans.__('differs');
    case 'failed':
      return trans.__('failed');
    case 'cancelled':
      return trans.__('cancelled');
  }
}

/**
 * The verdict as a badge (`jp-Repro-VerdictBadge jp-mod-<verdict>`): the runs
 * table shows a run's last reproduction with it.
 */
export function VerdictBadge(props: {
  verdict: Verdict;
  trans: TranslationBundle;
  title?: string;
}): JSX.Element {
  return (
    <span
      className={`jp-Repro-VerdictBadge jp-mod-${props.verdict}`}
      title={
        props.title ?? props.trans.__('Last reproduction: %1', props.verdict)
      }
    >
      {verdictLabel(props.verdict, props.trans)}
    </span>
  );
}

/** A metric's value or difference, short: 0.824444, 1.2e-12, 0. */
export function formatNumber(value: number | null): string {
  if (value === null) {
    return '–';
  }
  if (value === 0) {
    return '0';
  }
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
    ? value.toPrecision(6).replace(/\.?0+$/, '')
    : value.toExponential(3);
}

function seconds(value: number): string {
  return value < 60
    ? `${value.toFixed(1)} s`
    : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

function MetricsTable(props: {
  rows: IMetricRow[];
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <table className="jp-Repro-Reproduce-metrics">
      <thead>
        <tr>
          <th>{trans.__('Metric')}</th>
          <th>{trans.__('Recorded')}</th>
          <th>{trans.__('Reproduced')}</th>
          <th>{trans.__('Difference')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.rows.map(row => (
          <tr
            key={row.key}
            className={
              row.exact
                ? 'jp-mod-exact'
                : row.within
                  ? 'jp-mod-within'
                  : 'jp-mod-differs'
            }
          >
            <td>{row.key}</td>
            <td>{formatNumber(row.recorded)}</td>
            <td>{formatNumber(row.reproduced)}</td>
            <td>{formatNumber(row.difference)}</td>
            <td>{row.exact ? '=' : row.within ? '≈' : '≠'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One job: progress while it runs, its verdict once finished. */
export function JobView(props: {
  job: IJob;
  trans: TranslationBundle;
  onCancel: (job: IJob) => void;
  onCompare: (job: IJob) => void;
}): JSX.Element {
  const { job, trans } = props;
  const running = job.state !== 'finished';
  const verdict = job.verdict;
  const progress = job.progress;
  const runLabel = job.run_name
    ? `${job.run_name} (${job.run_id.slice(0, 8)})`
    : job.run_id.slice(0, 8);
  const lines = differenceLines(job.check, trans);
  return (
    <div
      className={`jp-Repro-Reproduce-job jp-mod-${job.state}`}
      data-job-id={job.job}
    >
      <div className="jp-Repro-Reproduce-header">
        <span className="jp-Repro-Reproduce-title">
          {trans.__('Run %1', runLabel)}
        </span>
        {verdict !== null ? (
          <VerdictBadge
            verdict={verdict.verdict}
            trans={trans}
            title={verdict.verdict}
          />
        ) : (
          <span className="jp-Repro-Reproduce-phase">
            {job.state === 'cancelling' ? trans.__('cancelling…') : job.phase}
          </span>
        )}
        <span className="jp-Repro-Reproduce-elapsed">
          {seconds(job.elapsed)}
        </span>
      </div>
      <div className="jp-Repro-Reproduce-plan">
        {trans.__(
          '%1 at %2%3, %4 cells',
          job.plan.notebook,
          job.plan.code.slice(0, 7),
          job.plan.snapshot ? trans.__(' (hidden snapshot)') : '',
          job.plan.cells.length
        )}
        {job.plan.order_note !== null && ` — ${job.plan.order_note}`}
      </div>
      {running && progress !== null && (
        <div className="jp-Repro-Reproduce-progress">
          <progress max={progress.steps} value={progress.step - 1} />
          <span>
            {trans.__(
              'cell %1 of %2 (notebook cell %3)',
              progress.step,
              progress.steps,
              progress.cell
            )}
          </span>
          <code className="jp-Repro-Reproduce-source">{progress.source}</code>
        </div>
      )}
      <div
        className={`jp-Repro-Reproduce-check${job.check.differs ? ' jp-mod-differs' : ''}`}
      >
        {trans.__('Environment and data: %1', job.check.summary)}
        {lines.length > 0 && (
          <ul className="jp-Repro-Reproduce-differences">
            {lines.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        )}
      </div>
      {verdict?.failure && (
        <div className="jp-Repro-Reproduce-failure" role="alert">
          <div>
            {verdict.failure.cell !== null
              ? trans.__(
                  'Cell %1 raised %2: %3',
                  verdict.failure.cell,
                  verdict.failure.ename,
                  verdict.failure.evalue
                )
              : `${verdict.failure.ename}: ${verdict.failure.evalue}`}
          </div>
          {verdict.failure.source && <code>{verdict.failure.source}</code>}
          {verdict.failure.hint && (
            <div className="jp-Repro-Reproduce-hint">
              {verdict.failure.hint}
            </div>
          )}
        </div>
      )}
      {verdict !== null && verdict.metrics.length > 0 && (
        <MetricsTable rows={verdict.metrics} trans={trans} />
      )}
      {verdict !== null && verdict.params.length > 0 && (
        <ul className="jp-Repro-Reproduce-params">
          {verdict.params.map(row => (
            <li key={row.key}>
              {trans.__(
                'param %1: recorded %2, reproduced %3',
                row.key,
                row.recorded ?? '–',
                row.reproduced ?? '–'
              )}
            </li>
          ))}
        </ul>
      )}
      {[
        ...(verdict?.notes ?? job.notes),
        ...(job.error ? [job.error] : [])
      ].map((note, i) => (
        <div key={i} className="jp-Repro-Reproduce-noteLine">
          {note}
        </div>
      ))}
      <div className="jp-Repro-Reproduce-actions">
        {running && (
          <button
            className="jp-mod-styled jp-mod-warn jp-Repro-Reproduce-cancel"
            disabled={job.state === 'cancelling'}
            onClick={() => props.onCancel(job)}
          >
            {trans.__('Cancel')}
          </button>
        )}
        {!running && job.reproduction_run_id !== null && (
          <button
            className="jp-mod-styled jp-Repro-Reproduce-compare"
            onClick={() => props.onCompare(job)}
          >
            {trans.__('Compare with the original')}
          </button>
        )}
      </div>
    </div>
  );
}

/** Every job of the model, newest first. */
export function ReproduceView(props: {
  model: ReproduceModel;
  trans: TranslationBundle;
  onCancel: (job: IJob) => void;
  onCompare: (job: IJob) => void;
}): JSX.Element {
  useSignal(props.model.stateChanged);
  const { model, trans } = props;
  return (
    <div className="jp-Repro-Reproduce">
      {model.error !== null && (
        <div className="jp-Repro-Reproduce-error" role="alert">
          {model.error}
        </div>
      )}
      {model.jobs.length === 0 ? (
        <p className="jp-Repro-Reproduce-empty">
          {trans.__(
            'No reproduction yet: right-click a run in the Runs section, then Reproduce…'
          )}
        </p>
      ) : (
        model.jobs.map(job => (
          <JobView
            key={job.job}
            job={job}
            trans={trans}
            onCancel={props.onCancel}
            onCompare={props.onCompare}
          />
        ))
      )}
    </div>
  );
}

/**
 * The main-area widget of the reproductions (restored on reload). Its
 * {@link ReproductionsWidget.path} is where the newest job's run is: the
 * sidebar keeps following that notebook while the view is active, as it
 * does for a comparison, so the run's row gets its verdict in sight.
 */
export class ReproductionsWidget extends MainAreaWidget {
  constructor(options: {
    model: ReproduceModel;
    trans: TranslationBundle;
    onCancel: (job: IJob) => void;
    onCompare: (job: IJob) => void;
  }) {
    super({
      content: ReactWidget.create(
        <ReproduceView
          model={options.model}
          trans={options.trans}
          onCancel={options.onCancel}
          onCompare={options.onCompare}
        />
      )
    });
    this._model = options.model;
    this._path = this._newestPath();
    this._model.stateChanged.connect(this._onStateChanged, this);
    this.id = 'jupyterlab-repro-reproductions';
    this.title.label = options.trans.__('Reproductions');
    this.title.closable = true;
    this.addClass('jp-Repro-ReproduceWidget');
  }

  /** The path the newest job was asked for; null before any job (or without a path). */
  get path(): string | null {
    return this._path;
  }

  /** Emitted when {@link path} changes (a new job, the first read after a reload). */
  get pathChanged(): ISignal<this, string | null> {
    return this._pathChanged;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.stateChanged.disconnect(this._onStateChanged, this);
    super.dispose();
  }

  private _newestPath(): string | null {
    return this._model.jobs[0]?.path || null;
  }

  private _onStateChanged(): void {
    const path = this._newestPath();
    if (path !== this._path) {
      this._path = path;
      this._pathChanged.emit(path);
    }
  }

  private _model: ReproduceModel;
  private _path: string | null;
  private _pathChanged = new Signal<this, string | null>(this);
}

/** The main-area widget of the reproductions (restored on reload). */
export function createReproduceWidget(options: {
  model: ReproduceModel;
  trans: TranslationBundle;
  onCancel: (job: IJob) => void;
  onCompare: (job: IJob) => void;
}): ReproductionsWidget {
  return new ReproductionsWidget(options);
}
