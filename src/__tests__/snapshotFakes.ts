/**
 * A fake server extension for the snapshot tests: each endpoint answers from
 * a handler the test sets; every call is recorded. Handlers may return a
 * promise the test resolves later.
 */
import { ReproRequestError, Requester } from '../common/api';
import { IChangedFile, IChangesReply, ISnapshotReply } from '../commit/model';
import { IStatusReply } from '../tokens';

export type Handler = (query: URLSearchParams, body: any) => unknown;

export interface ICall {
  endpoint: string;
  query: URLSearchParams;
  method: string;
  body: any;
}

export class FakeServer {
  calls: ICall[] = [];
  handlers: Record<string, Handler> = {};

  requester: Requester = async <T>(endpoint: string, init?: RequestInit) => {
    const [name, search] = endpoint.split('?');
    const query = new URLSearchParams(search ?? '');
    const body = init?.body ? JSON.parse(init.body as string) : null;
    this.calls.push({
      endpoint: name,
      query,
      method: init?.method ?? 'GET',
      body
    });
    const handler = this.handlers[name];
    if (!handler) {
      throw new ReproRequestError(`no handler for ${name}`, 404);
    }
    return (await handler(query, body)) as T;
  };

  callsTo(endpoint: string): ICall[] {
    return this.calls.filter(c => c.endpoint === endpoint);
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
}

export function statusReply(path: string, inRepo = true): IStatusReply {
  return {
    version: '1.0.0',
    path,
    kind: path.endsWith('.ipynb') ? 'file' : 'directory',
    directory: path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '',
    reason: inRepo ? null : 'not-a-repository',
    identity: { name: 'A', email: 'a@example.com', missing: false },
    repository: inRepo
      ? {
          root: 'proj',
          contains_server_root: false,
          branch: 'main',
          detached: false,
          has_commits: true,
          head: {
            sha: 'a'.repeat(40),
            short_sha: 'aaaaaaa',
            subject: 'feat: train',
            author_name: 'A',
            author_email: 'a@example.com',
            authored_at: '2026-01-01T00:00:00+00:00',
            committed_at: '2026-01-01T00:00:00+00:00'
          },
          upstream: null,
          ahead: null,
          behind: null,
          changes: {
            staged: 0,
            unstaged: 1,
            untracked: 0,
            conflicted: 0,
            dirty: true
          },
          dirty: true,
          file_state: 'modified'
        }
      : null
  };
}

export function file(
  path: string,
  overrides: Partial<IChangedFile> = {}
): IChangedFile {
  const notebook = path.endsWith('.ipynb');
  return {
    path,
    server_path: `proj/${path}`,
    state: 'modified',
    staged: false,
    notebook,
    classification: notebook ? 'source' : null,
    size: 100,
    violation: null,
    error: null,
    orig_path: null,
    ...overrides
  };
}

export function changesReply(files: IChangedFile[]): IChangesReply {
  return {
    root: 'proj',
    above_root: false,
    files,
    max_file_mb: 10,
    lfs_available: true
  };
}

export const DIFF_TEXT =
  '## cell 3 (code) modified\n@@ -1,2 +1,2 @@\n params = {\n-    "n_estimators": 30,\n+    "n_estimators": 50,\n';

export function snapshotReply(
  overrides: Partial<ISnapshotReply> = {}
): ISnapshotReply {
  return {
    committed: true,
    message: 'exp: more trees\n',
    commit: 'c'.repeat(40),
    short_sha: 'ccccccc',
    parent: 'a'.repeat(40),
    branch: 'main',
    tag: null,
    files: ['train.ipynb'],
    notebooks: [
      {
        path: 'train.ipynb',
        changed_in_commit: true,
        outputs_removed: 3,
        warnings: []
      }
    ],
    hook_output: '',
    reason: null,
    working_copy_cleared: [],
    ...overrides
  };
}

/**
 * A server for a repository at `proj/` with a changed notebook, a changed
 * config, model weights and another notebook.
 */
export function standardServer(): FakeServer {
  const server = new FakeServer();
  server.handlers = {
    status: query => statusReply(query.get('path') ?? ''),
    changes: () =>
      changesReply([
        file('train.ipynb'),
        file('config.yaml'),
        file('other.ipynb', { classification: 'outputs-only' }),
        file('model.pt', {
          state: 'untracked',
          size: 50 * 1024 * 1024,
          violation: {
            path: 'model.pt',
            kind: 'model weights',
            size: 50 * 1024 * 1024,
            rule: '*.pt',
            lfs_possible: true
          }
        })
      ]),
    diff: query => ({
      path: query.get('path'),
      from: 'HEAD',
      to: null,
      text: DIFF_TEXT,
      has_changes: true,
      summary: { modified: 1 }
    }),
    snapshot: () => snapshotReply()
  };
  return server;
}
