import {
  MainAreaWidget,
  ReactWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { tableRowsIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import * as React from 'react';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { DiffLanguages } from '../common/DiffPreview';
import { RunsModel } from './model';
import { IRunAction, RunsTable } from './RunsTable';
import { ISortState } from './labels';
import { IRunsTableArgs, RunsTableModel } from './tableModel';

let count = 0;

/**
 * Every run of one notebook as a table, in the main area (see
 * {@link RunsTable}); tracked so a restored layout opens it again with its
 * columns, order, filter and grouping.
 */
export class RunsTableWidget extends MainAreaWidget<ReactWidget> {
  constructor(options: {
    model: RunsTableModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
    actions?: IRunAction[];
    languages?: DiffLanguages | null;
  }) {
    const { model, trans } = options;
    const content = ReactWidget.create(
      <RunsTable
        model={model}
        trans={trans}
        commands={options.commands}
        actions={options.actions}
        languages={options.languages}
      />
    );
    content.addClass('jp-Repro-RunsTableContent');
    super({ content });
    this._model = model;
    this.id = `jp-repro-runs-table-${++count}`;
    this.addClass('jp-Repro-RunsTableWidget');
    this.title.closable = true;
    this.title.icon = tableRowsIcon;
    // Lumino renders titles as text.
    this.title.label = trans.__('Runs: %1', PathExt.basename(model.path));
    this.title.caption = trans.__('MLflow runs of %1', model.path);
  }

  get model(): RunsTableModel {
    return this._model;
  }

  /** The notebook whose runs it shows (server path). */
  get path(): string {
    return this._model.path;
  }

  /** What a restored layout opens it with. */
  get args(): IRunsTableArgs {
    return this._model.args;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  private _model: RunsTableModel;
}

/**
 * What the runs-table command needs; the lab's side (the shell, the
 * notebook to show by default) comes in as functions.
 */
export interface IRunsTableCommandOptions {
  requester: Requester;
  trans: TranslationBundle;
  commands: CommandRegistry;
  tracker: WidgetTracker<RunsTableWidget>;
  /**
   * Show a view in the main area; false when the shell cannot (Notebook 7's
   * pages hold one document).
   */
  open: (widget: RunsTableWidget) => boolean;
  /** Bring an open view to the front. */
  activate: (widget: RunsTableWidget) => void;
  /** What happens when {@link open} could not show the table. */
  cannotOpen?: (path: string) => void;
  /**
   * The notebook a command without `path` shows: the file browser's
   * selection for `{ source: 'filebrowser' }`, else the current notebook,
   * else the one the sidebar follows.
   */
  defaultPath: (args: ReadonlyPartialJSONObject) => string | null;
  /** Metrics shown first by default (the `runsMetricColumns` setting). */
  preferredMetrics?: () => string[];
  /** More actions per run than {@link defaultRunActions}. */
  actions?: IRunAction[];
  languages?: DiffLanguages | null;
  /** Start the tables' polls (default true; tests turn it off). */
  autoStart?: boolean;
}

function pathOf(
  args: ReadonlyPartialJSONObject,
  options: IRunsTableCommandOptions
): string | null {
  const given = args['path'];
  const path =
    typeof given === 'string' && given !== ''
      ? given
      : options.defaultPath(args);
  return path && /\.ipynb$/i.test(path) ? path : null;
}

function sortOf(value: unknown): ISortState | null {
  if (
    value &&
    typeof value === 'object' &&
    typeof (value as ISortState).column === 'string' &&
    typeof (value as ISortState).descending === 'boolean'
  ) {
    return {
      column: (value as ISortState).column,
      descending: (value as ISortState).descending
    };
  }
  return null;
}

/**
 * `runs-table`: open (or bring to the front) the runs table of a notebook;
 * args `{ path?, columns?, sort?, grouped?, filter? }` (a restored layout
 * passes them all) or `{ source: 'filebrowser' }`.
 */
export function addRunsTableCommands(options: IRunsTableCommandOptions): void {
  const { commands, trans, tracker } = options;
  commands.addCommand(CommandIDs.runsTable, {
    label: trans.__('Open Runs Table'),
    caption: trans.__(
      'Every MLflow run of the notebook as a table in the main area: sort, filter, pick columns, compare, release, restore'
    ),
    icon: tableRowsIcon,
    isEnabled: args => pathOf(args, options) !== null,
    execute: (args: ReadonlyPartialJSONObject) => {
      const path = pathOf(args, options);
      if (path === null) {
        return null;
      }
      const existing = tracker.find(widget => widget.path === path);
      if (existing) {
        options.activate(existing);
        return existing;
      }
      const columns = Array.isArray(args['columns'])
        ? (args['columns'] as unknown[]).filter(
            (id): id is string => typeof id === 'string'
          )
        : undefined;
      const model = new RunsTableModel({
        requester: options.requester,
        trans,
        preferredMetrics: options.preferredMetrics,
        autoStart: options.autoStart,
        args: {
          path,
          ...(columns ? { columns } : {}),
          sort: sortOf(args['sort']),
          grouped: args['grouped'] !== false,
          filter: typeof args['filter'] === 'string' ? args['filter'] : ''
        }
      });
      const widget = new RunsTableWidget({
        model,
        trans,
        commands,
        actions: options.actions,
        languages: options.languages
      });
      if (!options.open(widget)) {
        widget.dispose();
        options.cannotOpen?.(path);
        return null;
      }
      void tracker.add(widget);
      // A restored layout opens it with its columns, order and filter.
      model.argsChanged.connect(() => {
        if (!widget.isDisposed) {
          void tracker.save(widget);
        }
      });
      return widget;
    }
  });
}

/**
 * Keep the open tables of the notebook the sidebar follows as fresh as its
 * Runs section: when the section lists a run the table does not have yet,
 * or with another status or release, the table reads its runs again.
 */
export function followSidebarRuns(
  runs: RunsModel,
  tracker: WidgetTracker<RunsTableWidget>
): IDisposable {
  const check = () => {
    if (runs.state !== 'ready' || runs.path === null) {
      return;
    }
    tracker.forEach(widget => {
      const table = widget.model.runs;
      if (
        widget.path !== runs.path ||
        table.busy ||
        table.state === 'loading'
      ) {
        return;
      }
      const stale = runs.groups.some(group =>
        group.runs.some(run => {
          const found = table.findRun(run.run_id);
          return (
            !found ||
            found.run.status !== run.status ||
            found.run.tags?.['repro.release'] !== run.tags?.['repro.release']
          );
        })
      );
      if (stale) {
        table.refreshSoon();
      }
    });
  };
  runs.stateChanged.connect(check);
  let disposed = false;
  return {
    get isDisposed() {
      return disposed;
    },
    dispose: () => {
      if (!disposed) {
        disposed = true;
        runs.stateChanged.disconnect(check);
      }
    }
  };
}
