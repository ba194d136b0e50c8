/**
 * runs/: the "Runs" section — the followed notebook's MLflow runs grouped
 * by the commit that ran (RunsModel), marked when they ran unsaved or
 * out-of-order code, with their details (code and its diff, environment,
 * parameters, metrics); live while cells run (LiveRuns) and saving a
 * notebook before its cells run (SaveBeforeRun); commands runs-refresh,
 * runs-load-more, runs-sort, runs-show-diff and copy-run-id; sharing run code
 * with a team (share-run-code, fetch-run-code, AutoShare); the runs ticked
 * for a comparison (RunSelection; the compare feature runs it). The notebook
 * as it was is history/'s (the views run its open-at-commit command).
 *
 * May import: common/ and tokens.ts. Not the other features.
 */
export * from './commands';
export * from './details';
export * from './execution';
export * from './model';
export * from './RunDetails';
export * from './RunsView';
export * from './selection';
export * from './share';
