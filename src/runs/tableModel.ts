import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { Requester } from '../common/api';
import { ISortState } from './labels';
import { RunsModel } from './model';
import { RunSelection } from './selection';
import {
  availableColumns,
  defaultColumns,
  IColumn,
  nextSort,
  parseColumn,
  TableRow,
  tableRows
} from './table';

/**
 * What a runs table shows; a restored layout opens it again with these.
 */
export interface IRunsTableArgs {
  /** The notebook (server path). */
  path: string;
  /** The shown columns, in order; absent: the default ones. */
  columns?: string[];
  sort?: ISortState | null;
  /** Runs under their commits (default) or one list. */
  grouped?: boolean;
  filter?: string;
}

/** Runs the table asks for per page (the server's limit is 1,000). */
const TABLE_PAGE = 500;

/**
 * The state of one runs table: every run of one notebook (a
 * {@link RunsModel} of its own, polled like the sidebar's), the columns
 * shown, the order, the filter, whether runs are grouped by commit, and the
 * runs ticked for a comparison. No DOM.
 */
export class RunsTableModel implements IDisposable {
  constructor(options: {
    requester: Requester;
    args: IRunsTableArgs;
    trans?: TranslationBundle;
    /** Metrics shown first by default (the `runsMetricColumns` setting). */
    preferredMetrics?: () => string[];
    /** Start polling at once (default true; tests turn it off). */
    autoStart?: boolean;
  }) {
    const trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._preferred = options.preferredMetrics ?? (() => []);
    this._runs = new RunsModel({
      requester: options.requester,
      trans,
      pageSize: TABLE_PAGE,
      autoStart: options.autoStart ?? true
    });
    this._selection = new RunSelection(this._runs);
    const args = options.args;
    this._columns = Array.isArray(args.columns)
      ? args.columns.filter(id => parseColumn(id) !== null)
      : null;
    this._sort = args.sort && parseColumn(args.sort.column) ? args.sort : null;
    this._grouped = args.grouped ?? true;
    this._filter = typeof args.filter === 'string' ? args.filter : '';
    this._runs.stateChanged.connect(this._emit, this);
    this._selection.changed.connect(this._emit, this);
    this._runs.setPath(args.path);
  }

  /** The notebook's runs (and its load state, tracking store, pages). */
  get runs(): RunsModel {
    return this._runs;
  }

  /** The runs ticked for a comparison. */
  get selection(): RunSelection {
    return this._selection;
  }

  get path(): string {
    return this._runs.path ?? '';
  }

  /** What a restored layout needs to show this table again. */
  get args(): IRunsTableArgs {
    return {
      path: this.path,
      ...(this._columns !== null ? { columns: [...this._columns] } : {}),
      sort: this._sort,
      grouped: this._grouped,
      filter: this._filter
    };
  }

  /** Every column the loaded runs can fill. */
  get available(): IColumn[] {
    return availableColumns(this._runs.groups);
  }

  /** The shown columns, in order (the run's name always first). */
  get columns(): IColumn[] {
    const ids =
      this._columns ?? defaultColumns(this._runs.groups, this._preferred());
    const columns = ids
      .map(id => parseColumn(id))
      .filter((column): column is IColumn => column !== null);
    const name = columns.find(column => column.id === 'name');
    return [
      name ?? { id: 'name', kind: 'info', key: 'name' },
      ...columns.filter(column => column.id !== 'name')
    ];
  }

  /** Whether the user picked the columns (else they follow the runs). */
  get customColumns(): boolean {
    return this._columns !== null;
  }

  get sort(): ISortState | null {
    return this._sort;
  }

  get grouped(): boolean {
    return this._grouped;
  }

  get filter(): string {
    return this._filter;
  }

  /** The rows in order: group headers (when grouped) and runs. */
  get rows(): TableRow[] {
    return tableRows(this._runs.groups, {
      filter: this._filter,
      sort: this._sort,
      grouped: this._grouped
    });
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Emitted when anything shown changes (runs, selection, settings). */
  get changed(): ISignal<RunsTableModel, void> {
    return this._changed;
  }

  /** Emitted when {@link args} change (a layout saves them). */
  get argsChanged(): ISignal<RunsTableModel, void> {
    return this._argsChanged;
  }

  /**
   * Show or hide a column (added at the end of its kind: facts, then
   * parameters, then metrics as {@link available} orders them).
   */
  setColumnVisible(id: string, visible: boolean): void {
    if (id === 'name' || parseColumn(id) === null) {
      return;
    }
    const shown = this.columns.map(column => column.id);
    if (visible === shown.includes(id)) {
      return;
    }
    if (!visible) {
      this._columns = shown.filter(column => column !== id);
    } else {
      const order = this.available.map(column => column.id);
      const rank = (column: string) => {
        const at = order.indexOf(column);
        return at < 0 ? order.length : at;
      };
      // The user's order stays; the new column goes after the last shown
      // one that comes before it in the available order.
      let at = 1;
      shown.forEach((column, i) => {
        if (rank(column) < rank(id)) {
          at = i + 1;
        }
      });
      this._columns = [...shown.slice(0, at), id, ...shown.slice(at)];
    }
    if (this._sort && !this._columns.includes(this._sort.column)) {
      this._sort = null;
    }
    this._changedArgs();
  }

  /** Back to the default columns (they follow the loaded runs again). */
  resetColumns(): void {
    if (this._columns === null) {
      return;
    }
    this._columns = null;
    this._changedArgs();
  }

  /** The next order of a column's header (see {@link nextSort}). */
  toggleSort(id: string): void {
    const column = parseColumn(id);
    if (!column) {
      return;
    }
    this._sort = nextSort(this._sort, column);
    this._changedArgs();
  }

  setSort(sort: ISortState | null): void {
    this._sort = sort && parseColumn(sort.column) ? { ...sort } : null;
    this._changedArgs();
  }

  setGrouped(grouped: boolean): void {
    if (grouped === this._grouped) {
      return;
    }
    this._grouped = grouped;
    this._changedArgs();
  }

  setFilter(filter: string): void {
    if (filter === this._filter) {
      return;
    }
    this._filter = filter;
    this._changedArgs();
  }

  /** Read the runs again. */
  refresh(): Promise<void> {
    return this._runs.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._selection.dispose();
    this._runs.dispose();
    Signal.clearData(this);
  }

  private _changedArgs(): void {
    this._emit();
    if (!this._isDisposed) {
      this._argsChanged.emit();
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _runs: RunsModel;
  private _selection: RunSelection;
  private _preferred: () => string[];
  private _columns: string[] | null;
  private _sort: ISortState | null;
  private _grouped: boolean;
  private _filter: string;
  private _isDisposed = false;
  private _changed = new Signal<RunsTableModel, void>(this);
  private _argsChanged = new Signal<RunsTableModel, void>(this);
}
