/**
 * runs/: the "Runs" section — the followed notebook's MLflow runs grouped
 * by the commit that ran (RunsModel); commands runs-refresh,
 * runs-load-more and open-at-commit.
 *
 * May import: common/ and tokens.ts. Not the other features.
 */
export * from './commands';
export * from './model';
export * from './RunsView';
