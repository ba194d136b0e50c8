import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  caretUpIcon,
  launchIcon,
  notebookIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { DiffLanguages, DiffLanguagesContext } from '../common/DiffPreview';
import { columnFormatter, relativeTime } from '../common/format';
import { useSignal } from '../common/useSignal';
import { durationText, groupLabel } from './labels';
import { commitOf } from './model';
import {
  RunBadges,
  RunMarks,
  safeUrl,
  STATUS_GLYPHS,
  statusLabel
} from './parts';
import { RunDetails } from './RunDetails';
import { OpenNotebookAt, openAtCommitCommand } from './RunsView';
import { MAX_SELECTED } from './selection';
import { columnLabel, columnSortTitle, IColumn, TableRow } from './table';
import { RunsTableModel } from './tableModel';
import { IRun, IRunGroup } from './types';

/**
 * An action of a run, one click in the table's actions column: a command
 * run with the run's arguments. It shows only while its command is
 * registered (Reproduce appears once its feature registers
 * `CommandIDs.reproduce`), disabled when the command says so.
 */
export interface IRunAction {
  /** The command it runs. */
  command: string;
  /** The button's words ("Release…"). */
  label: string;
  /** What it does, the button's title. */
  caption: string;
  /** A class of the button (`jp-Repro-RunsTable-<action>`). */
  className: string;
  /** The command's arguments for a run of the table's notebook. */
  args: (
    run: IRun,
    group: IRunGroup,
    path: string
  ) => ReadonlyPartialJSONObject;
}

/**
 * The actions of each run: release it as a tag, restore its code as a
 * branch, reproduce it (when that feature is there). Pass more to the
 * table to add one.
 */
export function defaultRunActions(trans: TranslationBundle): IRunAction[] {
  return [
    {
      command: CommandIDs.releaseRun,
      label: trans.__('Release…'),
      caption: trans.__(
        'Release this run: an annotated tag at its code with its metrics'
      ),
      className: 'jp-Repro-RunsTable-release',
      args: (run, _group, path) => ({ runId: run.run_id, path })
    },
    {
      command: CommandIDs.restoreBranch,
      label: trans.__('Restore…'),
      caption: trans.__("Restore this run's code as a branch"),
      className: 'jp-Repro-RunsTable-restore',
      args: (run, group, path) => ({
        runId: run.run_id,
        runName: run.run_name ?? '',
        path,
        commit: commitOf({ path, group, run }) ?? ''
      })
    },
    {
      command: CommandIDs.reproduce,
      label: trans.__('Reproduce…'),
      caption: trans.__(
        'Reproduce this run: run its code again in a clean kernel and compare'
      ),
      className: 'jp-Repro-RunsTable-reproduce',
      args: (run, _group, path) => ({ runId: run.run_id, path })
    }
  ];
}

export interface IRunsTableProps {
  model: RunsTableModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
  /** Default: the `open-at-commit` command. */
  openNotebookAt?: OpenNotebookAt;
  /** Default: {@link defaultRunActions}. */
  actions?: IRunAction[];
  languages?: DiffLanguages | null;
}

