import { ReactWidget } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  launchIcon,
  notebookIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { useSignal } from '../common/useSignal';
import {
  commitOf,
  IRun,
  IRunGroup,
  IRunRef,
  RunsModel,
  RunStatus
} from './model';

/**
 * Opens the notebook as it was for a run; a returned promise that rejects
 * shows its message in the section.
 */
export type OpenNotebookAt = (ref: IRunRef) => unknown;

export interface IRunsViewProps {
  model: RunsModel;
  trans: TranslationBundle;
  /** Runs the actions: refresh, load more, open at commit. */
  commands: CommandRegistry;
  /**
   * How "Open notebook as it was" opens it; by default the `open-at-commit`
   * command with the run's commit.
   */
  openNotebookAt?: OpenNotebookAt;
}

/**
 * The default {@link OpenNotebookAt}: the `open-at-commit` command.
 */
export function openAtCommitCommand(commands: CommandRegistry): OpenNotebookAt {
  return ref =>
    commands.execute(CommandIDs.openAtCommit, {
      path: ref.path,
      commit: commitOf(ref)
    });
}

/**
 * The "Runs" section: the followed notebook's MLflow runs grouped by the
 * commit of the code that ran.
 *
 * Everything from the server or MLflow (run names, parameters, commit
 * subjects, branch names, messages) is rendered as React text, never HTML.
 */
export function RunsView(props: IRunsViewProps): JSX.Element {
  const { model, trans, commands } = props;
  const [openError, setOpenError] = React.useState<string | null>(null);
  const [opening, setOpening] = React.useState(false);
  useSignal(model.stateChanged);
  React.useEffect(() => setOpenError(null), [model.path]);

  const open = async (ref: IRunRef) => {
    setOpenError(null);
    setOpening(true);
    try {
      await (props.openNotebookAt ?? openAtCommitCommand(commands))(ref);
    } catch (error) {
      setOpenError(
        error instanceof Error
          ? error.message
          : trans.__('Cannot open the notebook as it was.')
      );
    } finally {
      setOpening(false);
    }
  };

  const state = model.state;
  const groups = model.visibleGroups;
  const columns = model.metricColumns;
  const loaded = model.groups.length > 0;
  return (
    <section
      className={'jp-Repro-Runs' + (model.busy ? ' jp-mod-busy' : '')}
      data-state={state}
      aria-busy={model.busy}
      aria-label={trans.__('MLflow runs of this notebook')}
    >
      <div className="jp-Repro-Runs-toolbar">
        <input
          className="jp-Repro-Runs-filter"
          type="search"
          aria-label={trans.__('Filter runs')}
          placeholder={trans.__('Filter runs')}
          title={trans.__(
            'Words to find in run names, parameters (lr=0.1), metric names and commits'
          )}
          value={model.filter}
          disabled={state === 'idle'}
          onChange={e => model.setFilter(e.target.value)}
        />
        <button
          className="jp-Repro-Runs-refresh"
          aria-label={trans.__('Refresh runs')}
          title={trans.__('Refresh runs')}
          disabled={state === 'idle'}
          onClick={() => void commands.execute(CommandIDs.runsRefresh)}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <Source model={model} trans={trans} />
      {state === 'idle' && (
        <div className="jp-Repro-Runs-note">
          {trans.__('Open a notebook to see the MLflow runs started from it.')}
        </div>
      )}
      {state === 'loading' && !loaded && (
        <div className="jp-Repro-Runs-note">{trans.__('Reading runs…')}</div>
      )}
      {(state === 'unavailable' || state === 'error') && (
        <div className="jp-Repro-Runs-message" role="alert">
          {model.message}
          {state === 'unavailable' &&
            '\n' +
              trans.__(
                'The tracking server cannot be reached; refresh to try again.'
              )}
        </div>
      )}
      {state === 'empty' && <EmptyState trans={trans} />}
      {openError !== null && (
        <div className="jp-Repro-Runs-message jp-mod-open" role="alert">
          {openError}
        </div>
      )}
      {loaded && model.filter.trim() !== '' && groups.length === 0 && (
        <div className="jp-Repro-Runs-note">
          {trans.__('No loaded run matches “%1”.', model.filter.trim())}
        </div>
      )}
      {groups.map(group => (
        <Group
          key={group.key ?? ''}
          group={group}
          columns={columns}
          trans={trans}
          disabled={opening}
          onOpen={run => void open({ path: model.path ?? '', group, run })}
        />
      ))}
      {model.hasMore && state !== 'idle' && (
        <button
          className="jp-Repro-Runs-more jp-mod-styled"
          disabled={model.busy}
          onClick={() => void commands.execute(CommandIDs.runsLoadMore)}
        >
          {trans.__('Load more runs')}
        </button>
      )}
    </section>
  );
}

