import { ReactWidget } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  launchIcon,
  notebookIcon,
  fileUploadIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { DiffLanguages, DiffLanguagesContext } from '../common/DiffPreview';
import {
  columnFormatter,
  formatDuration,
  relativeTime
} from '../common/format';
import { useSignal } from '../common/useSignal';
import { commitOf, IRunsSort, RunsModel } from './model';
import { RunBadges, safeUrl, STATUS_GLYPHS, statusLabel } from './parts';
import { RunDetails } from './RunDetails';
import { MAX_SELECTED, RunSelection } from './selection';
import { IRun, IRunGroup, IRunRef } from './types';

export { formatDuration, formatMetric, relativeTime } from '../common/format';

/** One formatter per metric column, shared by every group's table. */
type ColumnFormatters = Record<
  string,
  (value: number | null | undefined) => string
>;

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
  /**
   * The runs ticked for a comparison; without one the rows have no
   * checkboxes.
   */
  selection?: RunSelection | null;
  /** With them, the diffs in the runs' details are syntax highlighted. */
  languages?: DiffLanguages | null;
}

/**
 * The default {@link OpenNotebookAt}: the `open-at-commit` command.
 */
export function openAtCommitCommand(commands: CommandRegistry): OpenNotebookAt {
  return ref =>
    commands.execute(CommandIDs.openAtCommit, {
      path: ref.path,
      commit: commitOf(ref),
      ...(ref.run
        ? {
            runId: ref.run.run_id,
            runName: ref.run.run_name ?? '',
            unsaved: !!ref.run.unsaved,
            uncommitted: !!ref.run.dirty
          }
        : {})
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
  const selection = props.selection ?? null;
  const [openError, setOpenError] = React.useState<string | null>(null);
  const [opening, setOpening] = React.useState(false);
  useSignal(model.stateChanged);
  useSignal(selection?.changed);
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
  const formatters: ColumnFormatters = {};
  for (const column of columns) {
    const values: (number | null | undefined)[] = [];
    for (const group of groups) {
      for (const run of group.runs) {
        values.push(run.metrics?.[column]);
      }
    }
    formatters[column] = columnFormatter(values);
  }
  return (
    <DiffLanguagesContext.Provider value={props.languages ?? null}>
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
          <button
            className="jp-Repro-Runs-share"
            aria-label={trans.__('Share run code')}
            title={trans.__(
              "Share run code: push the hidden snapshots of this repository's runs to its remote"
            )}
            disabled={state === 'idle'}
            onClick={() => void commands.execute(CommandIDs.shareRunCode)}
          >
            <fileUploadIcon.react tag="span" />
          </button>
        </div>
        {selection && selection.size > 0 && (
          <SelectionBar
            selection={selection}
            path={model.path}
            trans={trans}
            commands={commands}
          />
        )}
        <Source model={model} trans={trans} />
        {state === 'idle' && (
          <div className="jp-Repro-Runs-note">
            {trans.__(
              'Open a notebook to see the MLflow runs started from it.'
            )}
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
        {state === 'empty' && (
          <EmptyState
            trans={trans}
            otherStores={model.otherStores}
            tracking={model.tracking?.uri ?? ''}
          />
        )}
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
            model={model}
            group={group}
            columns={columns}
            formatters={formatters}
            sort={model.sort}
            trans={trans}
            commands={commands}
            selection={selection}
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
    </DiffLanguagesContext.Provider>
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

function SelectionBar(props: {
  selection: RunSelection;
  path: string | null;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { selection, trans, commands } = props;
  const size = selection.size;
  return (
    <div className="jp-Repro-Runs-selection" data-selected={size}>
      <span className="jp-Repro-Runs-selectionCount">
        {size < 2
          ? trans.__('Select another run to compare.')
          : trans._n('%1 run selected', '%1 runs selected', size)}
      </span>
      {size >= 2 && (
        <button
          className="jp-Repro-Runs-compare jp-mod-styled jp-mod-accept"
          title={trans.__(
            'Compare the selected runs: parameters, metrics, charts and the code that changed'
          )}
          onClick={() =>
            void commands.execute(CommandIDs.compare, {
              runIds: selection.ids,
              path: props.path ?? ''
            })
          }
        >
          {trans.__('Compare (%1)', size)}
        </button>
      )}
      <button
        className="jp-Repro-Runs-clearSelection jp-mod-styled"
        onClick={() => selection.clear()}
      >
        {trans.__('Clear')}
      </button>
    </div>
  );
}

function EmptyState(props: {
  trans: TranslationBundle;
  otherStores?: readonly string[];
  tracking?: string;
}): JSX.Element {
  const { trans } = props;
  const others = props.otherStores ?? [];
  if (others.length > 0) {
    return (
      <div className="jp-Repro-Runs-empty jp-mod-otherStore" role="note">
        <p>
          {trans._n(
            'Runs of this notebook may be in %2, which this lab does not read (it reads %3).',
            'Runs of this notebook may be in %2, which this lab does not read (it reads %3).',
            others.length,
            others.join(', '),
            props.tracking || trans.__('another store')
          )}
        </p>
        <p>
          {trans.__(
            'A kernel with no tracking URI of its own logs next to its notebook. Kernels this lab starts now log where it reads; to see runs logged before, start the lab with MLFLOW_TRACKING_URI (or c.Repro.tracking_uri) naming that store.'
          )}
        </p>
      </div>
    );
  }
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
  model: RunsModel;
  group: IRunGroup;
  columns: string[];
  formatters: ColumnFormatters;
  sort: IRunsSort | null;
  trans: TranslationBundle;
  commands: CommandRegistry;
  selection: RunSelection | null;
  disabled: boolean;
  onOpen: (run: IRun | null) => void;
}): JSX.Element {
  const { group, columns, trans, sort, commands } = props;
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
        {group.commit && !group.known && (
          <button
            className="jp-Repro-Runs-fetch jp-mod-styled"
            title={trans.__(
              "This run's code is not in this clone: fetch it from the remote (a teammate shares it with Share run code)"
            )}
            disabled={props.disabled}
            onClick={() =>
              void commands.execute(CommandIDs.fetchRunCode, {
                runIds: group.runs.map(run => run.run_id)
              })
            }
          >
            {trans.__('Fetch code')}
          </button>
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
              {props.selection && (
                <th scope="col" className="jp-Repro-Runs-selectHead">
                  <span className="jp-Repro-Runs-hidden">
                    {trans.__('Select to compare')}
                  </span>
                </th>
              )}
              <th scope="col">{trans.__('Run')}</th>
              <th scope="col" className="jp-Repro-Runs-startedHead">
                {trans.__('Started')}
              </th>
              <th scope="col" className="jp-Repro-Runs-durationHead">
                {trans.__('Duration')}
              </th>
              {columns.map(column => {
                const sorted = sort?.column === column ? sort : null;
                return (
                  <th
                    scope="col"
                    key={column}
                    className={
                      'jp-Repro-Runs-metricName' +
                      (sorted ? ' jp-mod-sorted' : '')
                    }
                    aria-sort={
                      sorted
                        ? sorted.descending
                          ? 'descending'
                          : 'ascending'
                        : undefined
                    }
                  >
                    <button
                      className="jp-Repro-Runs-sort"
                      title={sortTitle(column, sorted, trans)}
                      onClick={() =>
                        void commands.execute(CommandIDs.runsSort, { column })
                      }
                    >
                      {column}
                      {sorted && (
                        <span aria-hidden="true">
                          {sorted.descending ? ' ▾' : ' ▴'}
                        </span>
                      )}
                    </button>
                  </th>
                );
              })}
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
                model={props.model}
                run={run}
                group={group}
                columns={columns}
                formatters={props.formatters}
                trans={trans}
                commands={commands}
                selection={props.selection}
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

function sortTitle(
  column: string,
  sorted: IRunsSort | null,
  trans: TranslationBundle
): string {
  if (sorted === null) {
    return trans.__('%1: sort the runs by it, highest first', column);
  }
  return sorted.descending
    ? trans.__('%1: highest first (click: lowest first)', column)
    : trans.__('%1: lowest first (click: newest runs first)', column);
}

function RunRow(props: {
  model: RunsModel;
  run: IRun;
  group: IRunGroup;
  columns: string[];
  formatters: ColumnFormatters;
  trans: TranslationBundle;
  commands: CommandRegistry;
  selection: RunSelection | null;
  disabled: boolean;
  canOpen: boolean;
  onOpen: () => void;
}): JSX.Element {
  const { run, columns, trans, selection } = props;
  const [expanded, setExpanded] = React.useState(false);
  const name = run.run_name || run.run_id.slice(0, 8);
  const status = String(run.status ?? '').toLowerCase();
  const label = statusLabel(run.status, trans);
  const params = paramsText(run);
  const url = safeUrl(run.url);
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  const checked = selection?.has(run.run_id) ?? false;
  const release = run.tags?.['repro.release'];
  return (
    <>
      <tr
        className={
          'jp-Repro-Runs-run' +
          (status ? ` jp-mod-${status}` : '') +
          (expanded ? ' jp-mod-expanded' : '') +
          (run.unsaved ? ' jp-mod-unsaved' : '') +
          (run.out_of_order ? ' jp-mod-outOfOrder' : '') +
          (checked ? ' jp-mod-selected' : '')
        }
        data-run-id={run.run_id}
        data-status={run.status}
      >
        {selection && (
          <td className="jp-Repro-Runs-select">
            <input
              type="checkbox"
              className="jp-Repro-Runs-check"
              aria-label={trans.__('Select %1 to compare', name)}
              title={
                !checked && selection.full
                  ? trans.__(
                      'At most %1 runs are compared at once.',
                      MAX_SELECTED
                    )
                  : trans.__('Select to compare')
              }
              checked={checked}
              disabled={!checked && selection.full}
              onChange={() => selection.toggle(run.run_id)}
            />
          </td>
        )}
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
          {release && (
            <span
              className="jp-Repro-Runs-release"
              title={trans.__('Released as tag %1', release)}
            >
              {trans.__('released %1', release)}
            </span>
          )}
          <RunBadges run={run} trans={trans} />
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
            {(props.formatters[column] ?? columnFormatter([]))(
              run.metrics?.[column]
            )}
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
          <td colSpan={columns.length + 4 + (selection ? 1 : 0)}>
            <RunDetails
              model={props.model}
              run={run}
              group={props.group}
              trans={trans}
              commands={props.commands}
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

function paramsText(run: IRun): string {
  return Object.entries(run.params ?? {})
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n');
}

function metricTitle(run: IRun, column: string): string {
  const value = run.metrics?.[column];
  return value === undefined ? '' : `${column} = ${value ?? 'NaN'}`;
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
