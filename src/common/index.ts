/**
 * common/: what every feature shares — the only HTTP door (api), the
 * pending-work base (Task), the signal hook (useSignal), the command ids,
 * icons, the version, the read-only diff view, the one number format and
 * what the user is told (notify: notifications, command failures).
 *
 * May import: libraries only. Never a feature folder, tokens.ts or index.ts.
 */
export * from './api';
export * from './commandIds';
export * from './DiffPreview';
export * from './format';
export * from './icons';
export * from './notify';
export * from './task';
export * from './useSignal';
export * from './version';
export * from './documents';
export * from './floor';
export * from './settings';
export * from './shell';
