// The interfaces the features share and other plugins may require: the
// sidebar model (IReproModel, a plugin token) with its status reply types,
// the sidebar (IReproSidebar), the runs of the followed notebook
// (IReproRuns), the export targets (IExportTargets) and the reproductions
// (IReproductions). Imports libraries only.
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

/**
 * Where the sidebar stands, derived from the last status reply.
 */
export type StatusState =
  | 'loading'
  | 'ready'
  | 'no-commits'
  | 'not-repository'
  | 'server-missing'
  | 'version-mismatch'
  | 'error';

export interface IHeadCommit {
  sha: string;
  short_sha: string;
  subject: string;
  author_name: string;
  author_email: string;
  authored_at: string;
  committed_at: string;
}

export interface IChanges {
  staged: number;
  unstaged: number;
  untracked: number;
  conflicted: number;
  dirty: boolean;
}

export interface IRepository {
  /** Repository root relative to the server root; null when it starts above it. */
  root: string | null;
  contains_server_root: boolean;
  branch: string | null;
  detached: boolean;
  has_commits: boolean;
  head: IHeadCommit | null;
  upstream: string | null;
  ahead: number | null;
  behind: number | null;
  changes: IChanges;
  dirty: boolean;
  file_state: string | null;
}

export interface IIdentity {
  name: string | null;
  email: string | null;
  missing: boolean;
}

/**
 * `GET /jupyterlab-repro/status` reply.
 */
export interface IStatusReply {
  version: string;
  path: string;
  kind: 'directory' | 'file';
  directory: string;
  repository: IRepository | null;
  reason: 'not-a-repository' | 'no-commits' | null;
  identity: IIdentity;
}

/**
 * The sidebar's repository model: which path it follows, the last status,
 * and the actions on it. Other plugins can require it through
 * {@link IReproModel}.
 */
export interface IReproModel extends IDisposable {
  readonly state: StatusState;
  readonly path: string;
  readonly status: IStatusReply | null;
  readonly message: string | null;
  readonly busy: boolean;
  readonly stateChanged: ISignal<IReproModel, void>;
  setPath(path: string): void;
  refresh(): Promise<void>;
  initRepository(identity?: { name: string; email: string }): Promise<void>;
  setIdentity(name: string, email: string): Promise<void>;
}

export const IReproModel = new Token<IReproModel>(
  'jupyterlab-repro:IReproModel',
  'The Repro sidebar model: repository status of the followed notebook or folder.'
);

/**
 * A changed file as the changes reply classes it (the parts the header
 * reads). Structurally the snapshot section's changed files.
 */
export interface IClassifiedFile {
  /** Relative to the server root; null when outside it. */
  server_path: string | null;
  /** Notebooks: source / outputs-only / clean / invalid; else null. */
  classification: string | null;
}

/**
 * Where the header reads the classified changed files from: the snapshot
 * section's model (the `GET changes` reply) fits this shape.
 */
export interface IChangeClassifier {
  /** The changed files of the followed path's repository, or [] unknown. */
  readonly files: readonly IClassifiedFile[];
  /** The changes reply was read (null until then). */
  readonly changes: unknown | null;
  readonly stateChanged: ISignal<unknown, void>;
}

/**
 * How a sidebar section is sized and placed (see the sidebar's
 * `addSection`): it never grows past its content; when room is short it
 * keeps its floor, the sections with the lowest priority getting theirs
 * first.
 */
export interface IReproSectionOptions {
  /**
   * The height the section keeps when room is short, from its content
   * element (default: all of it up to the sidebar's default floor).
   */
  floor?: (content: HTMLElement) => number;
  /**
   * Who gets its floor first when the floors do not all fit: lowest first
   * (the Repository facts are 0; default: after the sections added before).
   */
  priority?: number;
  /** The height it keeps before any floor is granted (default 48 px). */
  least?: number;
  /**
   * Where it goes: sections are shown by increasing order, whatever order
   * the plugins add them in (default: after every section added before).
   */
  order?: number;
}

/**
 * What a main-area widget says the sidebar should follow: a server path;
 * `null` when the widget is its kind but names no path yet (the followed
 * path stays); `undefined` when the widget is not its kind.
 */
export type ReproPathSource = (widget: unknown) => string | null | undefined;

/**
 * The ranks of the features' path sources: the order they are asked in
 * (a notebook as it was, a comparison, the runs table, the Reproductions
 * view, a console on a notebook's kernel, the active notebook).
 */
export namespace ReproPathRank {
  export const history = 10;
  export const comparison = 20;
  export const runsTable = 30;
  export const reproductions = 40;
  export const console = 50;
  export const notebook = 60;
}

/**
 * The Repro sidebar (the left-area panel) as the feature plugins see it:
 * they add their sections and banners, tell it which path a widget of
 * theirs follows, and hand it what lives as long as it does.
 */
