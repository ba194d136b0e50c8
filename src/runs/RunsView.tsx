import { ReactWidget } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretUpIcon,
  CommandToolbarButton,
  fileUploadIcon,
  filterListIcon,
  notebookIcon,
  refreshIcon,
  tableRowsIcon,
  Toolbar
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { DiffLanguages, DiffLanguagesContext } from '../common/DiffPreview';
import { columnFormatter, relativeTime } from '../common/format';
import { useSignal } from '../common/useSignal';
import { durationText, groupLabel, groupLabelText, sortTitle } from './labels';
import { commitOf, RunsModel } from './model';
import {
  RunBadges,
  runBadges,
  RunMarks,
  safeUrl,
  STATUS_GLYPHS,
  statusLabel
} from './parts';
import { RunDetails } from './RunDetails';
import { MAX_SELECTED, RunSelection } from './selection';
import { IRun, IRunGroup, IRunRef } from './types';

export { formatDuration, formatMetric, relativeTime } from '../common/format';

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
 * commit of the code that ran, as a compact list that fits the sidebar at
 * its default width (name, status, one chosen metric, badges); the runs
 * table in the main area has every column.
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
  const metric = model.metric;
  const loaded = model.groups.length > 0;
  // One format down the list: "0.9000" beside "0.9123", not "0.9".
  const values: (number | null | undefined)[] = [];
  if (metric !== null) {
    for (const group of groups) {
      for (const run of group.runs) {
        values.push(run.metrics?.[metric]);
      }
    }
  }
  const format = columnFormatter(values);
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
            placeholder={trans.__('Filter')}
            title={trans.__(
              'Words to find in run names, parameters (lr=0.1), metric names and commits'
            )}
            value={model.filter}
            disabled={state === 'idle'}
            onChange={e => model.setFilter(e.target.value)}
          />
          {loaded && (
            <MetricPicker model={model} trans={trans} commands={commands} />
          )}
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
            metric={metric}
            format={format}
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
        <Source model={model} trans={trans} />
      </section>
    </DiffLanguagesContext.Provider>
  );
}

/**
 * The sidebar section holding a {@link RunsView}; its header has the button
 * that opens the runs table in the main area.
 */
export class RunsSection extends ReactWidget {
  constructor(props: IRunsViewProps) {
    super();
    this._props = props;
    this.addClass('jp-Repro-RunsSection');
    this.title.label = props.trans.__('Runs');
    this.toolbar = new Toolbar();
    this.toolbar.addClass('jp-Repro-RunsSection-toolbar');
    this.toolbar.addItem(
      'runs-table',
      new CommandToolbarButton({
        commands: props.commands,
        id: CommandIDs.runsTable,
        icon: tableRowsIcon,
        label: ''
      })
    );
    // The button is enabled while a notebook is followed.
    this._path = props.model.path;
    props.model.stateChanged.connect(this._onRunsChanged, this);
  }

  /** Shown in the section's title bar by the sidebar's accordion. */
  readonly toolbar: Toolbar;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._props.model.stateChanged.disconnect(this._onRunsChanged, this);
    this.toolbar.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return <RunsView {...this._props} />;
  }

  private _onRunsChanged(): void {
    const path = this._props.model.path;
    if (path !== this._path) {
      this._path = path;
      if (this._props.commands.hasCommand(CommandIDs.runsTable)) {
        this._props.commands.notifyCommandChanged(CommandIDs.runsTable);
      }
    }
  }

  private _props: IRunsViewProps;
  private _path: string | null;
}

/**
 * The sidebar section holding a {@link RunsView}.
 */
