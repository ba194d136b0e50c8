/**
 * commit/: the "Snapshot & commit" section — changed files, the
 * output-blind diff of the followed notebook, guardrail fixes and the
 * commit form (SnapshotModel), which open notebooks have unsaved changes
 * (UnsavedDocuments, for the preview); commands snapshot and guardrail-fix.
 *
 * May import: common/ and tokens.ts. Not export/: the re-export button
 * reads IExportTargets (tokens.ts), which the export plugin provides, and
 * runs the reexport command by id.
 */
export * from './commands';
export * from './model';
export * from './SnapshotView';
export * from './unsaved';
export * from './plugin';
export * from './settings';