/**
 * The sidebar section holding a {@link RunsView}.
 */
export function createRunsSection(props: IRunsViewProps): ReactWidget {
  const widget = ReactWidget.create(<RunsView {...props} />);
  widget.addClass('jp-Repro-RunsSection');
  widget.title.label = props.trans.__('Runs');
  return widget;
}

function EmptyState(props: { trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Repro-Runs-empty">
      <p>{trans.__('No runs for this notebook yet.')}</p>
      <p>
        {trans.__(
          'Runs started from this notebook with `mlflow.start_run()` appear here, grouped by the commit of the code that ran. jupyterlab-repro tags them automatically (notebook, commit, a snapshot of uncommitted changes, environment) — no code needed.'
        )}
      </p>
    </div>
  );
}

function Source(props: {
  model: RunsModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const tracking = model.tracking;
  if (!tracking || model.state === 'idle') {
    return null;
  }
  return (
    <div className="jp-Repro-Runs-source" title={tracking.uri}>
      <span className="jp-Repro-Runs-sourceUri">
        {trans.__('MLflow: %1', tracking.uri)}
      </span>
      {tracking.ui_url && (
        <a
          className="jp-Repro-Runs-ui"
          href={safeUrl(tracking.ui_url) ?? undefined}
          target="_blank"
          rel="noopener noreferrer"
        >
          {trans.__('MLflow UI')}
        </a>
      )}
    </div>
  );
}

function Group(props: {
  group: IRunGroup;
  columns: string[];
  trans: TranslationBundle;
  disabled: boolean;
  onOpen: (run: IRun | null) => void;
}): JSX.Element {
  const { group, columns, trans } = props;
  return (
    <div
      className={
        'jp-Repro-Runs-group' + (group.snapshot ? ' jp-mod-snapshot' : '')
      }
      data-commit={group.commit ?? ''}
      data-snapshot={group.snapshot ? 'true' : 'false'}
    >
      <div
        className="jp-Repro-Runs-groupHeader"
        title={groupTitle(group, trans)}
      >
        <GroupLabel group={group} trans={trans} />
        {group.branch && (
          <span className="jp-Repro-Runs-branch">{group.branch}</span>
        )}
        {group.commit && (
          <button
            className="jp-Repro-Runs-openNotebook jp-mod-icon"
            aria-label={trans.__('Open notebook as it was')}
            title={trans.__(
              'Open notebook as it was: a read-only copy as of this commit'
            )}
            disabled={props.disabled}
            onClick={() => props.onOpen(null)}
          >
            <notebookIcon.react tag="span" />
          </button>
        )}
      </div>
      <div className="jp-Repro-Runs-tableWrap">
        <table className="jp-Repro-Runs-table">
          <thead>
            <tr>
              <th scope="col">{trans.__('Run')}</th>
              <th scope="col">{trans.__('Started')}</th>
              <th scope="col">{trans.__('Duration')}</th>
              {columns.map(column => (
                <th
                  scope="col"
                  key={column}
                  className="jp-Repro-Runs-metricName"
                  title={column}
                >
                  {column}
                </th>
              ))}
              <th scope="col">
                <span className="jp-Repro-Runs-hidden">
                  {trans.__('Links')}
                </span>
              </th>
            </tr>
          </thead>
          <tbody>
            {group.runs.map(run => (
              <RunRow
                key={run.run_id}
                run={run}
                columns={columns}
                trans={trans}
                disabled={props.disabled}
                canOpen={!!(run.tags['repro.snapshot'] || group.commit)}
                onOpen={() => props.onOpen(run)}
              />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function GroupLabel(props: {
  group: IRunGroup;
  trans: TranslationBundle;
}): JSX.Element {
  const { group, trans } = props;
  if (group.snapshot) {
    return (
      <span className="jp-Repro-Runs-groupLabel">
        {group.parent_short_sha
          ? trans
              .__(
                'uncommitted changes on top of %1 %2',
                group.parent_short_sha,
                group.parent_subject ?? ''
              )
              .trim()
          : trans.__('uncommitted changes')}
      </span>
    );
  }
  if (!group.commit) {
    return (
      <span className="jp-Repro-Runs-groupLabel">
        {trans.__('no commit recorded')}
      </span>
    );
  }
  return (
    <span className="jp-Repro-Runs-groupLabel">
      <span className="jp-Repro-Runs-sha">{group.short_sha}</span>{' '}
      <span className="jp-Repro-Runs-subject">
        {group.subject ??
          (group.known ? '' : trans.__('(commit not in this repository)'))}
      </span>
    </span>
  );
}

function groupTitle(group: IRunGroup, trans: TranslationBundle): string {
  const lines: string[] = [];
  if (group.commit) {
    lines.push(
      group.snapshot
        ? trans.__('snapshot %1', group.commit)
        : trans.__('commit %1', group.commit)
    );
  }
  if (group.snapshot && group.parent) {
    lines.push(trans.__('on top of %1', group.parent));
  }
  if (group.committed_at) {
    lines.push(Time.format(group.committed_at));
  }
  return lines.join('\n');
}

const STATUS_GLYPHS: Record<RunStatus, string> = {
  RUNNING: '●',
  SCHEDULED: '○',
  FINISHED: '✓',
  FAILED: '✕',
  KILLED: '■'
};

function statusLabel(status: RunStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'RUNNING':
      return trans.__('running');
    case 'SCHEDULED':
      return trans.__('scheduled');
    case 'FINISHED':
      return trans.__('finished');
    case 'FAILED':
      return trans.__('failed');
    case 'KILLED':
      return trans.__('killed');
    default:
      return String(status);
  }
}

function RunRow(props: {
  run: IRun;
  columns: string[];
  trans: TranslationBundle;
  disabled: boolean;
  canOpen: boolean;
  onOpen: () => void;
}): JSX.Element {
  const { run, columns, trans } = props;
  const [expanded, setExpanded] = React.useState(false);
  const name = run.run_name || run.run_id.slice(0, 8);
  const status = String(run.status ?? '').toLowerCase();
  const label = statusLabel(run.status, trans);
  const params = paramsText(run);
  const url = safeUrl(run.url);
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <>
      <tr
        className={
          'jp-Repro-Runs-run' +
          (status ? ` jp-mod-${status}` : '') +
          (expanded ? ' jp-mod-expanded' : '')
        }
        data-run-id={run.run_id}
        data-status={run.status}
      >
        <td className="jp-Repro-Runs-name">
          <button
            className="jp-Repro-Runs-toggle"
            aria-expanded={expanded}
            title={params || trans.__('No parameters')}
            onClick={() => setExpanded(!expanded)}
          >
            <Caret.react tag="span" />
            <span
              className={`jp-Repro-Runs-status jp-mod-${status}`}
              title={label}
            >
              <span aria-hidden="true">{STATUS_GLYPHS[run.status] ?? '?'}</span>
              <span className="jp-Repro-Runs-hidden">{label}</span>
            </span>
            <span className="jp-Repro-Runs-runName">{name}</span>
            {run.dirty && (
              <span
                className="jp-Repro-Runs-dirty"
                title={trans.__('Ran on uncommitted changes')}
              >
                *
              </span>
            )}
          </button>
        </td>
        <td
          className="jp-Repro-Runs-started"
          title={run.start_time ? Time.format(new Date(run.start_time)) : ''}
        >
          {run.start_time ? relativeTime(run.start_time) : '—'}
        </td>
        <td className="jp-Repro-Runs-duration">{durationText(run)}</td>
        {columns.map(column => (
          <td
            key={column}
            className="jp-Repro-Runs-metric"
            title={metricTitle(run, column)}
          >
            {formatMetric(run.metrics[column])}
          </td>
        ))}
        <td className="jp-Repro-Runs-links">
          {url && (
            <a
              className="jp-Repro-Runs-mlflow"
              href={url}
              target="_blank"
              rel="noopener noreferrer"
              aria-label={trans.__('Open in MLflow')}
              title={trans.__('Open in MLflow')}
            >
              <launchIcon.react tag="span" />
            </a>
          )}
        </td>
      </tr>
      {expanded && (
        <tr className="jp-Repro-Runs-details">
          <td colSpan={columns.length + 4}>
            <RunDetails
              run={run}
              trans={trans}
              url={url}
              disabled={props.disabled}
              canOpen={props.canOpen}
              onOpen={props.onOpen}
            />
          </td>
        </tr>
      )}
    </>
  );
}

function RunDetails(props: {
  run: IRun;
  trans: TranslationBundle;
  url: string | null;
  disabled: boolean;
  canOpen: boolean;
  onOpen: () => void;
}): JSX.Element {
  const { run, trans, url } = props;
  const facts: [string, string][] = [
    [trans.__('Status'), statusLabel(run.status, trans)],
    [trans.__('Run ID'), run.run_id],
    [trans.__('Experiment'), run.experiment_name ?? run.experiment_id],
    [trans.__('User'), run.user ?? '']
  ];
  if (run.end_time) {
    facts.push([trans.__('Ended'), Time.format(new Date(run.end_time))]);
  }
  const params = Object.entries(run.params ?? {}).sort(byKey);
  const metrics = Object.entries(run.metrics ?? {}).sort(byKey);
  return (
    <div className="jp-Repro-Runs-detailBody">
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
        entries={metrics.map(([k, v]) => [k, formatMetric(v)])}
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

function KeyValues(props: {
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

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function paramsText(run: IRun): string {
  return Object.entries(run.params ?? {})
    .sort(byKey)
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n');
}

function metricTitle(run: IRun, column: string): string {
  const value = run.metrics[column];
  return value === undefined ? '' : `${column} = ${value ?? 'NaN'}`;
}

/**
 * A metric value in four significant digits (more before the point).
 */
export function formatMetric(value: number | null | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (value === null || !Number.isFinite(value)) {
    return '—';
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  if (Math.abs(value) >= 1000) {
    return value.toFixed(1);
  }
  return String(Number(value.toPrecision(4)));
}

/**
 * Seconds as "42 s", "3 min 5 s" or "2 h 10 min".
 */
export function formatDuration(secondsTotal: number): string {
  const s = Math.max(0, Math.round(secondsTotal));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    const rest = s % 60;
    return `${Math.floor(s / 60)} min` + (rest ? ` ${rest} s` : '');
  }
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h` + (minutes ? ` ${minutes} min` : '');
}

function durationText(run: IRun): string {
  if (run.duration !== null && run.duration !== undefined) {
    return formatDuration(run.duration);
  }
  if (run.status === 'RUNNING' && run.start_time) {
    return formatDuration((Date.now() - run.start_time) / 1000) + '…';
  }
  return '—';
}

/**
 * "5 min. ago" (short: the sidebar is narrow); the local time is the title.
 */
export function relativeTime(ms: number, now = Date.now()): string {
  const seconds = (ms - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 24 * 3600],
    ['month', 30 * 24 * 3600],
    ['week', 7 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60]
  ];
  const format = new Intl.RelativeTimeFormat(undefined, {
    numeric: 'auto',
    style: 'narrow'
  });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return format.format(0, 'second');
}

/**
 * Only http(s) links leave the page (a `javascript:` URL from a tampered
 * store must not become a link).
 */
function safeUrl(url: string | null | undefined): string | null {
  if (!url) {
    return null;
  }
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? url
      : null;
  } catch {
    return null;
  }
}
