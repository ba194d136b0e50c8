// What the runs section does when cells run: save a notebook with unsaved
// changes first (saveBeforeRun), and read the runs again once the
// followed notebook's kernel is done (a run that finished shows up at once).
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * What an execution signal carries (NotebookActions.executionScheduled and
 * NotebookActions.executed pass the Notebook widget, and more).
 */
export interface IExecutionArgs<N> {
  notebook: N;
}

/**
 * The part of a document context saving needs.
 */
export interface ISaveableContext {
  readonly model: { readonly dirty: boolean };
  /** False for a read-only or collaborative document (the server saves those). */
  readonly canSave?: boolean;
  save(): Promise<void>;
}

/**
 * Options of {@link SaveBeforeRun}.
 */
export interface ISaveBeforeRunOptions<N> {
  /** Emitted when a cell is about to run (NotebookActions.executionScheduled). */
  scheduled: ISignal<unknown, IExecutionArgs<N>>;
  /** The `saveBeforeRun` setting, read at each execution. */
  enabled: () => boolean;
  /** The notebook's document: its server path and context, if it has one. */
  documentOf: (
    notebook: N
  ) => { path: string; context: ISaveableContext } | null;
  /**
   * Whether the notebook at a server path lives in a git repository, as
   * the followed notebook's status says (false for any other notebook).
   */
  inRepository: (path: string) => boolean;
  /** Told when a save failed (the run goes on, recorded as unsaved). */
  onError?: (path: string, error: unknown) => void;
}

/**
 * Save a notebook that has unsaved changes and lives in a git repository
 * before its cells run, with JupyterLab's own save (no dialog), so the
 * commit, snapshot and file on disk hold the code that runs. One save per
 * burst of executions (Run All schedules every cell).
 */
export class SaveBeforeRun<N> implements IDisposable {
  constructor(options: ISaveBeforeRunOptions<N>) {
    this._options = options;
    options.scheduled.connect(this._onScheduled, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The saves started and not settled yet. */
  get pending(): number {
    return this._saving.size;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._options.scheduled.disconnect(this._onScheduled, this);
  }

  private _onScheduled(_: unknown, args: IExecutionArgs<N>): void {
    const options = this._options;
    if (this._isDisposed || !options.enabled()) {
      return;
    }
    const document = options.documentOf(args.notebook);
    if (!document) {
      return;
    }
    const { path, context } = document;
    if (
      !context.model.dirty ||
      context.canSave === false ||
      this._saving.has(context) ||
      !options.inRepository(path)
    ) {
      return;
    }
    this._saving.add(context);
    context
      .save()
      .catch(error => options.onError?.(path, error))
      .finally(() => this._saving.delete(context));
  }

  private _options: ISaveBeforeRunOptions<N>;
  private _saving = new Set<ISaveableContext>();
  private _isDisposed = false;
}

/**
 * The part of the runs model {@link LiveRuns} drives.
 */
export interface ILiveRunsTarget {
  /** The followed notebook (server path), or null. */
  readonly path: string | null;
  /** Read the runs again after a short, debounced delay. */
  refreshSoon(): void;
}

/**
 * The parts of a kernel message {@link executionFinished} reads.
 */
export interface IKernelMessageLike {
  header: { msg_type: string };
  parent_header?: { msg_type?: string } | Record<string, never>;
  content: unknown;
}

/**
 * Whether an iopub message says the kernel is idle again after running
 * code — from any client: the notebook, a console on its kernel, another
 * tab. Idle after a completion or an inspection request is not.
 */
export function executionFinished(msg: IKernelMessageLike): boolean {
  const content = msg.content as { execution_state?: unknown } | null;
  const parent = msg.parent_header as { msg_type?: unknown } | undefined;
  return (
    msg.header.msg_type === 'status' &&
    content?.execution_state === 'idle' &&
    parent?.msg_type === 'execute_request'
  );
}

/**
 * The notebook a console panel runs on, or null: a console made for a
 * notebook ("New Console for Notebook") shares its session, whose path is
 * the notebook's. Read by shape (a `console` and a `sessionContext`), so
 * the console package is not needed.
 */
export function notebookOfConsole(widget: unknown): string | null {
  const panel = widget as {
    console?: unknown;
    sessionContext?: { path?: unknown };
  } | null;
  const path = panel?.console ? panel.sessionContext?.path : null;
  return typeof path === 'string' && path.toLowerCase().endsWith('.ipynb')
    ? path
    : null;
}

/**
 * What a console on a notebook's kernel makes the sidebar follow: that
 * notebook (as a server path); any other widget is not its kind.
 */
export function consoleSource(
  localPath: (path: string) => string
): (widget: unknown) => string | undefined {
  return widget => {
    const notebook = notebookOfConsole(widget);
    return notebook ? localPath(notebook) : undefined;
  };
}

/**
 * Options of {@link LiveRuns}.
 */
export interface ILiveRunsOptions<N> {
  /** Emitted when a cell finished running (NotebookActions.executed). */
  executed: ISignal<unknown, IExecutionArgs<N>>;
  /**
   * Emitted when a notebook's kernel went idle after running code from any
   * client (see {@link executionFinished}): a run started from a console
   * on the notebook's kernel shows up as soon as one from a cell.
   */
  kernelIdle?: ISignal<unknown, IExecutionArgs<N>>;
  /** The server path of the notebook a widget shows, or null. */
  pathOf: (notebook: N) => string | null;
  runs: ILiveRunsTarget;
}

/**
 * Read the followed notebook's runs again when its kernel finished running
 * cells or other code (debounced by the model): a run that finished appears within a
 * moment, not at the next poll.
 */
export class LiveRuns<N> implements IDisposable {
  constructor(options: ILiveRunsOptions<N>) {
    this._options = options;
    options.executed.connect(this._onExecuted, this);
    options.kernelIdle?.connect(this._onExecuted, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._options.executed.disconnect(this._onExecuted, this);
    this._options.kernelIdle?.disconnect(this._onExecuted, this);
  }

  private _onExecuted(_: unknown, args: IExecutionArgs<N>): void {
    const { runs, pathOf } = this._options;
    if (this._isDisposed || runs.path === null) {
      return;
    }
    if (pathOf(args.notebook) === runs.path) {
      runs.refreshSoon();
    }
  }

  private _options: ILiveRunsOptions<N>;
  private _isDisposed = false;
}
