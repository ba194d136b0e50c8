/**
 * status/: the sidebar and its first section — the repository status of
 * the followed notebook or folder (ReproModel), initializing a repository
 * and the git identity; commands open, refresh, init, save-identity.
 *
 * May import: common/ and tokens.ts. Not the other features (they add
 * their sections to the sidebar from index.ts).
 */
export * from './commands';
export * from './model';
export * from './sidebar';
export * from './StatusView';
