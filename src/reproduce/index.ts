/**
 * reproduce/: reproduce a run — the jobs of `runs/reproduce` (ReproduceModel,
 * polled while one runs, found again after a reload), the "Reproduce…"
 * dialog (strict, tolerances, time limit), the Reproductions view (progress,
 * check, verdict, metrics, failure; VerdictBadge for the runs table), the
 * commands reproduce, reproduce-cancel, reproduce-show, and its plugin.
 *
 * May import: common/ and tokens.ts. Not the other features (the runs table
 * reaches it by command id and VerdictBadge).
 */
export * from './commands';
export * from './dialog';
export * from './model';
export * from './plugin';
export * from './ReproduceView';
export * from './types';
