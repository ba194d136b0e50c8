import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { DisposableDelegate } from '@lumino/disposable';

import { SnapshotModel } from '../commit/model';
import { Requester } from '../common/api';
import { ExportTargets } from '../export/model';
import { RunsModel } from '../runs/model';
import { ReproModel } from '../status/model';
import { ReproSidebar } from '../status/sidebar';
import { group, reply, run, SHA_A } from './runsFakes';
import { changesReply, flush, statusReply } from './snapshotFakes';

describe('models disposed with the sidebar', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('stops every poll and timer, and runs the owned listeners off', async () => {
    jest.useFakeTimers();
    const calls: string[] = [];
    const requester: Requester = async <T>(endpoint: string) => {
      calls.push(endpoint.split('?')[0]);
      if (endpoint.startsWith('status')) {
        return statusReply('proj/train.ipynb') as T;
      }
      if (endpoint.startsWith('runs')) {
        return reply([group(SHA_A, [run('r1', { status: 'RUNNING' })])]) as T;
      }
      return changesReply([]) as T;
    };
    const trans = nullTranslator.load('jupyterlab_repro');
    const repro = new ReproModel({
      requester,
      version: '1.0.0',
      refreshInterval: 5
    });
    const snapshot = new SnapshotModel({ requester, repro, debounce: 400 });
    const targets = new ExportTargets();
    const runs = new RunsModel({ requester, repro, activeInterval: 1 });
    const listener = jest.fn();
    const sidebar = new ReproSidebar({
      model: repro,
      trans,
      commands: new CommandRegistry()
    });
    sidebar.own(
      new DisposableDelegate(listener),
      runs,
      snapshot,
      targets,
      repro
    );

    repro.setPath('proj/train.ipynb');
    await flush();
    jest.advanceTimersByTime(10 * 1000);
    await flush();
    // The polls run: status every 5 s, live runs every second.
    expect(calls.filter(c => c === 'status').length).toBeGreaterThan(1);
    expect(calls.filter(c => c === 'runs').length).toBeGreaterThan(1);

    sidebar.dispose();
    expect(listener).toHaveBeenCalledTimes(1);
    for (const model of [repro, snapshot, targets, runs]) {
      expect(model.isDisposed).toBe(true);
    }
    const seen = calls.length;
    jest.advanceTimersByTime(10 * 60 * 1000);
    await flush();
    expect(calls).toHaveLength(seen);
  });

  it('disposes what it is given after it was disposed', () => {
    const sidebar = new ReproSidebar({
      model: new ReproModel({
        requester: async <T>() => statusReply('') as T,
        version: '1.0.0',
        autoStart: false
      }),
      trans: nullTranslator.load('jupyterlab_repro'),
      commands: new CommandRegistry()
    });
    sidebar.dispose();
    const late = new ExportTargets();
    sidebar.own(late);
    expect(late.isDisposed).toBe(true);
  });

  it('stops a scheduled reload of the changes', async () => {
    jest.useFakeTimers();
    const calls: string[] = [];
    const requester: Requester = async <T>(endpoint: string) => {
      calls.push(endpoint.split('?')[0]);
      return (
        endpoint.startsWith('status')
          ? statusReply('proj/train.ipynb')
          : changesReply([])
      ) as T;
    };
    const repro = new ReproModel({
      requester,
      version: '1.0.0',
      autoStart: false
    });
    const snapshot = new SnapshotModel({ requester, repro, debounce: 400 });
    repro.setPath('proj/train.ipynb');
    await flush();
    expect(snapshot.state).toBe('loading'); // the reload waits 400 ms
    snapshot.dispose();
    repro.dispose();
    jest.advanceTimersByTime(1000);
    await flush();
    expect(calls).toEqual(['status']);
  });
});
