/**
 * history/: the notebook as it was — a read-only contents drive
 * (HistoryDrive, `ReproHistory:<sha>/<path>`) answering `GET runs/notebook`,
 * a notebook widget factory that never starts a kernel
 * (HistoryNotebookFactory), what the sidebar says while such a document is
 * active (HistoryModel, HistoryView) and the way back to its code; commands
 * open-at-commit, restore-branch and open-working-copy.
 *
 * May import: common/ and tokens.ts. Not the other features.
 */
export * from './commands';
export * from './drive';
export * from './factory';
export * from './HistoryView';
export * from './model';