export function createRunsSection(props: IRunsViewProps): ReactWidget {
  return new RunsSection(props);
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

/**
 * The metric each run of the compact list shows (a picker of the loaded
 * metrics) and the button that sorts by it, in the section's toolbar.
 */
function MetricPicker(props: {
  model: RunsModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element | null {
  const { model, trans, commands } = props;
  const keys = model.metricKeys;
  const metric = model.metric;
  if (metric === null || keys.length === 0) {
    return null;
  }
  const sort = model.sort;
  const sorted = sort !== null && sort.column === metric ? sort : null;
  return (
    <>
      <select
        className="jp-Repro-Runs-metricPick"
        aria-label={trans.__('Metric shown for each run')}
        title={trans.__('The metric shown for each run')}
        value={metric}
        onChange={e => model.setMetric(e.target.value)}
      >
        {keys.map(key => (
          <option key={key} value={key}>
            {key}
          </option>
        ))}
      </select>
      <button
        className={
          'jp-Repro-Runs-sort jp-Repro-Runs-metricName' +
          (sorted ? ' jp-mod-sorted' : '')
        }
        aria-label={sortTitle(metric, sort, trans)}
        title={sortTitle(metric, sort, trans)}
        aria-pressed={sorted !== null}
        data-sort={
          sorted ? (sorted.descending ? 'descending' : 'ascending') : 'none'
        }
        onClick={() =>
          void commands.execute(CommandIDs.runsSort, { column: metric })
        }
      >
        {sorted ? (
          sorted.descending ? (
            <caretDownIcon.react tag="span" />
          ) : (
            <caretUpIcon.react tag="span" />
          )
        ) : (
          <filterListIcon.react tag="span" />
        )}
      </button>
    </>
  );
}

function Group(props: {
  model: RunsModel;
  group: IRunGroup;
  metric: string | null;
  format: (value: number | null | undefined) => string;
  trans: TranslationBundle;
  commands: CommandRegistry;
  selection: RunSelection | null;
  disabled: boolean;
  onOpen: (run: IRun | null) => void;
}): JSX.Element {
  const { group, trans, commands } = props;
  const label = groupLabel(group, trans);
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
        <span className="jp-Repro-Runs-groupLabel">
          {label.sha && <span className="jp-Repro-Runs-sha">{label.sha}</span>}
          {label.sha && ' '}
          <span
            className={
              group.snapshot ? 'jp-Repro-Runs-on' : 'jp-Repro-Runs-subject'
            }
          >
            {label.text}
          </span>
        </span>
        {group.committed_at && (
          <span className="jp-Repro-Runs-groupTime">
            {relativeTime(Date.parse(group.committed_at))}
          </span>
        )}
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
      <ul className="jp-Repro-Runs-list">
        {group.runs.map(run => (
          <RunItem
            key={run.run_id}
            model={props.model}
            run={run}
            group={group}
            metric={props.metric}
            format={props.format}
            trans={trans}
            commands={commands}
            selection={props.selection}
            disabled={props.disabled}
            canOpen={!!(run.tags['repro.snapshot'] || group.commit)}
            onOpen={() => props.onOpen(run)}
          />
        ))}
      </ul>
    </div>
  );
}

function groupTitle(group: IRunGroup, trans: TranslationBundle): string {
  const lines: string[] = [groupLabelText(group, trans)];
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
  if (group.branch) {
    lines.push(trans.__('branch %1', group.branch));
  }
  if (group.committed_at) {
    lines.push(Time.format(group.committed_at));
  }
  return lines.join('\n');
}

/**
 * One run of the compact list: selection box, status, name (wrapped, never
 * cut), the chosen metric, and a line of badges when there are any. The
 * name opens the run's details below it.
 */
function RunItem(props: {
  model: RunsModel;
  run: IRun;
  group: IRunGroup;
  metric: string | null;
  format: (value: number | null | undefined) => string;
  trans: TranslationBundle;
  commands: CommandRegistry;
  selection: RunSelection | null;
  disabled: boolean;
  canOpen: boolean;
  onOpen: () => void;
}): JSX.Element {
  const { run, trans, selection, metric } = props;
  const [expanded, setExpanded] = React.useState(false);
  const name = run.run_name || run.run_id.slice(0, 8);
  const status = String(run.status ?? '').toLowerCase();
  const label = statusLabel(run.status, trans);
  const checked = selection?.has(run.run_id) ?? false;
  const value = metric === null ? undefined : run.metrics?.[metric];
  const badges =
    runBadges(run, trans).length > 0 ||
    !!run.tags?.['repro.release'] ||
    !!run.tags?.['repro.snapshot'] ||
    run.dirty;
  return (
    <li
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
      <div className="jp-Repro-Runs-row">
        {selection && (
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
        )}
        <button
          className="jp-Repro-Runs-toggle"
          aria-expanded={expanded}
          title={runTitle(run, label, trans)}
          onClick={() => setExpanded(!expanded)}
        >
          <span
            className={`jp-Repro-Runs-status jp-mod-${status}`}
            title={label}
          >
            <span aria-hidden="true">{STATUS_GLYPHS[run.status] ?? '?'}</span>
            <span className="jp-Repro-Runs-hidden">{label}</span>
          </span>
          <span className="jp-Repro-Runs-runName">{name}</span>
        </button>
        {metric !== null && (
          <span
            className="jp-Repro-Runs-metric"
            title={metricTitle(run, metric)}
          >
            {value === undefined ? '' : props.format(value)}
          </span>
        )}
      </div>
      {badges && (
        <div className="jp-Repro-Runs-marks">
          <RunMarks run={run} trans={trans} />
          <RunBadges run={run} trans={trans} />
        </div>
      )}
      {expanded && (
        <div className="jp-Repro-Runs-details">
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
        </div>
      )}
    </li>
  );
}

/** A run's hover text: status, when it ran, how long, its parameters. */
function runTitle(run: IRun, status: string, trans: TranslationBundle): string {
  const lines = [
    run.start_time
      ? trans.__(
          '%1, started %2, took %3',
          status,
          Time.format(new Date(run.start_time)),
          durationText(run)
        )
      : status
  ];
  const params = paramsText(run);
  lines.push(params || trans.__('No parameters'));
  return lines.join('\n');
}

function paramsText(run: IRun): string {
  return Object.entries(run.params ?? {})
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n');
}

function metricTitle(run: IRun, column: string): string {
  const value = run.metrics?.[column];
  return value === undefined ? `${column}: —` : `${column} = ${value ?? 'NaN'}`;
}