export interface IReproSidebar {
  /** Add a section; `relativeSize` shares the room the contents leave. */
  addSection(
    widget: Widget,
    relativeSize?: number,
    options?: IReproSectionOptions
  ): void;
  /** Add a widget above the sections (what the active document is). */
  addBanner(widget: Widget): void;
  /** Expand the section holding `selector` and focus that element. */
  focusInSection(selector: string): void;
  /** Dispose these with the sidebar, in this order. */
  own(...items: IDisposable[]): void;
  /** The classified changed files the header's changes summary reads. */
  setChanges(changes: IChangeClassifier | null): void;
  /**
   * Ask `source` which path to follow when the main area changes (while
   * `followActiveNotebook` is on); lower ranks are asked first, and the
   * first that knows the widget decides (the file browser's folder when
   * none does).
   */
  addPathSource(source: ReproPathSource, rank: number): IDisposable;
  /** Call `watcher` with the current widget every time the path is chosen. */
  addPathWatcher(watcher: (widget: unknown) => void): IDisposable;
  /** Choose the followed path again now (a view's path changed). */
  follow(): void;
}

export const IReproSidebar = new Token<IReproSidebar>(
  'jupyterlab-repro:IReproSidebar',
  'The Repro sidebar: feature sections, banners and which path a main-area widget follows.'
);

/** A run as a comparison offers it: its name and what its code is. */
export interface IReproRunCandidate {
  runId: string;
  label: string;
  /** The snapshot or commit (short sha) and the commit's subject. */
  detail: string;
}

/** The code of a loaded run, as "Restore…" takes it. */
export interface IReproRunCode {
  /** The followed notebook (server path). */
  path: string;
  /** The run's hidden snapshot, else its group's commit. */
  commit: string;
  runId: string;
  runName: string | null;
  unsaved: boolean;
  uncommitted: boolean;
}

/**
 * The runs of the followed notebook as the Runs section lists them, and
 * the runs ticked there, for the features that act on runs (compare,
 * release, restore). The runs plugin provides it.
 */
export interface IReproRuns {
  /** The notebook the Runs section follows (server path). */
  readonly path: string | null;
  /** The runs ticked for a comparison, in the order ticked. */
  readonly selected: readonly string[];
  /** Tick a loaded run; false when it is not loaded or cannot be ticked. */
  select(runId: string): boolean;
  /** A loaded run as a comparison offers it, null when not loaded. */
  describe(runId: string): IReproRunCandidate | null;
  /** Every other loaded run, in the list's order. */
  others(runId: string): IReproRunCandidate[];
  /** The metrics to chart for these runs (null: none known). */
  metricsOf(runIds: readonly string[]): string[] | null;
  /** The code of a loaded run, null when unknown. */
  codeOf(runId: string | null | undefined): IReproRunCode | null;
  /** Read the runs again. */
  refresh(): Promise<void>;
}

export const IReproRuns = new Token<IReproRuns>(
  'jupyterlab-repro:IReproRuns',
  'The runs of the followed notebook (the Runs section) and the runs ticked for a comparison.'
);

/**
 * The module each open notebook remembers for "Re-export" (server paths);
 * the export feature keeps it, the snapshot section shows it.
 */
export interface IExportTargets extends IDisposable {
  /** The remembered module of the notebook at `path`, as a server path. */
  get(path: string | null): string | null;
  readonly changed: ISignal<IExportTargets, void>;
}

export const IExportTargets = new Token<IExportTargets>(
  'jupyterlab-repro:IExportTargets',
  'The module each open notebook remembers for "Re-export".'
);

/**
 * A reproduction as other features see it (the runs table's badge and its
 * "being reproduced" state): the reproduce feature provides
 * {@link IReproductions}.
 */
export interface IReproductionInfo {
  /** The job's id. */
  job: string;
  /** The run reproduced. */
  runId: string;
  /** `exact`, `within-tolerance`, `differs`, `failed`, `cancelled`; null while it runs. */
  verdict: string | null;
  /** The reproduction's own MLflow run, once there is one. */
  reproductionRunId: string | null;
}

/**
 * The reproductions the server runs, as the reproduce plugin follows them:
 * what runs now, the last verdict the lab saw per run, and a signal when one
 * finishes (the runs list reads again then: its rows carry `reproduction`).
 */
export interface IReproductions {
  /** The reproduction running now, if any. */
  readonly running: IReproductionInfo | null;
  /** The newest reproduction of `runId` the lab knows of, if any. */
  latest(runId: string): IReproductionInfo | null;
  /** Emitted when a reproduction finished. */
  readonly finished: ISignal<IReproductions, IReproductionInfo>;
  /** Emitted on every change (started, progress, finished). */
  readonly changed: ISignal<IReproductions, void>;
}

export const IReproductions = new Token<IReproductions>(
  'jupyterlab-repro:IReproductions',
  'Reproductions of runs: the running one, the last verdict per run, a signal when one finishes.'
);
