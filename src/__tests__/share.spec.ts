import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { RunsModel } from '../runs/model';
import {
  addShareCommands,
  AutoShare,
  fetchMessage,
  IFetchReply,
  IShareMessage,
  IShareReply,
  shareMessage
} from '../runs/share';
import { flush, group, reply, run, SHA_A, SHA_B } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

function shared(overrides: Partial<IShareReply> = {}): IShareReply {
  return {
    remote: 'origin',
    transferred: {},
    already: [],
    unpublished_parents: [],
    unpublished_commits: [],
    warnings: [],
    ...overrides
  };
}

describe('share messages', () => {
  it('counts what was pushed and warns about commits no branch holds', () => {
    expect(
      shareMessage(shared({ transferred: { 'refs/x': 'refs/x' } }), trans)
    ).toEqual({
      kind: 'success',
      message: 'Pushed 1 snapshot of run code to origin.'
    });
    const warned = shareMessage(
      shared({ unpublished_commits: [SHA_A], unpublished_parents: [SHA_A] }),
      trans
    );
    expect(warned.kind).toBe('warning');
    expect(warned.message).toContain('origin already has the code');
    expect(warned.message).toContain('aaaaaaa');
    expect(warned.message).toContain('push its branch too');
  });

  it('says per run why its code is still not here', () => {
    const runs = [
      { run_id: 'r1'.padEnd(32, '1'), code: SHA_A, here: true, reason: null },
      {
        run_id: 'r2'.padEnd(32, '2'),
        code: SHA_B,
        here: false,
        reason: 'bbbbbbb is not on origin'
      }
    ];
    const base = { remote: 'origin', transferred: {}, already: [] };
    const partly: IFetchReply = { ...base, unpublished_parents: [], runs };
    expect(fetchMessage(partly, trans)).toEqual({
      kind: 'warning',
      message: 'Run r2222222: bbbbbbb is not on origin'
    });
    expect(fetchMessage({ ...partly, runs: [runs[0]] }, trans).kind).toBe(
      'success'
    );
    expect(fetchMessage({ ...partly, runs: [runs[1]] }, trans).kind).toBe(
      'error'
    );
  });
});

describe('share-run-code and fetch-run-code', () => {
  let commands: CommandRegistry;
  let model: RunsModel;
  let calls: { endpoint: string; body: any }[];
  let answers: Record<string, unknown>;
  let told: IShareMessage[];

  beforeEach(() => {
    calls = [];
    told = [];
    answers = {
      runs: reply([
        group(SHA_A, [run('r1')]),
        group(SHA_B, [run('r2'), run('r3')], { known: false })
      ]),
      'runs/share': shared({ transferred: { a: 'a', b: 'b' } }),
      'runs/fetch': {
        remote: 'origin',
        transferred: {},
        already: [],
        unpublished_parents: [],
        runs: [{ run_id: 'r2', code: SHA_B, here: true, reason: null }]
      }
    };
    const requester = async <T>(endpoint: string, init?: RequestInit) => {
      calls.push({
        endpoint,
        body: init?.body ? JSON.parse(init.body as string) : null
      });
      const name = endpoint.split('?')[0];
      if (!(name in answers)) {
        throw new ReproRequestError('404 Not Found', 404, null);
      }
      return answers[name] as T;
    };
    model = new RunsModel({ requester, autoStart: false });
    commands = new CommandRegistry();
    addShareCommands(commands, {
      model,
      requester,
      trans,
      notify: message => told.push(message)
    });
  });

  afterEach(() => model.dispose());

  it('share pushes from the followed notebook, to the remote asked for', async () => {
    expect(commands.isEnabled(CommandIDs.shareRunCode)).toBe(false);
    model.setPath('nb/train.ipynb');
    await flush();
    await commands.execute(CommandIDs.shareRunCode, { remote: 'team' });
    const call = calls.find(c => c.endpoint === 'runs/share')!;
    expect(call.body).toEqual({ path: 'nb/train.ipynb', remote: 'team' });
    expect(told).toEqual([
      { kind: 'success', message: 'Pushed 2 snapshots of run code to origin.' }
    ]);
  });

  it('fetch asks for the runs whose commit is not here, then reads the runs again', async () => {
    model.setPath('nb/train.ipynb');
    await flush();
    expect(commands.isEnabled(CommandIDs.fetchRunCode)).toBe(true);
    const before = calls.length;
    await commands.execute(CommandIDs.fetchRunCode);
    const call = calls.find(c => c.endpoint === 'runs/fetch')!;
    expect(call.body).toEqual({
      path: 'nb/train.ipynb',
      run_ids: ['r2', 'r3']
    });
    expect(calls.slice(before).map(c => c.endpoint.split('?')[0])).toEqual([
      'runs/fetch',
      'runs'
    ]);
    expect(told[0].kind).toBe('success');
  });

  it('fetch is disabled when every loaded run has its code', async () => {
    answers['runs'] = reply([group(SHA_A, [run('r1')])]);
    model.setPath('nb/train.ipynb');
    await flush();
    expect(commands.isEnabled(CommandIDs.fetchRunCode)).toBe(false);
    expect(
      commands.isEnabled(CommandIDs.fetchRunCode, { runIds: ['r1'] })
    ).toBe(true);
  });
});

describe('AutoShare', () => {
  let model: RunsModel;
  let answer: unknown;
  let shares: number;
  let enabled: boolean;
  let errors: unknown[];
  let auto: AutoShare;
  let result: Promise<unknown>;

  beforeEach(() => {
    shares = 0;
    enabled = true;
    errors = [];
    result = Promise.resolve();
    const requester = async <T>() => answer as T;
    model = new RunsModel({ requester, autoStart: false });
    auto = new AutoShare({
      model,
      enabled: () => enabled,
      share: () => {
        shares++;
        return result;
      },
      onError: error => errors.push(error),
      now: () => NOW
    });
  });

  afterEach(() => {
    auto.dispose();
    model.dispose();
  });

  const snapshotRun = (id: string, startedAgo: number) =>
    group(SHA_B, [run(id, { start_time: NOW - startedAgo })], {
      snapshot: true
    });

  it('pushes after a new snapshot run, not for what was there', async () => {
    answer = reply([snapshotRun('old', 1000)]);
    model.setPath('nb/train.ipynb');
    await flush();
    expect(shares).toBe(0);
    // A clean run is not a snapshot run.
    answer = reply([group(SHA_A, [run('clean', { start_time: NOW })])]);
    await model.refresh();
    expect(shares).toBe(0);
    answer = reply([snapshotRun('new', 0), snapshotRun('old', 1000)]);
    await model.refresh();
    expect(shares).toBe(1);
    await model.refresh();
    expect(shares).toBe(1);
  });

  it('leaves old runs of a later page alone, and does nothing when off', async () => {
    answer = reply([]);
    model.setPath('nb/train.ipynb');
    await flush();
    answer = reply([snapshotRun('ancient', 24 * 3600 * 1000)]);
    await model.refresh();
    expect(shares).toBe(0);
    enabled = false;
    answer = reply([snapshotRun('new', 0)]);
    await model.refresh();
    expect(shares).toBe(0);
  });

  it('reports a failed push once until one succeeds', async () => {
    answer = reply([]);
    model.setPath('nb/train.ipynb');
    await flush();
    result = Promise.reject(new Error('No remote'));
    result.catch(() => undefined);
    answer = reply([snapshotRun('n1', 0)]);
    await model.refresh();
    await flush();
    answer = reply([snapshotRun('n2', 0), snapshotRun('n1', 0)]);
    await model.refresh();
    await flush();
    expect(shares).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
