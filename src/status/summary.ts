import { IClassifiedFile, IRepository, IStatusReply } from '../tokens';

export type { IChangeClassifier, IClassifiedFile } from '../tokens';

/**
 * What the header's "Changes" and "This file" rows say.
 */
export interface IChangeSummary {
  /** Changed files with changes a snapshot would commit. */
  changed: number;
  /** Changed notebooks whose only differences are outputs. */
  outputsOnly: number;
  /** Something a snapshot would commit (the row is highlighted). */
  dirty: boolean;
  /**
   * The followed file's state: the server's (`modified`, `untracked` …) or
   * `outputs-only` when only its outputs changed.
   */
  fileState: string | null;
}

function isOutputsOnly(file: IClassifiedFile): boolean {
  return (
    file.classification === 'outputs-only' || file.classification === 'clean'
  );
}

/**
 * The header's changes summary: the status reply's counts, refined by the
 * classified changed files when they are known, so that notebooks whose only
 * changes are outputs are not counted as changes to commit (the snapshot
 * section says "outputs only" for them too).
 */
export function summarizeChanges(
  repo: IRepository,
  path: string,
  files: readonly IClassifiedFile[] | null
): IChangeSummary {
  const counted =
    repo.changes.staged +
    repo.changes.unstaged +
    repo.changes.untracked +
    repo.changes.conflicted;
  if (files === null || files.length === 0 || !repo.dirty) {
    return {
      changed: repo.dirty ? counted : 0,
      outputsOnly: 0,
      dirty: repo.dirty,
      fileState: repo.file_state
    };
  }
  const outputsOnly = files.filter(isOutputsOnly).length;
  const changed = Math.max(0, files.length - outputsOnly);
  const own = files.find(f => f.server_path === path);
  let fileState = repo.file_state;
  if (own && isOutputsOnly(own) && fileState === 'modified') {
    fileState = 'outputs-only';
  }
  return { changed, outputsOnly, dirty: changed > 0, fileState };
}

/**
 * The header's title: the repository's folder name and the followed path
 * inside it (never an absolute path).
 *
 * @param path - the followed path, relative to the server root
 * @param status - the last status reply (for the repository's root)
 * @param rootName - the server root's folder name ('' when unknown)
 */
export function headerParts(
  path: string,
  status: IStatusReply | null,
  rootName: string
): { repository: string; path: string } {
  const repo = status?.path === path ? status.repository : null;
  const root = repo?.root ?? null;
  if (repo === null || root === null) {
    // Not a repository, or one that starts above the server root (whose
    // name the server never tells): the path as it is.
    return { repository: '', path: path === '' ? rootName || '/' : path };
  }
  if (root === '') {
    return { repository: rootName || '/', path };
  }
  const name = root.split('/').pop() ?? root;
  const inside =
    path === root
      ? ''
      : path.startsWith(`${root}/`)
        ? path.slice(root.length + 1)
        : path;
  return { repository: name, path: inside };
}

/**
 * The last component of a path ('' for '' or '/').
 */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(part => part !== '');
  return parts.length > 0 ? parts[parts.length - 1] : '';
}
