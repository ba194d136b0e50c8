/**
 * status/: the sidebar and its first section — the repository status of
 * the followed notebook or folder (ReproModel), initializing a repository
 * and the git identity; which path the sidebar follows (PathFollower, asked
 * of the features' path sources); commands open, refresh, init,
 * save-identity; the core plugin (IReproModel) and the sidebar plugin
 * (IReproSidebar).
 *
 * May import: common/ and tokens.ts. Not the other features (they add
 * their sections and path sources through IReproSidebar).
 */
export * from './commands';
export * from './model';
export * from './sidebar';
export * from './StatusView';
export * from './plugin';
export * from './settings';
export * from './follow';