/**
 * Every run of a notebook as a table: the facts, parameters and metrics as
 * columns (a picker chooses them), sorted by any column, filtered by words
 * or comparisons (`accuracy>0.9`), grouped by commit or as one list. Arrow
 * keys move between runs, Space ticks one, Enter opens its details; two or
 * more ticked compare in one click, each run's release, restore and
 * reproduce are one click in its row.
 *
 * Everything from the server or MLflow is rendered as React text.
 */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { model, trans, commands } = props;
  useSignal(model.changed);
  useSignal(commands.commandChanged);
  const runs = model.runs;
  const selection = model.selection;
  const state = runs.state;
  const columns = model.columns;
  const rows = model.rows;
  const runRows = rows.filter(
    (row): row is Extract<TableRow, { kind: 'run' }> => row.kind === 'run'
  );
  const [expanded, setExpanded] = React.useState<ReadonlySet<string>>(
    new Set()
  );
  const [focused, setFocused] = React.useState<string | null>(null);
  const [openError, setOpenError] = React.useState<string | null>(null);
  const rowRefs = React.useRef(new Map<string, HTMLTableRowElement>());
  const actions = (props.actions ?? defaultRunActions(trans)).filter(action =>
    commands.hasCommand(action.command)
  );
  const openAt = props.openNotebookAt ?? openAtCommitCommand(commands);

  // One format down each metric column: the points line up.
  const formatters = new Map<
    string,
    (v: number | null | undefined) => string
  >();
  for (const column of columns) {
    if (column.kind === 'metric') {
      formatters.set(
        column.id,
        columnFormatter(runRows.map(row => row.run.metrics?.[column.key]))
      );
    }
  }

  const focusId =
    focused !== null && runRows.some(row => row.run.run_id === focused)
      ? focused
      : (runRows[0]?.run.run_id ?? null);

  const moveFocus = (runId: string | null) => {
    if (runId === null) {
      return;
    }
    setFocused(runId);
    const row = rowRefs.current.get(runId);
    if (row) {
      // Scroll up or down to the row, never sideways (a row is as wide as
      // the table: the browser would bring its start into view).
      row.focus({ preventScroll: true });
      scrollIntoRows(row);
    }
  };

  const toggleExpanded = (runId: string) => {
    const next = new Set(expanded);
    if (next.has(runId)) {
      next.delete(runId);
    } else {
      next.add(runId);
    }
    setExpanded(next);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLTableSectionElement>) => {
    const target = event.target as HTMLElement;
    const row = target.closest<HTMLElement>('tr[data-run-id]');
    // Keys in a cell's own controls (boxes, buttons, links) are theirs.
    if (!row || target !== row) {
      return;
    }
    const runId = row.dataset.runId ?? '';
    const index = runRows.findIndex(r => r.run.run_id === runId);
    switch (event.key) {
      case 'ArrowDown':
        moveFocus(runRows[Math.min(runRows.length - 1, index + 1)]?.run.run_id);
        break;
      case 'ArrowUp':
        moveFocus(runRows[Math.max(0, index - 1)]?.run.run_id);
        break;
      case 'Home':
        moveFocus(runRows[0]?.run.run_id ?? null);
        break;
      case 'End':
        moveFocus(runRows[runRows.length - 1]?.run.run_id ?? null);
        break;
      case ' ':
        selection.toggle(runId);
        break;
      case 'Enter':
        toggleExpanded(runId);
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const run = (command: string, args: ReadonlyPartialJSONObject) => {
    void Promise.resolve(commands.execute(command, args))
      .then(() => {
        // A release tags the run, a restore may move HEAD: read again.
        void model.refresh();
      })
      // A failed command is reported by the lab's failure reporter (notify.ts).
      .catch(() => undefined);
  };

  const open = async (group: IRunGroup, target: IRun | null) => {
    setOpenError(null);
    try {
      await openAt({ path: model.path, group, run: target });
    } catch (error) {
      setOpenError(
        error instanceof Error
          ? error.message
          : trans.__('Cannot open the notebook as it was.')
      );
    }
  };

  const loaded = runs.groups.length > 0;
  const total = runs.runCount;
  return (
    <DiffLanguagesContext.Provider value={props.languages ?? null}>
      <section
        className={'jp-Repro-RunsTable' + (runs.busy ? ' jp-mod-busy' : '')}
        data-state={state}
        aria-busy={runs.busy}
        aria-label={trans.__('MLflow runs of %1', model.path)}
      >
        <div className="jp-Repro-RunsTable-toolbar">
          <input
            className="jp-Repro-RunsTable-filter"
            type="search"
            aria-label={trans.__('Filter runs')}
            placeholder={trans.__('Filter: words, lr=0.01, accuracy>0.9')}
            title={trans.__(
              'Words to find in run names, parameters (lr=0.1), metric names and commits; key>value, key<=value, key!=value compare a metric or parameter'
            )}
            value={model.filter}
            onChange={e => model.setFilter(e.target.value)}
          />
          <label className="jp-Repro-RunsTable-grouped">
            <input
              type="checkbox"
              checked={model.grouped}
              onChange={e => model.setGrouped(e.target.checked)}
            />
            {trans.__('Group by commit')}
          </label>
          <ColumnPicker model={model} trans={trans} />
          <button
            className="jp-Repro-RunsTable-refresh"
            aria-label={trans.__('Refresh runs')}
            title={trans.__('Refresh runs')}
            onClick={() => void model.refresh()}
          >
            <refreshIcon.react tag="span" />
          </button>
          <span className="jp-Repro-RunsTable-count">
            {model.filter.trim()
              ? trans.__('%1 of %2 runs', runRows.length, total)
              : trans._n('%1 run', '%1 runs', total)}
          </span>
          <span
            className="jp-Repro-RunsTable-selection"
            data-selected={selection.size}
          >
            {selection.size > 0 &&
              trans._n('%1 selected', '%1 selected', selection.size)}
          </span>
          <button
            className="jp-Repro-RunsTable-compare jp-mod-styled jp-mod-accept"
            disabled={selection.size < 2}
            title={
              selection.size < 2
                ? trans.__(
                    'Select two runs or more (Space on a row) to compare them'
                  )
                : trans.__(
                    'Compare the selected runs: parameters, metrics, charts and the code that changed'
                  )
            }
            onClick={() =>
              void commands.execute(CommandIDs.compare, {
                runIds: selection.ids,
                path: model.path
              })
            }
          >
            {trans.__('Compare (%1)', selection.size)}
          </button>
          {selection.size > 0 && (
            <button
              className="jp-Repro-RunsTable-clear"
              title={trans.__('Unselect every run')}
              onClick={() => selection.clear()}
            >
              {trans.__('Clear')}
            </button>
          )}
        </div>
        {runs.tracking && (
          <div className="jp-Repro-RunsTable-source" title={runs.tracking.uri}>
            {trans.__('MLflow: %1', runs.tracking.uri)}
          </div>
        )}
        {state === 'loading' && !loaded && (
          <div className="jp-Repro-RunsTable-note">
            {trans.__('Reading runs…')}
          </div>
        )}
        {(state === 'unavailable' || state === 'error') && (
          <div className="jp-Repro-RunsTable-message" role="alert">
            {runs.message}
          </div>
        )}
        {openError !== null && (
          <div className="jp-Repro-RunsTable-message" role="alert">
            {openError}
          </div>
        )}
        {state === 'empty' && (
          <div className="jp-Repro-RunsTable-note">
            {trans.__('No runs for this notebook yet.')}
          </div>
        )}
        {loaded && runRows.length === 0 && (
          <div className="jp-Repro-RunsTable-note">
            {trans.__('No run matches “%1”.', model.filter.trim())}
          </div>
        )}
        {loaded && runRows.length > 0 && (
          <div className="jp-Repro-RunsTable-scroll">
            <table
              className="jp-Repro-RunsTable-table"
              role="grid"
              aria-multiselectable="true"
              aria-label={trans.__('Runs of %1', model.path)}
            >
              <thead>
                <tr>
                  <th scope="col" className="jp-Repro-RunsTable-selectHead">
                    <span className="jp-Repro-Runs-hidden">
                      {trans.__('Select to compare')}
                    </span>
                  </th>
                  {columns.map(column => (
                    <HeaderCell
                      key={column.id}
                      column={column}
                      model={model}
                      trans={trans}
                    />
                  ))}
                  <th scope="col" className="jp-Repro-RunsTable-actionsHead">
                    {trans.__('Actions')}
                  </th>
                </tr>
              </thead>
              <tbody onKeyDown={onKeyDown}>
                {rows.map(row =>
                  row.kind === 'group' ? (
                    <GroupRow
                      key={`group:${row.group.key ?? ''}`}
                      group={row.group}
                      count={row.count}
                      span={columns.length + 2}
                      trans={trans}
                      onOpen={() => void open(row.group, null)}
                    />
                  ) : (
                    <React.Fragment key={row.run.run_id}>
                      <RunRow
                        run={row.run}
                        group={row.group}
                        columns={columns}
                        formatters={formatters}
                        path={model.path}
                        trans={trans}
                        checked={selection.has(row.run.run_id)}
                        full={selection.full}
                        focusable={row.run.run_id === focusId}
                        expanded={expanded.has(row.run.run_id)}
                        actions={actions}
                        commands={commands}
                        rowRef={node => {
                          if (node) {
                            rowRefs.current.set(row.run.run_id, node);
                          } else {
                            rowRefs.current.delete(row.run.run_id);
                          }
                        }}
                        onFocus={() => setFocused(row.run.run_id)}
                        onToggle={() => selection.toggle(row.run.run_id)}
                        onExpand={() => toggleExpanded(row.run.run_id)}
                        onAction={run}
                      />
                      {expanded.has(row.run.run_id) && (
                        <tr className="jp-Repro-RunsTable-details">
                          <td colSpan={columns.length + 2}>
                            <div className="jp-Repro-RunsTable-detailBox">
                              <RunDetails
                                model={runs}
                                run={row.run}
                                group={row.group}
                                trans={trans}
                                commands={commands}
                                disabled={false}
                                canOpen={
                                  !!(
                                    row.run.tags['repro.snapshot'] ||
                                    row.group.commit
                                  )
                                }
                                onOpen={() => void open(row.group, row.run)}
                              />
                            </div>
                          </td>
                        </tr>
                      )}
                    </React.Fragment>
                  )
                )}
              </tbody>
            </table>
          </div>
        )}
        {runs.hasMore && (
          <button
            className="jp-Repro-RunsTable-more jp-mod-styled"
            disabled={runs.busy}
            onClick={() => void runs.loadMore()}
          >
            {trans.__('Load more runs')}
          </button>
        )}
      </section>
    </DiffLanguagesContext.Provider>
  );
}

/**
 * Scroll the table's box so that `row` is in view below the sticky header,
 * vertically only.
 */
function scrollIntoRows(row: HTMLElement): void {
  const box = row.closest<HTMLElement>('.jp-Repro-RunsTable-scroll');
  if (!box) {
    return;
  }
  const header =
    box.querySelector('thead')?.getBoundingClientRect().height ?? 0;
  const view = box.getBoundingClientRect();
  const rect = row.getBoundingClientRect();
  if (rect.top < view.top + header) {
    box.scrollTop -= view.top + header - rect.top;
  } else if (rect.bottom > view.bottom) {
    box.scrollTop += rect.bottom - view.bottom;
  }
}

function HeaderCell(props: {
  column: IColumn;
  model: RunsTableModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { column, model, trans } = props;
  const sort = model.sort;
  const sorted = sort !== null && sort.column === column.id ? sort : null;
  const title = columnSortTitle(column, sort, trans);
  return (
    <th
      scope="col"
      className={
        `jp-Repro-RunsTable-head jp-mod-${column.kind}` +
        (column.id === 'name' ? ' jp-mod-name' : '') +
        (sorted ? ' jp-mod-sorted' : '')
      }
      data-column={column.id}
      aria-sort={
        sorted ? (sorted.descending ? 'descending' : 'ascending') : undefined
      }
    >
      <button
        className="jp-Repro-RunsTable-sort"
        title={title}
        aria-label={title}
        onClick={() => model.toggleSort(column.id)}
      >
        <span className="jp-Repro-RunsTable-headLabel">
          {columnLabel(column, trans)}
        </span>
        {sorted &&
          (sorted.descending ? (
            <caretDownIcon.react tag="span" />
          ) : (
            <caretUpIcon.react tag="span" />
          ))}
      </button>
    </th>
  );
}

function GroupRow(props: {
  group: IRunGroup;
  count: number;
  span: number;
  trans: TranslationBundle;
  onOpen: () => void;
}): JSX.Element {
  const { group, trans } = props;
  const label = groupLabel(group, trans);
  return (
    <tr
      className={
        'jp-Repro-RunsTable-group' + (group.snapshot ? ' jp-mod-snapshot' : '')
      }
      data-commit={group.commit ?? ''}
      data-snapshot={group.snapshot ? 'true' : 'false'}
    >
      <th scope="colgroup" colSpan={props.span}>
        <span className="jp-Repro-RunsTable-groupLabel">
          {label.sha && (
            <span className="jp-Repro-RunsTable-sha">{label.sha}</span>
          )}
          <span className="jp-Repro-RunsTable-groupText">{label.text}</span>
          {group.committed_at && (
            <span
              className="jp-Repro-RunsTable-groupTime"
              title={Time.format(group.committed_at)}
            >
              {relativeTime(Date.parse(group.committed_at))}
            </span>
          )}
          {group.branch && (
            <span className="jp-Repro-Runs-branch">{group.branch}</span>
          )}
          <span className="jp-Repro-RunsTable-groupCount">
            {trans._n('%1 run', '%1 runs', props.count)}
          </span>
          {group.commit && (
            <button
              className="jp-Repro-RunsTable-openNotebook"
              title={trans.__(
                'Open notebook as it was: a read-only copy as of this commit'
              )}
              onClick={props.onOpen}
            >
              <notebookIcon.react tag="span" />
              {trans.__('Notebook as it was')}
            </button>
          )}
        </span>
      </th>
    </tr>
  );
}

function RunRow(props: {
  run: IRun;
  group: IRunGroup;
  columns: IColumn[];
  formatters: Map<string, (v: number | null | undefined) => string>;
  path: string;
  trans: TranslationBundle;
  checked: boolean;
  full: boolean;
  focusable: boolean;
  expanded: boolean;
  actions: IRunAction[];
  commands: CommandRegistry;
  rowRef: (node: HTMLTableRowElement | null) => void;
  onFocus: () => void;
  onToggle: () => void;
  onExpand: () => void;
  onAction: (command: string, args: ReadonlyPartialJSONObject) => void;
}): JSX.Element {
  const { run, group, trans, checked } = props;
  const name = run.run_name || run.run_id.slice(0, 8);
  const status = String(run.status ?? '').toLowerCase();
  const url = safeUrl(run.url);
  // Tab reaches the controls of the focused row only (one stop per row).
  const inner = props.focusable ? 0 : -1;
  return (
    <tr
      ref={props.rowRef}
      className={
        'jp-Repro-RunsTable-run jp-Repro-Runs-run' +
        (status ? ` jp-mod-${status}` : '') +
        (checked ? ' jp-mod-selected' : '') +
        (props.expanded ? ' jp-mod-expanded' : '')
      }
      data-run-id={run.run_id}
      data-status={run.status}
      tabIndex={props.focusable ? 0 : -1}
      aria-selected={checked}
      aria-expanded={props.expanded}
      onFocus={e => {
        if (e.target === e.currentTarget) {
          props.onFocus();
        }
      }}
    >
      <td className="jp-Repro-RunsTable-select">
        <input
          type="checkbox"
          className="jp-Repro-RunsTable-check"
          tabIndex={inner}
          aria-label={trans.__('Select %1 to compare', name)}
          title={
            !checked && props.full
              ? trans.__('At most %1 runs are compared at once.', MAX_SELECTED)
              : trans.__('Select to compare (Space)')
          }
          checked={checked}
          disabled={!checked && props.full}
          onChange={props.onToggle}
        />
      </td>
      {props.columns.map(column => (
        <Cell
          key={column.id}
          column={column}
          run={run}
          group={group}
          name={name}
          status={status}
          expanded={props.expanded}
          format={props.formatters.get(column.id)}
          trans={trans}
          tabIndex={inner}
          onExpand={props.onExpand}
        />
      ))}
      <td className="jp-Repro-RunsTable-actions">
        {props.actions.map(action => {
          const args = action.args(run, group, props.path);
          return (
            <button
              key={action.command}
              className={`jp-Repro-RunsTable-action ${action.className}`}
              tabIndex={inner}
              title={action.caption}
              disabled={!props.commands.isEnabled(action.command, args)}
              onClick={() => props.onAction(action.command, args)}
            >
              {action.label}
            </button>
          );
        })}
        {url && (
          <a
            className="jp-Repro-RunsTable-action jp-Repro-RunsTable-mlflow"
            tabIndex={inner}
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
  );
}

function Cell(props: {
  column: IColumn;
  run: IRun;
  group: IRunGroup;
  name: string;
  status: string;
  expanded: boolean;
  format?: (v: number | null | undefined) => string;
  trans: TranslationBundle;
  tabIndex: number;
  onExpand: () => void;
}): JSX.Element {
  const { column, run, group, trans } = props;
  const className = `jp-Repro-RunsTable-cell jp-mod-${column.kind}`;
  if (column.kind === 'metric') {
    const value = run.metrics?.[column.key];
    return (
      <td
        className={className}
        title={value === undefined ? '' : `${column.key} = ${value ?? 'NaN'}`}
      >
        {value === undefined
          ? ''
          : (props.format ?? columnFormatter([]))(value)}
      </td>
    );
  }
  if (column.kind === 'param') {
    const value = run.params?.[column.key];
    return (
      <td className={className} title={value ?? ''}>
        {value ?? ''}
      </td>
    );
  }
  switch (column.key) {
    case 'name': {
      const Caret = props.expanded ? caretDownIcon : caretRightIcon;
      return (
        <td className={`${className} jp-mod-name`}>
          <button
            className="jp-Repro-RunsTable-name"
            tabIndex={props.tabIndex}
            aria-expanded={props.expanded}
            title={trans.__('Show the details of %1 (Enter)', props.name)}
            onClick={props.onExpand}
          >
            <Caret.react tag="span" />
            <span
              className={`jp-Repro-Runs-status jp-mod-${props.status}`}
              title={statusLabel(run.status, trans)}
            >
              <span aria-hidden="true">{STATUS_GLYPHS[run.status] ?? '?'}</span>
              <span className="jp-Repro-Runs-hidden">
                {statusLabel(run.status, trans)}
              </span>
            </span>
            <span className="jp-Repro-RunsTable-runName">{props.name}</span>
          </button>
          <RunMarks run={run} trans={trans} />
          <RunBadges run={run} trans={trans} />
        </td>
      );
    }
    case 'status': {
      const label = statusLabel(run.status, trans);
      return (
        <td className={`${className} jp-mod-status`}>
          <span
            className={`jp-Repro-Runs-status jp-mod-${props.status}`}
            aria-hidden="true"
          >
            {STATUS_GLYPHS[run.status] ?? '?'}
          </span>{' '}
          {label}
        </td>
      );
    }
    case 'started':
      return (
        <td
          className={className}
          title={run.start_time ? Time.format(new Date(run.start_time)) : ''}
        >
          {run.start_time ? relativeTime(run.start_time) : '—'}
        </td>
      );
    case 'duration':
      return (
        <td className={`${className} jp-mod-number`}>{durationText(run)}</td>
      );
    case 'code': {
      const snapshot = run.tags?.['repro.snapshot'];
      const code = snapshot || group.commit;
      return (
        <td
          className={`${className} jp-mod-code`}
          title={
            snapshot
              ? trans.__(
                  'snapshot %1 on top of %2',
                  snapshot,
                  (group.snapshot ? group.parent : group.commit) ?? ''
                )
              : (code ?? '')
          }
        >
          {code ? code.slice(0, 7) : '—'}
        </td>
      );
    }
    case 'user':
      return <td className={className}>{run.user ?? ''}</td>;
    case 'experiment':
      return (
        <td className={className}>
          {run.experiment_name ?? run.experiment_id}
        </td>
      );
  }
  return <td className={className} />;
}

/**
 * "Columns": which facts, metrics and parameters the table shows, as
 * checkboxes in a drop-down; "Default columns" goes back to the ones that
 * follow the runs.
 */
function ColumnPicker(props: {
  model: RunsTableModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const details = React.useRef<HTMLDetailsElement>(null);
  const available = model.available;
  const shown = new Set(model.columns.map(column => column.id));
  const kinds: [IColumn['kind'], string][] = [
    ['info', trans.__('Run')],
    ['metric', trans.__('Metrics')],
    ['param', trans.__('Parameters')]
  ];
  // A click elsewhere or Escape closes the drop-down.
  React.useEffect(() => {
    const close = (event: Event) => {
      const node = details.current;
      if (
        node?.open &&
        (event.type !== 'keydown' ||
          (event as KeyboardEvent).key === 'Escape') &&
        (event.type === 'keydown' || !node.contains(event.target as Node))
      ) {
        node.open = false;
      }
    };
    document.addEventListener('mousedown', close, true);
    document.addEventListener('keydown', close, true);
    return () => {
      document.removeEventListener('mousedown', close, true);
      document.removeEventListener('keydown', close, true);
    };
  }, []);
  return (
    <details className="jp-Repro-RunsTable-columns" ref={details}>
      <summary
        className="jp-Repro-RunsTable-columnsButton jp-mod-styled"
        title={trans.__('Choose the columns: run facts, metrics, parameters')}
      >
        {trans.__('Columns (%1/%2)', shown.size, available.length)}
      </summary>
      <div
        className="jp-Repro-RunsTable-columnsPanel"
        role="group"
        aria-label={trans.__('Columns')}
      >
        {kinds.map(([kind, title]) => {
          const columns = available.filter(column => column.kind === kind);
          if (columns.length === 0) {
            return null;
          }
          return (
            <fieldset
              key={kind}
              className="jp-Repro-RunsTable-columnsKind"
              data-kind={kind}
            >
              <legend>{title}</legend>
              {columns.map(column => (
                <label
                  key={column.id}
                  className="jp-Repro-RunsTable-columnChoice"
                  data-column={column.id}
                >
                  <input
                    type="checkbox"
                    checked={shown.has(column.id)}
                    disabled={column.id === 'name'}
                    onChange={e =>
                      model.setColumnVisible(column.id, e.target.checked)
                    }
                  />
                  <span>{columnLabel(column, trans)}</span>
                </label>
              ))}
            </fieldset>
          );
        })}
        <button
          className="jp-Repro-RunsTable-defaultColumns jp-mod-styled"
          disabled={!model.customColumns}
          onClick={() => model.resetColumns()}
        >
          {trans.__('Default columns')}
        </button>
      </div>
    </details>
  );
}
