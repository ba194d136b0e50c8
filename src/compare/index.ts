/**
 * compare/: comparing MLflow runs and releasing one — the compare view (a
 * main-area widget: run cards, parameters, metrics, charts of the metric
 * histories and parallel coordinates, the code that changed, the
 * environment), the release dialog (`POST runs/release`), the "Releases"
 * sidebar section (`GET tags`), and the commands compare, compare-with,
 * release-run and compare-from-url. The chart library (./echarts) and the
 * merge view (./merge) are loaded lazily, in chunks of their own.
 *
 * The compare and release plugins.
 *
 * May import: common/ and tokens.ts. Not the other features (the runs
 * panel's selection and runs come through IReproRuns).
 */
export * from './chartOptions';
export * from './Charts';
export * from './CodeDiff';
export * from './commands';
export * from './CompareView';
export * from './model';
export * from './picker';
export * from './release';
export * from './releases';
export * from './ReleasesView';
export * from './widget';
export * from './plugin';
export * from './openInLab';
