import { ReproRequestError, Requester } from '../common/api';
import { ReproModel } from '../status/model';
import { IStatusReply, StatusState } from '../tokens';

function reply(overrides: Partial<IStatusReply> = {}): IStatusReply {
  return {
    version: '1.2.3',
    path: 'nb/train.ipynb',
    kind: 'file',
    directory: 'nb',
    reason: null,
    identity: { name: 'A', email: 'a@example.com', missing: false },
    repository: {
      root: '',
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
    },
    ...overrides
  };
}

/**
 * A requester whose answers the test releases one by one.
 */
class FakeServer {
  calls: { endpoint: string; init?: RequestInit }[] = [];
  private _pending: {
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }[] = [];

  requester: Requester = <T>(endpoint: string, init?: RequestInit) => {
    this.calls.push({ endpoint, init });
    return new Promise<T>((resolve, reject) => {
      this._pending.push({ resolve: resolve as (v: unknown) => void, reject });
    });
  };

  async answer(index: number, value: unknown): Promise<void> {
    this._pending[index].resolve(value);
    await flush();
  }

  async fail(index: number, error: unknown): Promise<void> {
    this._pending[index].reject(error);
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

function makeModel(server: FakeServer, version = '1.2.3'): ReproModel {
  return new ReproModel({
    requester: server.requester,
    version,
    autoStart: false
  });
}

describe('ReproModel', () => {
  let server: FakeServer;
  let model: ReproModel;

  beforeEach(() => {
    server = new FakeServer();
    model = makeModel(server);
  });

  afterEach(() => {
    model.dispose();
  });

  it('starts loading and asks for the followed path', async () => {
    expect(model.state).toBe('loading');
    model.setPath('nb/train.ipynb');
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0].endpoint).toBe('status?path=nb%2Ftrain.ipynb');
    expect(model.busy).toBe(true);
    await server.answer(0, reply());
    expect(model.state).toBe('ready');
    expect(model.busy).toBe(false);
    expect(model.status?.repository?.branch).toBe('main');
  });

  it('encodes awkward path names', () => {
    model.setPath('-x/实验 1.ipynb');
    expect(server.calls[0].endpoint).toBe(
      `status?path=${encodeURIComponent('-x/实验 1.ipynb')}`
    );
  });

  it('reports a folder outside any repository', async () => {
    model.setPath('scratch');
    await server.answer(
      0,
      reply({ repository: null, reason: 'not-a-repository', kind: 'directory' })
    );
    expect(model.state).toBe('not-repository');
  });

  it('reports a repository without commits', async () => {
    const r = reply();
    r.repository!.has_commits = false;
    r.repository!.head = null;
    r.reason = 'no-commits';
    model.setPath('nb');
    await server.answer(0, r);
    expect(model.state).toBe('no-commits');
  });

  it('detects a version mismatch in the handshake', async () => {
    model.setPath('');
    await server.answer(0, reply({ version: '0.0.9' }));
    expect(model.state).toBe('version-mismatch');
    expect(model.message).toContain('0.0.9');
    expect(model.message).toContain('1.2.3');
  });

  it('recovers from a mismatch once versions agree', async () => {
    model.setPath('');
    await server.answer(0, reply({ version: '0.0.9' }));
    void model.refresh();
    await server.answer(1, reply());
    expect(model.state).toBe('ready');
    expect(model.message).toBeNull();
  });

  it('treats a plain 404 as a missing server extension', async () => {
    model.setPath('');
    await server.fail(0, new ReproRequestError('404 Not Found', 404, null));
    expect(model.state).toBe('server-missing');
    expect(model.message).toContain('jupyter server extension list');
  });

  it('keeps a 404 with a reason (deleted path) as an error', async () => {
    model.setPath('gone.ipynb');
    await server.fail(
      0,
      new ReproRequestError(
        "No such file or directory: 'gone.ipynb'",
        404,
        'not-found'
      )
    );
    expect(model.state).toBe('error');
    expect(model.message).toContain('gone.ipynb');
  });

  it('shows a network failure as an error', async () => {
    model.setPath('');
    await server.fail(
      0,
      new ReproRequestError('Cannot reach the Jupyter server', 0)
    );
    expect(model.state).toBe('error');
  });

  it('drops a stale reply when the path changed meanwhile', async () => {
    model.setPath('a.ipynb');
    model.setPath('b.ipynb');
    await server.answer(1, reply({ path: 'b.ipynb' }));
    await server.answer(0, reply({ path: 'a.ipynb', repository: null }));
    expect(model.path).toBe('b.ipynb');
    expect(model.state).toBe('ready');
    expect(model.status?.path).toBe('b.ipynb');
  });

  it('does not refetch when the same path is set again', async () => {
    model.setPath('a.ipynb');
    await server.answer(0, reply({ path: 'a.ipynb' }));
    model.setPath('a.ipynb');
    expect(server.calls).toHaveLength(1);
  });

  it('keeps showing the old status while refreshing the same path', async () => {
    model.setPath('nb/train.ipynb');
    await server.answer(0, reply());
    void model.refresh();
    expect(model.state).toBe('ready');
    expect(model.busy).toBe(true);
    await server.answer(1, reply());
    expect(model.busy).toBe(false);
  });

  it('emits stateChanged on every transition', async () => {
    const seen: StatusState[] = [];
    model.stateChanged.connect(() => seen.push(model.state));
    model.setPath('nb');
    await server.answer(
      0,
      reply({ repository: null, reason: 'not-a-repository' })
    );
    expect(seen[0]).toBe('loading');
    expect(seen[seen.length - 1]).toBe('not-repository');
  });

  it('initializes the followed folder, then refreshes', async () => {
    model.setPath('scratch/untitled.ipynb');
    await server.answer(
      0,
      reply({
        path: 'scratch/untitled.ipynb',
        directory: 'scratch',
        repository: null,
        reason: 'not-a-repository'
      })
    );
    const done = model.initRepository({ name: 'N', email: 'n@example.com' });
    expect(server.calls[1].endpoint).toBe('init');
    expect(server.calls[1].init?.method).toBe('POST');
    expect(JSON.parse(server.calls[1].init?.body as string)).toEqual({
      path: 'scratch',
      name: 'N',
      email: 'n@example.com'
    });
    await server.answer(1, reply({ directory: 'scratch' }));
    await server.answer(2, reply({ directory: 'scratch' }));
    await done;
    expect(model.state).toBe('ready');
  });

  it('propagates an init failure with the server message', async () => {
    model.setPath('scratch');
    await server.answer(
      0,
      reply({ repository: null, reason: 'not-a-repository' })
    );
    const done = model.initRepository();
    await server.fail(
      1,
      new ReproRequestError(
        'git does not know who you are',
        409,
        'identity-missing'
      )
    );
    await expect(done).rejects.toThrow('git does not know who you are');
    expect(model.busy).toBe(false);
  });

  it('stores the identity in the repository when there is one', async () => {
    model.setPath('nb/train.ipynb');
    await server.answer(0, reply());
    const done = model.setIdentity('N', 'n@example.com');
    expect(JSON.parse(server.calls[1].init?.body as string)).toEqual({
      path: 'nb',
      name: 'N',
      email: 'n@example.com',
      scope: 'repository'
    });
    await server.answer(1, {
      name: 'N',
      email: 'n@example.com',
      missing: false
    });
    await server.answer(2, reply());
    await done;
  });

  it('stores the identity globally outside a repository', async () => {
    model.setPath('scratch');
    await server.answer(0, reply({ directory: 'scratch', repository: null }));
    void model.setIdentity('N', 'n@example.com');
    expect(JSON.parse(server.calls[1].init?.body as string).scope).toBe(
      'global'
    );
  });

  it('stops working once disposed', async () => {
    model.dispose();
    await model.refresh();
    expect(server.calls).toHaveLength(0);
    expect(model.isDisposed).toBe(true);
  });
});
