// The replies of `runs/reproduce` (POST, GET, DELETE) as the reproduce
// feature reads them. Imports nothing.

/** The outcome of a reproduction. */
export type Verdict =
  'exact' | 'within-tolerance' | 'differs' | 'failed' | 'cancelled';

/** One metric: the run's latest value against the reproduction's. */
export interface IMetricRow {
  key: string;
  recorded: number | null;
  reproduced: number | null;
  difference: number | null;
  exact: boolean;
  within: boolean;
  /** The side the metric is missing on, if any. */
  missing?: 'recorded' | 'reproduced';
}

/** A param that differs. */
export interface IParamRow {
  key: string;
  recorded: string | null;
  reproduced: string | null;
}

/** Why the execution stopped: the cell (1-based in the notebook), the error, a hint. */
export interface IFailure {
  cell: number | null;
  step?: number | null;
  ename: string;
  evalue: string;
  source?: string;
  traceback?: string;
  hint?: string | null;
}

export interface IVerdict {
  verdict: Verdict;
  run_id: string;
  reproduction_run_id: string | null;
  metrics: IMetricRow[];
  params: IParamRow[];
  params_equal: boolean | null;
  rtol: number;
  atol: number;
  failure: IFailure | null;
  notes: string[];
  cells?: number;
  seconds?: number | null;
}

/** What differs between the run's environment lock and a kernel's now. */
export interface IEnvironmentDifference {
  kind: 'fact' | 'package' | 'conda';
  name: string;
  recorded: string | null;
  now: string | null;
}

/** A declared input file that changed, went missing or appeared. */
export interface IInputDifference {
  path: string;
  change: 'changed' | 'missing' | 'added';
  recorded: string | null;
  now: string | null;
}

/** The check made before anything runs. */
export interface ICheck {
  environment: {
    compared: boolean;
    note: string | null;
    partial?: boolean;
    differences: IEnvironmentDifference[];
  };
  inputs: {
    compared: boolean;
    note: string | null;
    patterns?: string[];
    differences: IInputDifference[];
  };
  differs: boolean;
  summary: string;
}

/** The cell running now: step `step` of `steps`, notebook cell `cell`. */
export interface IProgress {
  step: number;
  steps: number;
  cell: number;
  source: string;
  /** Milliseconds since the epoch. */
  started: number;
}

export interface IReproduceOptions {
  strict: boolean;
  rtol: number;
  atol: number;
  /** Seconds all cells may take; null: the server's default. */
  timeout: number | null;
}

export type JobState = 'running' | 'cancelling' | 'finished';

/** A reproduction job as `GET runs/reproduce?job=ID` answers it. */
export interface IJob {
  job: string;
  run_id: string;
  run_name: string | null;
  /**
   * The API path the reproduction was asked for: the run's notebook, or a
   * folder of its repository ("" when none was given).
   */
  path: string;
  state: JobState;
  phase: string;
  /** Milliseconds since the epoch. */
  created: number;
  finished: number | null;
  /** Seconds since the job started (until it finished). */
  elapsed: number;
  options: IReproduceOptions;
  plan: {
    notebook: string;
    code: string;
    snapshot: boolean;
    kernel: string;
    cells: number[];
    order_note: string | null;
    seed: number | null;
    fetched: string[];
    remote: string | null;
  };
  check: ICheck;
  progress: IProgress | null;
  verdict: IVerdict | null;
  reproduction_run_id: string | null;
  error: string | null;
  notes: string[];
}

/** `GET runs/reproduce` (no job): every job the server remembers, newest first. */
export interface IJobsReply {
  jobs: IJob[];
}
