import { Signal } from '@lumino/signaling';

import { ReproRequestError } from '../common/api';
import { commitOf, RunsModel, RunsState } from '../runs/model';
import { IReproModel } from '../tokens';
import {
  FakeServer,
  flush,
  group,
  reply,
  run,
  SHA_A,
  SHA_B,
  SHA_C
} from './runsFakes';

function makeModel(
  server: FakeServer,
  options: { metricColumns?: string[]; pageSize?: number } = {}
): RunsModel {
  return new RunsModel({
    requester: server.requester,
    autoStart: false,
    ...options
  });
}

describe('RunsModel', () => {
  let server: FakeServer;
  let model: RunsModel;

  beforeEach(() => {
    server = new FakeServer();
    model = makeModel(server);
  });

  afterEach(() => {
    model.dispose();
  });

  describe('states', () => {
    it('starts idle and asks nothing', () => {
      expect(model.state).toBe('idle');
      expect(model.path).toBeNull();
      expect(server.calls).toHaveLength(0);
    });

    it('stays idle for paths that are not notebooks', async () => {
      model.setPath('nb/train.py');
      model.setPath('nb');
      model.setPath('');
      await model.refresh();
      expect(model.state).toBe('idle');
      expect(server.calls).toHaveLength(0);
    });

    it('loads the first page of a notebook: loading → ready', async () => {
      const seen: RunsState[] = [];
      model.stateChanged.connect(() => seen.push(model.state));
      model.setPath('nb/实验 1.ipynb');
      expect(model.state).toBe('loading');
      expect(model.busy).toBe(true);
      const query = server.query(0);
      expect(server.calls[0].endpoint.startsWith('runs?')).toBe(true);
      expect(query.get('path')).toBe('nb/实验 1.ipynb');
      expect(query.get('max_results')).toBe('50');
      expect(query.get('page_token')).toBeNull();
      await server.answer(0, reply([group(SHA_A, [run('r1')])]));
      expect(model.state).toBe('ready');
      expect(model.busy).toBe(false);
      expect(model.groups.map(g => g.key)).toEqual([SHA_A]);
      expect(model.tracking?.uri_kind).toBe('sqlite');
      expect(seen[0]).toBe('loading');
      expect(seen[seen.length - 1]).toBe('ready');
    });

    it('reports a notebook without runs as empty', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([]));
      expect(model.state).toBe('empty');
      expect(model.hasMore).toBe(false);
    });

    it('goes back to idle and forgets the runs when a non-notebook is followed', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([group(SHA_A, [run('r1')])]));
      model.setPath('data/table.csv');
      expect(model.state).toBe('idle');
      expect(model.groups).toHaveLength(0);
      expect(model.tracking).toBeNull();
    });

    it('drops a stale reply when the notebook changed meanwhile', async () => {
      model.setPath('a.ipynb');
      model.setPath('b.ipynb');
      await server.answer(1, reply([group(SHA_B, [run('b1')])]));
      await server.answer(0, reply([group(SHA_A, [run('a1')])]));
      expect(model.path).toBe('b.ipynb');
      expect(model.groups.map(g => g.key)).toEqual([SHA_B]);
    });

    it('shows a 503 as unavailable, keeps the runs, and recovers on refresh', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([group(SHA_A, [run('r1')])]));
      void model.refresh();
      await server.fail(
        1,
        new ReproRequestError(
          'The tracking store at http://mlflow:5000 cannot be reached.',
          503,
          'tracking-unavailable'
        )
      );
      expect(model.state).toBe('unavailable');
      expect(model.message).toContain('cannot be reached');
      expect(model.groups).toHaveLength(1);
      void model.refresh();
      expect(server.calls).toHaveLength(3);
      await server.answer(2, reply([group(SHA_A, [run('r1'), run('r2')])]));
      expect(model.state).toBe('ready');
      expect(model.message).toBeNull();
      expect(model.runCount).toBe(2);
    });

    it('shows a 503 on the first load as unavailable, not as an error', async () => {
      model.setPath('train.ipynb');
      await server.fail(
        0,
        new ReproRequestError('MLflow is down', 503, 'tracking-unavailable')
      );
      expect(model.state).toBe('unavailable');
      expect(model.groups).toHaveLength(0);
    });

    it('shows a deleted notebook (404) as an error and clears the runs', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([group(SHA_A, [run('r1')])]));
      void model.refresh();
      await server.fail(
        1,
        new ReproRequestError("No such file: 'train.ipynb'", 404, 'not-found')
      );
      expect(model.state).toBe('error');
      expect(model.message).toContain('train.ipynb');
      expect(model.groups).toHaveLength(0);
      expect(model.hasMore).toBe(false);
    });

    it('follows the sidebar model path', async () => {
      const repro = new FakeRepro();
      const follower = new RunsModel({
        requester: server.requester,
        repro: repro as unknown as IReproModel,
        autoStart: false
      });
      expect(follower.state).toBe('idle');
      repro.go('nb/train.ipynb');
      expect(follower.path).toBe('nb/train.ipynb');
      expect(server.calls).toHaveLength(1);
      repro.go('nb/train.ipynb'); // busy toggles re-emit the same path
      expect(server.calls).toHaveLength(1);
      repro.go('nb');
      expect(follower.state).toBe('idle');
      follower.dispose();
      repro.go('other.ipynb');
      expect(server.calls).toHaveLength(1);
    });
  });

  describe('paging', () => {
    it('appends the next page, merging a group that continues', async () => {
      model.setPath('train.ipynb');
      await server.answer(
        0,
        reply([group(SHA_A, [run('a1')]), group(SHA_B, [run('b1')])], 'token-2')
      );
      expect(model.hasMore).toBe(true);
      void model.loadMore();
      expect(server.query(1).get('page_token')).toBe('token-2');
      expect(server.query(1).get('path')).toBe('train.ipynb');
      await server.answer(
        1,
        reply([group(SHA_B, [run('b2'), run('b1')]), group(SHA_C, [run('c1')])])
      );
      expect(model.groups.map(g => g.key)).toEqual([SHA_A, SHA_B, SHA_C]);
      expect(model.groups[1].runs.map(r => r.run_id)).toEqual(['b1', 'b2']);
      expect(model.hasMore).toBe(false);
      expect(model.runCount).toBe(4);
    });

    it('merges groups without a commit by their null key', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([group(null, [run('x1')])], 't'));
      void model.loadMore();
      await server.answer(1, reply([group(null, [run('x2')])]));
      expect(model.groups).toHaveLength(1);
      expect(model.groups[0].runs.map(r => r.run_id)).toEqual(['x1', 'x2']);
    });

    it('does nothing without a next page', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([group(SHA_A, [run('a1')])]));
      await model.loadMore();
      expect(server.calls).toHaveLength(1);
    });

    it('refreshes as many runs as are loaded', async () => {
      const small = makeModel(server, { pageSize: 2 });
      small.setPath('train.ipynb');
      await server.answer(
        0,
        reply([group(SHA_A, [run('a1'), run('a2')])], 't')
      );
      void small.loadMore();
      await server.answer(
        1,
        reply([group(SHA_B, [run('b1'), run('b2')])], 'u')
      );
      void small.refresh();
      expect(server.query(2).get('max_results')).toBe('4');
      expect(server.query(2).get('page_token')).toBeNull();
      await server.answer(
        2,
        reply(
          [group(SHA_A, [run('a1'), run('a2')]), group(SHA_B, [run('b1')])],
          'v'
        )
      );
      expect(small.runCount).toBe(3);
      expect(small.hasMore).toBe(true);
      small.dispose();
    });

    it('drops a page that arrives after the notebook changed', async () => {
      model.setPath('a.ipynb');
      await server.answer(0, reply([group(SHA_A, [run('a1')])], 't'));
      void model.loadMore();
      model.setPath('b.ipynb');
      await server.answer(1, reply([group(SHA_C, [run('c1')])]));
      await server.answer(2, reply([group(SHA_B, [run('b1')])]));
      expect(model.groups.map(g => g.key)).toEqual([SHA_B]);
    });
  });

  describe('metric columns', () => {
    it('picks the three metrics most runs report', async () => {
      model.setPath('train.ipynb');
      await server.answer(
        0,
        reply([
          group(SHA_A, [
            run('1', { metrics: { acc: 0.9, loss: 0.1, f1: 0.8, zeta: 1 } }),
            run('2', { metrics: { acc: 0.8, loss: 0.2, auc: 0.7 } })
          ]),
          group(SHA_B, [run('3', { metrics: { loss: 0.3, auc: 0.6 } })])
        ])
      );
      // loss 3, acc 2, auc 2 (alphabetical before f1/zeta with 1)
      expect(model.metricColumns).toEqual(['loss', 'acc', 'auc']);
    });

    it('uses the configured columns when there are some', async () => {
      const configured = makeModel(server, {
        metricColumns: ['val_loss', ' ', 'acc', 'val_loss']
      });
      expect(configured.metricColumns).toEqual(['val_loss', 'acc']);
      configured.setMetricColumns([]);
      expect(configured.metricColumns).toEqual([]);
      configured.dispose();
    });

    it('has no columns before any run is loaded', () => {
      expect(model.metricColumns).toEqual([]);
    });
  });

  describe('filter', () => {
    beforeEach(async () => {
      model.setPath('train.ipynb');
      await server.answer(
        0,
        reply([
          group(SHA_A, [
            run('r1', {
              run_name: 'baseline',
              params: { lr: '0.1', model: 'ridge' },
              metrics: { rmse: 1.2 }
            }),
            run('r2', {
              run_name: 'deeper',
              params: { lr: '0.01', model: 'mlp' },
              metrics: { val_acc: 0.8 }
            })
          ]),
          group(SHA_B, [run('r3', { run_name: 'other' })], {
            subject: 'exp: Try Dropout'
          })
        ])
      );
    });

    const shown = () =>
      ([] as string[]).concat(
        ...model.visibleGroups.map(g => g.runs.map(r => r.run_id))
      );

    it('shows everything without a filter', () => {
      expect(shown()).toEqual(['r1', 'r2', 'r3']);
    });

    it('matches run names, params, metric names and commits', () => {
      model.setFilter('BASELINE');
      expect(shown()).toEqual(['r1']);
      model.setFilter('mlp');
      expect(shown()).toEqual(['r2']);
      model.setFilter('lr=0.01');
      expect(shown()).toEqual(['r2']);
      model.setFilter('val_acc');
      expect(shown()).toEqual(['r2']);
      model.setFilter('dropout');
      expect(shown()).toEqual(['r3']);
      model.setFilter(SHA_B.slice(0, 7));
      expect(shown()).toEqual(['r3']);
    });

    it('needs every word to match and drops empty groups', () => {
      model.setFilter('lr ridge');
      expect(shown()).toEqual(['r1']);
      expect(model.visibleGroups.map(g => g.key)).toEqual([SHA_A]);
      model.setFilter('ridge dropout');
      expect(model.visibleGroups).toEqual([]);
    });

    it('does not change the loaded groups', () => {
      model.setFilter('baseline');
      expect(model.groups[0].runs).toHaveLength(2);
      expect(model.runCount).toBe(3);
    });

    it('emits on change only', () => {
      let count = 0;
      model.stateChanged.connect(() => count++);
      model.setFilter('x');
      model.setFilter('x');
      expect(count).toBe(1);
    });
  });

  describe('polling', () => {
    it('polls often while a run is live, rarely otherwise', async () => {
      const idle = model.pollInterval;
      expect(idle).toBe(60 * 1000);
      model.setPath('train.ipynb');
      await server.answer(
        0,
        reply([
          group(SHA_A, [run('r1', { status: 'RUNNING', duration: null })])
        ])
      );
      expect(model.hasLiveRuns).toBe(true);
      expect(model.pollInterval).toBe(5 * 1000);
      void model.refresh();
      await server.answer(1, reply([group(SHA_A, [run('r1')])]));
      expect(model.hasLiveRuns).toBe(false);
      expect(model.pollInterval).toBe(60 * 1000);
    });

    it('also counts a run found on a later page', async () => {
      model.setPath('train.ipynb');
      await server.answer(0, reply([group(SHA_A, [run('r1')])], 't'));
      expect(model.pollInterval).toBe(60 * 1000);
      void model.loadMore();
      await server.answer(
        1,
        reply([group(SHA_B, [run('r2', { status: 'SCHEDULED' })])])
      );
      expect(model.pollInterval).toBe(5 * 1000);
    });

    it('slows down again when the notebook changes', async () => {
      model.setPath('train.ipynb');
      await server.answer(
        0,
        reply([group(SHA_A, [run('r1', { status: 'RUNNING' })])])
      );
      model.setPath('other.ipynb');
      expect(model.pollInterval).toBe(60 * 1000);
    });

    it('re-times the running poll when a run starts and ends', async () => {
      jest.useFakeTimers();
      try {
        const live = new RunsModel({ requester: server.requester });
        const tick = async (ms: number) => {
          jest.advanceTimersByTime(ms);
          await flush();
        };
        await flush();
        await tick(0); // the started tick: nothing followed yet
        expect(server.calls).toHaveLength(0);
        live.setPath('train.ipynb');
        expect(server.calls).toHaveLength(1);
        await server.answer(
          0,
          reply([group(SHA_A, [run('r1', { status: 'RUNNING' })])])
        );
        await tick(4000);
        expect(server.calls).toHaveLength(1);
        await tick(1100);
        expect(server.calls).toHaveLength(2); // 5 s, not 60 s
        await server.answer(1, reply([group(SHA_A, [run('r1')])]));
        await tick(30 * 1000);
        expect(server.calls).toHaveLength(2);
        await tick(31 * 1000);
        expect(server.calls).toHaveLength(3);
        live.dispose();
        await tick(120 * 1000);
        expect(server.calls).toHaveLength(3);
      } finally {
        jest.useRealTimers();
      }
    });

    it('polls an unavailable store at the slow pace', async () => {
      model.setPath('train.ipynb');
      await server.answer(
        0,
        reply([group(SHA_A, [run('r1', { status: 'RUNNING' })])])
      );
      expect(model.pollInterval).toBe(5 * 1000);
      void model.refresh();
      await server.fail(
        1,
        new ReproRequestError('down', 503, 'tracking-unavailable')
      );
      expect(model.hasLiveRuns).toBe(true);
      expect(model.pollInterval).toBe(60 * 1000);
    });

    it('honours configured intervals', () => {
      const custom = new RunsModel({
        requester: server.requester,
        autoStart: false,
        activeInterval: 2,
        idleInterval: 120
      });
      expect(custom.pollInterval).toBe(120 * 1000);
      custom.dispose();
    });
  });

  it('stops emitting after dispose', async () => {
    model.setPath('train.ipynb');
    let count = 0;
    model.stateChanged.connect(() => count++);
    model.dispose();
    await server.answer(0, reply([group(SHA_A, [run('r1')])]));
    expect(count).toBe(0);
    expect(model.isDisposed).toBe(true);
    await model.refresh();
    expect(server.calls).toHaveLength(1);
  });
});

