// The replies of `GET runs/compare`, `POST runs/release` and `GET tags` as
// the compare view, the release dialog and the releases list read them.
// Imports nothing.

export type CompareRunStatus =
  'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'SCHEDULED';

/**
 * One compared run, as its header card shows it.
 */
export interface ICompareRun {
  run_id: string;
  run_name: string | null;
  experiment_id: string;
  experiment_name: string | null;
  status: CompareRunStatus;
  /** Milliseconds since the epoch. */
  start_time: number | null;
  end_time: number | null;
  /** Seconds; null while running. */
  duration: number | null;
  user: string | null;
  url: string | null;
  /** The notebook the run was started from (relative to its repository). */
  notebook: string | null;
  commit: string | null;
  /** The hidden snapshot commit of a run on uncommitted or unsaved code. */
  snapshot: string | null;
  /** The commit holding the code that ran (the snapshot, else the commit). */
  code: string | null;
  dirty: boolean;
  unsaved: boolean;
  out_of_order: boolean;
  /** The tag the run was released as (`repro.release`). */
  release: string | null;
}

/** One parameter across the runs (a value per run, null when absent). */
export interface IParamRow {
  key: string;
  values: (string | null)[];
  differs: boolean;
}

/** One run's summary of one metric. */
export interface IMetricValue {
  latest: number | null;
  min: number | null;
  max: number | null;
  min_step: number | null;
  max_step: number | null;
  latest_step: number | null;
  points: number;
}

/** One metric across the runs; `best` is the index of the best run. */
export interface IMetricRow {
  key: string;
  direction: 'min' | 'max';
  /** Per run; null when the run did not log the metric. */
  values: (IMetricValue | null)[];
  best: number | null;
  differs: boolean;
}

/** One environment entry that differs between the runs. */
export interface IEnvironmentRow {
  key: string;
  values: (string | null)[];
}

export type CellStatus =
  'added' | 'removed' | 'moved' | 'modified' | 'unchanged';

/** One cell of the output-blind notebook diff. */
export interface ICellDiff {
  status: CellStatus;
  cell_type: string;
  old_index: number | null;
  new_index: number | null;
  cell_id: string | null;
  old_cell_type?: string | null;
  moved?: boolean;
  source_changed: boolean;
  /** Unified-diff lines (` `, `-`, `+`, `@@`). */
  source_diff: string[];
  /** Whole sources, only for a cell whose source changed. */
  old_source?: string | null;
  new_source?: string | null;
  metadata_changed: string[];
  attachments_changed?: boolean;
  metadata_only?: boolean;
}

export interface INotebookDiff {
  cells: ICellDiff[];
  summary: Record<string, number>;
  has_changes: boolean;
  metadata_changed?: string[];
}

/** One other file changed between two runs' commits. */
export interface IFileDiff {
  path: string;
  old_path: string | null;
  status: string;
  additions: number | null;
  deletions: number | null;
  binary: boolean;
  /** Unified diff text; null when summarized. */
  diff: string | null;
  /** Why there is no diff (binary, too long, too many files). */
  summary: string | null;
}

/** The code of one run against the baseline's. */
export interface ICodeDiff {
  run_id: string;
  from_run: string;
  known: boolean;
  /** Why the code is unknown. */
  reason: string | null;
  from_code?: string;
  to_code?: string;
  /** The notebook when both runs ran the same one, else null. */
  notebook?: string | null;
  /** `train.ipynb`, or `a.ipynb → b.ipynb` for runs of two notebooks. */
  label?: string;
  same_code?: boolean;
  notebook_diff?: INotebookDiff;
  notebook_text?: string;
  files?: IFileDiff[];
  files_total?: number;
}

/** One run's history of one metric (downsampled by the server). */
export interface IHistory {
  steps: number[];
  /** null for NaN. */
  values: (number | null)[];
  /** Wall time from the run's first point. */
  seconds: number[];
  /** How many points the run logged in all. */
  points: number;
}

export interface ITracking {
  uri_kind: string;
  uri: string;
  ui_url: string | null;
}

/**
 * `GET /jupyterlab-repro/runs/compare` reply; `runs` starts with the
 * baseline, every per-run list follows the order of `runs`.
 */
export interface ICompareReply {
  tracking: ITracking;
  baseline: string;
  runs: ICompareRun[];
  params: IParamRow[];
  metrics: IMetricRow[];
  environment: IEnvironmentRow[];
  code: ICodeDiff[];
  /** metric → run id → history; only the charted metrics. */
  histories: Record<string, Record<string, IHistory>>;
}

/** `POST /jupyterlab-repro/runs/release` reply. */
export interface IReleaseReply {
  tag: string;
  /** What the tag points at (the model card commit when one was added). */
  commit: string;
  /** The run's code commit (its hidden snapshot for a snapshot run). */
  code: string;
  snapshot: boolean;
  model_card: boolean;
  message: string;
}

/** One tag of `GET /jupyterlab-repro/tags`. */
export interface ITag {
  name: string;
  commit: string;
  annotated: boolean;
  tagger: string | null;
  /** ISO date. */
  date: string | null;
  subject: string;
  body: string;
  /** The fields of a release tag (`run_id`, `metric.<k>` …), else null. */
  release: Record<string, string> | null;
}

export interface ITagsReply {
  tags: ITag[];
}
