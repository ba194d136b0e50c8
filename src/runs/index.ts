/**
 * runs/: the "Runs" section — the followed notebook's MLflow runs grouped
 * by the commit that ran (RunsModel), as a compact list (RunsView), and the
 * runs table in the main area with every column (RunsTable, RunsTableModel,
 * the runs-table command); runs marked when they ran unsaved or
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
export * from './labels';
export * from './model';
export * from './RunDetails';
export * from './RunsTable';
export * from './RunsView';
export * from './selection';
export * from './share';
export * from './table';
export * from './tableModel';
export * from './tableWidget';
export * from './plugin';
export * from './settings';
export * from './lookup';
export * from './openInLab';
