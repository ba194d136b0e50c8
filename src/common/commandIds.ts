/**
 * Every user action of the extension is a JupyterLab command; the features
 * register their own (`<feature>/commands.ts`), views, palette, menus,
 * shortcuts and toolbars (schema/plugin.json) all run them by these ids.
 */
export namespace CommandIDs {
  // status/
  /** Show the Repro sidebar. */
  export const open = 'jupyterlab-repro:open';
  /** Read the repository status again. */
  export const refresh = 'jupyterlab-repro:refresh';
  /** Create a repository in the followed folder (asks first). */
  export const init = 'jupyterlab-repro:init';
  /** Store a git identity; args `{ name, email }`. */
  export const saveIdentity = 'jupyterlab-repro:save-identity';

  // commit/
  /** Commit the notebook without outputs; args `{ path }` or `{ source }`. */
  export const snapshot = 'jupyterlab-repro:snapshot';
  /** Resolve a guardrail violation; args `{ path, action }`. */
  export const guardrailFix = 'jupyterlab-repro:guardrail-fix';

  // export/
  /** The "Export cells to module" dialog; args `{ source: 'cell' }`. */
  export const exportCells = 'jupyterlab-repro:export';
  /** Export again with the remembered settings; args `{ path }`. */
  export const reexport = 'jupyterlab-repro:reexport';

  // runs/
  /** Read the followed notebook's runs again. */
  export const runsRefresh = 'jupyterlab-repro:runs-refresh';
  /** Append the next page of runs. */
  export const runsLoadMore = 'jupyterlab-repro:runs-load-more';
  /** Sort the runs by a metric (descending, ascending, off); args `{ column }`. */
  export const runsSort = 'jupyterlab-repro:runs-sort';
  /** Show what a run's code differs from its commit by; args `{ runId }`. */
  export const runsShowDiff = 'jupyterlab-repro:runs-show-diff';
  /** Copy a run's id to the clipboard; args `{ runId }`. */
  export const copyRunId = 'jupyterlab-repro:copy-run-id';
  /** Push the hidden snapshot refs to a remote; args `{ remote? }`. */
  export const shareRunCode = 'jupyterlab-repro:share-run-code';
  /** Fetch the code runs need from a remote; args `{ runIds?, remote? }`. */
  export const fetchRunCode = 'jupyterlab-repro:fetch-run-code';
  /**
   * Open every run of a notebook as a table in the main area; args
   * `{ path? }` (default: the current or followed notebook) or
   * `{ source: 'filebrowser' }`.
   */
  export const runsTable = 'jupyterlab-repro:runs-table';

  // compare/
  /**
   * Compare MLflow runs in the main area; args `{ runIds, path, metrics? }`
   * (without `runIds`: the runs selected in the runs panel).
   */
  export const compare = 'jupyterlab-repro:compare';
  /** Pick the runs to compare a run with; args `{ runId }` (or the run right-clicked). */
  export const compareWith = 'jupyterlab-repro:compare-with';
  /** Release a run as an annotated tag; args `{ runId, path }` (or the run right-clicked). */
  export const releaseRun = 'jupyterlab-repro:release-run';
  /** Open the comparison a `?repro-compare=` URL names (the router runs it). */
  export const compareFromUrl = 'jupyterlab-repro:compare-from-url';

  // history/
  /**
   * Open the notebook as a commit (or a run's snapshot) holds it, read-only
   * and without a kernel; args `{ path, commit, runId?, runName? }`.
   */
  export const openAtCommit = 'jupyterlab-repro:open-at-commit';
  /**
   * The code of the active historical copy (or of a run: args `{ path,
   * commit, runId?, runName? }`, or `{ source: 'run' }` for the run
   * right-clicked, which asks first) as branch `exp/<run name>`, switched to.
   */
  export const restoreBranch = 'jupyterlab-repro:restore-branch';
  /** The active historical copy (or a run's notebook, args as above) beside the original. */
  export const openWorkingCopy = 'jupyterlab-repro:open-working-copy';
  /** Bring back the outputs a restore kept aside; args `{ path, commit? }`. */
  export const bringBackOutputs = 'jupyterlab-repro:bring-back-outputs';

  // reproduce/
  /**
   * Reproduce a run (asks for strict/tolerances first unless `ask: false`);
   * args `{ runId?, path?, strict?, rtol?, atol?, timeout?, ask? }` (without
   * `runId`: the run right-clicked).
   */
  export const reproduce = 'jupyterlab-repro:reproduce';
  /** Cancel a reproduction; args `{ job }` (default: the running one). */
  export const reproduceCancel = 'jupyterlab-repro:reproduce-cancel';
  /** Show the reproductions (progress, verdicts) in the main area. */
  export const reproduceShow = 'jupyterlab-repro:reproduce-show';
}
