// The replies of `GET /jupyterlab-repro/runs` as the runs section reads
// them. Imports nothing.

export type RunStatus =
  'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'SCHEDULED';

/**
 * One MLflow run, as `GET /jupyterlab-repro/runs` lists it.
 */
export interface IRun {
  run_id: string;
  run_name: string | null;
  experiment_id: string;
  experiment_name: string | null;
  status: RunStatus;
  /** Milliseconds since the epoch. */
  start_time: number | null;
  end_time: number | null;
  /** Seconds; null while running. */
  duration: number | null;
  user: string | null;
  params: Record<string, string>;
  /** Latest values; null for NaN/infinite. */
  metrics: Record<string, number | null>;
  /** The `repro.*` tags. */
  tags: Record<string, string>;
  dirty: boolean;
  /** Cells ran with sources the saved notebook lacks (`repro.unsaved`). */
  unsaved?: boolean;
  /** Cells last ran in another order than they stand (`repro.execution_order`). */
  out_of_order?: boolean;
  /** The run in the MLflow UI, when the server knows its address. */
  url: string | null;
  /** Its last reproduction (`repro.reproduction.*`): the verdict and the reproduction's run. */
  reproduction?: { verdict: string; run_id: string } | null;
  /** The run this run reproduces (`repro.reproduces`), when it is a reproduction. */
  reproduces?: string | null;
}

/**
 * The runs of one commit (or of one hidden snapshot of uncommitted changes).
 */
export interface IRunGroup {
  key: string | null;
  commit: string | null;
  short_sha: string | null;
  subject: string | null;
  committed_at: string | null;
  /** Whether git knows the commit. */
  known: boolean;
  /** A hidden snapshot of uncommitted changes on top of `parent`. */
  snapshot: boolean;
  parent: string | null;
  parent_short_sha: string | null;
  parent_subject: string | null;
  branch: string | null;
  runs: IRun[];
}

export interface ITrackingInfo {
  uri_kind: string;
  uri: string;
  ui_url: string | null;
}

/**
 * `GET /jupyterlab-repro/runs` reply.
 */
export interface IRunsReply {
  path: string;
  notebook: string;
  commit: string | null;
  tracking: ITrackingInfo;
  groups: IRunGroup[];
  next_page_token: string | null;
  /** MLflow stores in the notebook's folder the server does not read (server paths). */
  other_stores?: string[];
}

/**
 * A run (or a whole group) whose notebook the user wants to see as it was.
 */
export interface IRunRef {
  /** The followed notebook (server path). */
  path: string;
  group: IRunGroup;
  /** Null for the group's own button. */
  run: IRun | null;
}
