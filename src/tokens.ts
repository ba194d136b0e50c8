// The interfaces the features share and other plugins may require: the
// sidebar model (IReproModel, a plugin token) with its status reply types,
// and IExportTargets. Imports libraries only.
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

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
 * The module each open notebook remembers for "Re-export" (server paths);
 * the export feature keeps it, the snapshot section shows it.
 */
export interface IExportTargets extends IDisposable {
  /** The remembered module of the notebook at `path`, as a server path. */
  get(path: string | null): string | null;
  readonly changed: ISignal<IExportTargets, void>;
}

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
