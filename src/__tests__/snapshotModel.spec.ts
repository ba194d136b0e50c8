import { ReproRequestError } from '../common/api';
import { ReproModel } from '../status/model';
import { SnapshotModel, SnapshotState } from '../commit/model';
import {
  changesReply,
  DIFF_TEXT,
  FakeServer,
  file,
  flush,
  snapshotReply,
  standardServer,
  statusReply
} from './snapshotFakes';

const NB = 'proj/train.ipynb';

describe('SnapshotModel', () => {
  let server: FakeServer;
  let repro: ReproModel;
  let model: SnapshotModel;
  let log: string[];

  function build(options: { debounce?: number } = {}): void {
    repro = new ReproModel({
      requester: server.requester,
      version: '1.0.0',
      autoStart: false
    });
    model = new SnapshotModel({
      requester: server.requester,
      repro,
      debounce: options.debounce ?? 0,
      saveFirst: async path => {
        log.push(`save ${path}`);
      },
      revert: async path => {
        log.push(`revert ${path}`);
      }
    });
  }

  async function follow(path: string): Promise<void> {
    repro.setPath(path);
    await flush();
  }

  beforeEach(() => {
    server = standardServer();
    log = [];
    server.handlers.snapshot = (_, body) => {
      log.push('POST snapshot');
      return snapshotReply({
        message: `${body.type}: ${body.message}\n`
      });
    };
    build();
  });

  afterEach(() => {
    model.dispose();
    repro.dispose();
    jest.useRealTimers();
  });

  it('stays idle until the followed path is known to be in a repository', async () => {
    expect(model.state).toBe('idle');
    const seen: SnapshotState[] = [];
    model.stateChanged.connect(() => seen.push(model.state));
    await follow(NB);
    expect(seen).toContain('loading');
    expect(model.state).toBe('ready');
    expect(server.callsTo('changes')[0].query.get('path')).toBe(NB);
    expect(server.callsTo('diff')[0].query.get('path')).toBe(NB);
    expect(model.diff?.text).toBe(DIFF_TEXT);
    expect(model.notebookFile?.path).toBe('train.ipynb');
    expect(model.files).toHaveLength(4);
  });

  it('encodes awkward notebook names in its requests', async () => {
    const name = 'proj/-x/实验 1&a=b.ipynb';
    server.handlers.changes = () =>
      changesReply([file('-x/实验 1&a=b.ipynb', { server_path: name })]);
    await follow(name);
    expect(server.callsTo('changes')[0].query.get('path')).toBe(name);
    expect(server.callsTo('diff')[0].query.get('path')).toBe(name);
  });

  it('reports a folder outside any repository without asking for changes', async () => {
    server.handlers.status = query =>
      statusReply(query.get('path') ?? '', false);
    await follow('scratch/untitled.ipynb');
    expect(model.state).toBe('not-repository');
    expect(server.callsTo('changes')).toHaveLength(0);
    expect(model.canSnapshot).toBe(false);
  });

  it('maps a not-a-repository reply to its state', async () => {
    server.handlers.changes = () => {
      throw new ReproRequestError(
        'not in a repository',
        409,
        'not-a-repository'
      );
    };
    await follow(NB);
    expect(model.state).toBe('not-repository');
  });

  it('shows a load failure as an error with the server message', async () => {
    server.handlers.changes = () => {
      throw new ReproRequestError('git timed out', 504, 'git-timeout');
    };
    await follow(NB);
    expect(model.state).toBe('error');
    expect(model.loadError).toBe('git timed out');
  });

  it('follows a folder: lists changes, no diff, cannot snapshot', async () => {
    await follow('proj');
    expect(model.state).toBe('ready');
    expect(model.notebookPath).toBeNull();
    expect(server.callsTo('diff')).toHaveLength(0);
    model.setMessage('x');
    expect(model.canSnapshot).toBe(false);
    await expect(model.snapshot()).rejects.toThrow('Open a notebook');
  });

  it('asks for no diff when the notebook is unchanged, invalid or only has new outputs', async () => {
    server.handlers.changes = () => changesReply([file('config.yaml')]);
    await follow(NB);
    expect(model.notebookFile).toBeNull();
    expect(server.callsTo('diff')).toHaveLength(0);

    server.handlers.changes = () =>
      changesReply([
        file('train.ipynb', {
          classification: 'invalid',
          error: 'train.ipynb is not valid JSON'
        })
      ]);
    await model.reload();
    expect(server.callsTo('diff')).toHaveLength(0);
    expect(model.diffError).toBe('train.ipynb is not valid JSON');

    server.handlers.changes = () =>
      changesReply([file('train.ipynb', { classification: 'outputs-only' })]);
    await model.reload();
    expect(server.callsTo('diff')).toHaveLength(0);
    expect(model.diff).toBeNull();
    expect(model.diffError).toBeNull();
  });

  it('keeps the file list when only the diff fails', async () => {
    server.handlers.diff = () => {
      throw new ReproRequestError('diff failed', 500, null);
    };
    await follow(NB);
    expect(model.state).toBe('ready');
    expect(model.diffError).toBe('diff failed');
    expect(model.files).toHaveLength(4);
  });

  it('ticks only files that may go into the commit', async () => {
    await follow(NB);
    model.setTicked('config.yaml', true);
    model.setTicked('other.ipynb', true);
    model.setTicked('model.pt', true); // guardrail violation
    model.setTicked('train.ipynb', true); // the followed notebook
    model.setTicked('missing.txt', true);
    expect([...model.ticked].sort()).toEqual(['config.yaml', 'other.ipynb']);
    model.setTicked('other.ipynb', false);
    expect([...model.ticked]).toEqual(['config.yaml']);

    const outside = file('../up.txt', { server_path: null });
    const conflicted = file('c.txt', { state: 'conflicted' });
    expect(model.isTickable(outside)).toBe(false);
    expect(model.isTickable(conflicted)).toBe(false);
  });

  it('forgets ticks of files that are no longer changed', async () => {
    await follow(NB);
    model.setTicked('config.yaml', true);
    server.handlers.changes = () => changesReply([file('train.ipynb')]);
    await model.reload();
    expect(model.ticked.size).toBe(0);
  });

  it('reloads once after a burst of status refreshes (debounced)', async () => {
    model.dispose();
    repro.dispose();
    jest.useFakeTimers();
    build({ debounce: 300 });
    await follow(NB);
    expect(model.state).toBe('loading');
    void repro.refresh();
    await flush();
    void repro.refresh();
    await flush();
    expect(server.callsTo('changes')).toHaveLength(0);
    jest.advanceTimersByTime(300);
    await flush();
    expect(server.callsTo('changes')).toHaveLength(1);
    expect(model.state).toBe('ready');
  });

  it('drops a reply for a notebook it no longer follows', async () => {
    let release: (value: unknown) => void = () => undefined;
    server.handlers.changes = () =>
      new Promise(resolve => {
        release = resolve;
      });
    await follow(NB);
    const stale = release;
    server.handlers.changes = () => changesReply([file('b.ipynb')]);
    await follow('proj/b.ipynb');
    stale(changesReply([file('train.ipynb')]));
    await flush();
    expect(model.notebookPath).toBe('proj/b.ipynb');
    expect(model.files.map(f => f.path)).toEqual(['b.ipynb']);
  });

  it('saves first, then posts the snapshot with the form and ticked files', async () => {
    await follow(NB);
    model.setTicked('config.yaml', true);
    model.setMessage('  more trees ');
    model.setCommitType('feat');
    model.setBody('n_estimators 30 -> 50\n');
    model.setTag(' exp-v1.2 ');
    model.setBranch('exp/trees');
    model.setClearOutputs(false);
    expect(model.canSnapshot).toBe(true);

    const reply = await model.snapshot();

    expect(log).toEqual([
      `save ${NB}`,
      'save proj/config.yaml',
      'POST snapshot'
    ]);
    const post = server.callsTo('snapshot')[0];
    expect(post.method).toBe('POST');
    expect(post.body).toEqual({
      path: NB,
      message: 'more trees',
      type: 'feat',
      body: 'n_estimators 30 -> 50',
      files: ['proj/config.yaml'],
      tag: 'exp-v1.2',
      branch: 'exp/trees',
      clear_outputs: false
    });
    expect(reply.committed).toBe(true);
    expect(model.lastResult).toBe(reply);
    // The form is reset for the next snapshot, and the state re-read.
    expect(model.message).toBe('');
    expect(model.commitType).toBe('exp');
    expect(model.tag).toBe('');
    expect(model.branch).toBe('');
    expect(model.ticked.size).toBe(0);
    expect(model.state).toBe('ready');
    expect(model.busy).toBe(false);
    expect(server.callsTo('status').length).toBeGreaterThanOrEqual(2);
    expect(server.callsTo('changes').length).toBeGreaterThanOrEqual(2);
  });

  it('omits the optional fields it was not given', async () => {
    await follow(NB);
    model.setMessage('try');
    model.setBody('   ');
    await model.snapshot();
    expect(server.callsTo('snapshot')[0].body).toEqual({
      path: NB,
      message: 'try',
      type: 'exp',
      files: [],
      clear_outputs: false
    });
  });

  it('is busy while the snapshot runs', async () => {
    await follow(NB);
    let release: (value: unknown) => void = () => undefined;
    server.handlers.snapshot = () =>
      new Promise(resolve => {
        release = resolve;
      });
    model.setMessage('slow');
    const done = model.snapshot();
    await flush();
    expect(model.state).toBe('busy');
    expect(model.canSnapshot).toBe(false);
    await expect(model.snapshot()).rejects.toThrow('already running');
    release(snapshotReply());
    await done;
    expect(model.state).toBe('ready');
  });

  it('does not post when saving fails', async () => {
    model.dispose();
    model = new SnapshotModel({
      requester: server.requester,
      repro,
      debounce: 0,
      saveFirst: async () => {
        throw new Error('disk full');
      }
    });
    await follow(NB);
    await model.reload();
    model.setMessage('x');
    await expect(model.snapshot()).rejects.toThrow('disk full');
    expect(server.callsTo('snapshot')).toHaveLength(0);
    expect(model.error?.message).toBe('disk full');
    expect(model.message).toBe('x');
  });

  it('keeps the message when only outputs changed (nothing to commit)', async () => {
    await follow(NB);
    server.handlers.snapshot = () =>
      snapshotReply({
        committed: false,
        commit: null,
        short_sha: null,
        reason: 'nothing-to-commit'
      });
    model.setMessage('rerun');
    const reply = await model.snapshot();
    expect(reply.committed).toBe(false);
    expect(model.lastResult?.reason).toBe('nothing-to-commit');
    expect(model.message).toBe('rerun');
  });

  it('reverts the open notebook after clearing its outputs', async () => {
    await follow(NB);
    server.handlers.snapshot = () =>
      snapshotReply({ working_copy_cleared: ['train.ipynb'] });
    model.setMessage('clean up');
    model.setClearOutputs(true);
    await model.snapshot();
    expect(server.callsTo('snapshot')[0].body.clear_outputs).toBe(true);
    expect(log).toEqual([`save ${NB}`, `revert ${NB}`]);
    expect(model.clearOutputs).toBe(false); // back to the default
  });

  it('keeps a guardrail refusal with its violations', async () => {
    await follow(NB);
    const violations = [
      {
        path: 'model.pt',
        kind: 'model weights',
        size: 1,
        rule: '*.pt',
        lfs_possible: true
      }
    ];
    server.handlers.snapshot = () => {
      throw new ReproRequestError(
        'Refusing to commit model.pt',
        409,
        'guardrail',
        {
          message: 'Refusing to commit model.pt',
          reason: 'guardrail',
          violations
        }
      );
    };
    model.setMessage('weights');
    await expect(model.snapshot()).rejects.toThrow('Refusing');
    expect(model.error?.reason).toBe('guardrail');
    expect(model.error?.violations).toEqual(violations);
    expect(model.state).toBe('ready');
    expect(model.message).toBe('weights');
  });

  it('keeps the hook output of a rejected commit', async () => {
    await follow(NB);
    server.handlers.snapshot = () => {
      throw new ReproRequestError(
        'pre-commit hook failed',
        422,
        'hook-rejected',
        {
          output: 'flake8....Failed\n<b>E501</b>'
        }
      );
    };
    model.setMessage('lint');
    await expect(model.snapshot()).rejects.toThrow('hook');
    expect(model.error).toEqual({
      message: 'pre-commit hook failed',
      reason: 'hook-rejected',
      status: 422,
      violations: [],
      output: 'flake8....Failed\n<b>E501</b>'
    });
  });

  it('reports a missing identity and clears the error on the next try', async () => {
    await follow(NB);
    server.handlers.snapshot = () => {
      throw new ReproRequestError(
        'git does not know who you are',
        409,
        'identity-missing'
      );
    };
    model.setMessage('who');
    await expect(model.snapshot()).rejects.toThrow();
    expect(model.error?.reason).toBe('identity-missing');
    server.handlers.snapshot = () => snapshotReply();
    await model.snapshot();
    expect(model.error).toBeNull();
  });

  it('requires a message', async () => {
    await follow(NB);
    model.setMessage('   ');
    expect(model.canSnapshot).toBe(false);
    await expect(model.snapshot()).rejects.toThrow('message');
    expect(server.callsTo('snapshot')).toHaveLength(0);
  });

  it('fixes a guardrail violation and ticks the changed .gitignore', async () => {
    await follow(NB);
    server.handlers['guardrails/fix'] = () => ({ added: ['*.pt'] });
    server.handlers.changes = () =>
      changesReply([file('train.ipynb'), file('.gitignore')]);
    const statusCalls = server.callsTo('status').length;
    await model.fixGuardrail(model.files[3], 'gitignore');
    expect(server.callsTo('status').length).toBe(statusCalls + 1);
    expect(server.callsTo('guardrails/fix')[0].body).toEqual({
      path: NB,
      action: 'gitignore',
      rules: ['*.pt']
    });
    expect([...model.ticked]).toEqual(['.gitignore']);
  });

  it('applies the default commit type and clear-outputs setting', async () => {
    model.setDefaults({
      commitType: 'feat',
      clearOutputs: true,
      maxDiffLines: 3
    });
    expect(model.commitType).toBe('feat');
    expect(model.clearOutputs).toBe(true);
    expect(model.maxDiffLines).toBe(10); // at least 10
    model.setMessage('typing');
    model.setDefaults({ commitType: 'fix' });
    expect(model.commitType).toBe('feat'); // not while the user types
    model.setCommitType('bogus' as any);
    expect(model.commitType).toBe('feat');
  });

  it('stops listening once disposed', async () => {
    model.dispose();
    await follow(NB);
    expect(server.callsTo('changes')).toHaveLength(0);
    expect(model.isDisposed).toBe(true);
  });
});
