/**
 * history/: the notebook as it was — a read-only contents drive
 * (HistoryDrive, `ReproHistory:<sha>/<path>`) answering `GET runs/notebook`,
 * a notebook widget factory that never starts a kernel
 * (HistoryNotebookFactory), what the sidebar says while such a document is
 * active (HistoryModel, HistoryView) and the way back to its code; commands
 * open-at-commit, restore-branch (also for a run: "Restore…"),
 * open-working-copy and bring-back-outputs, and the offer to bring kept
 * outputs back when the user is on their code again (KeptOutputsOffer).
 *
 * May import: common/ and tokens.ts. Not the other features.
 */
export * from './commands';
export * from './drive';
export * from './factory';
export * from './HistoryView';
export * from './model';
export * from './kept';
export * from './untouched';
export * from './plugin';
