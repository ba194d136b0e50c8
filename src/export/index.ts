/**
 * export/: cells to an importable module — the "Export cells to module"
 * dialog (ExportModel), what each notebook remembers (ExportTargets);
 * commands export and reexport.
 *
 * May import: common/ and tokens.ts. Not the other features.
 */
export * from './commands';
export * from './ExportDialog';
export * from './model';
export * from './plugin';