// The notebook as it was is read with GET runs/notebook now (history/):
// what the old POST wrote is asserted no more; commitOf stays here.
describe('commitOf', () => {
  it('picks the snapshot commit of a run on uncommitted changes', () => {
    const snapshotRun = run('r1', {
      tags: { 'repro.snapshot': SHA_C, 'repro.notebook': 'train.ipynb' }
    });
    const ref = {
      path: 'nb/train.ipynb',
      group: group(SHA_C, [snapshotRun], { snapshot: true, parent: SHA_A }),
      run: snapshotRun
    };
    expect(commitOf(ref)).toBe(SHA_C);
  });

  it("uses the group's commit for a run on a clean tree", () => {
    const plain = run('r1');
    expect(
      commitOf({ path: 'x.ipynb', group: group(SHA_A, [plain]), run: plain })
    ).toBe(SHA_A);
    expect(
      commitOf({ path: 'x.ipynb', group: group(SHA_B, []), run: null })
    ).toBe(SHA_B);
  });

  it('is null for a run without any commit', () => {
    expect(
      commitOf({ path: 'x.ipynb', group: group(null, []), run: null })
    ).toBeNull();
  });
});

/**
 * The part of the sidebar model a RunsModel follows.
 */
class FakeRepro {
  path = '';
  stateChanged = new Signal<this, void>(this);

  go(path: string): void {
    this.path = path;
    this.stateChanged.emit();
  }
}
