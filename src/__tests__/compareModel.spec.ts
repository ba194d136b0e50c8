import { ReproRequestError } from '../common/api';
import {
  cellSources,
  changedCells,
  cleanRunIds,
  CompareModel,
  compareQuery,
  ICompareModelOptions,
  MAX_CHARTED,
  MAX_COMPARED,
  runLabels,
  shortSha,
  visibleParams
} from '../compare/model';
import { ICellDiff, IParamRow } from '../compare/types';
import {
  compareReply,
  compareRun,
  markingTrans,
  metricRow
} from './compareFakes';
import { FakeServer, flush } from './runsFakes';

describe('compare helpers', () => {
  it('cleans run ids: strings, no blanks or duplicates, in order', () => {
    expect(cleanRunIds(['b', 'a', 'b', '', '  ', 3, null, 'c'])).toEqual([
      'b',
      'a',
      'c'
    ]);
    expect(cleanRunIds('a')).toEqual([]);
    expect(cleanRunIds(undefined)).toEqual([]);
  });

  it('builds the compare query (runs, metrics, baseline, path)', () => {
    const q = compareQuery(
      { runIds: ['a', 'b'], path: 'nb/实验 1.ipynb', metrics: ['loss'] },
      'b'
    );
    expect(q.startsWith('runs/compare?')).toBe(true);
    const query = new URLSearchParams(q.slice(q.indexOf('?') + 1));
    expect(query.getAll('run_id')).toEqual(['a', 'b']);
    expect(query.getAll('metric')).toEqual(['loss']);
    expect(query.get('baseline')).toBe('b');
    expect(query.get('path')).toBe('nb/实验 1.ipynb');
    const bare = compareQuery({ runIds: ['a', 'b'], path: null }, null);
    expect(bare).toBe('runs/compare?run_id=a&run_id=b');
  });

  it('labels runs by name, telling same-named runs apart by id', () => {
    const labels = runLabels([
      { run_id: '1111111122', run_name: 'sweep' },
      { run_id: '2222222233', run_name: 'sweep' },
      { run_id: '3333333344', run_name: null },
      { run_id: '4444444455', run_name: 'solo' }
    ]);
    expect([...labels.values()]).toEqual([
      'sweep (11111111)',
      'sweep (22222222)',
      '33333333',
      'solo'
    ]);
  });

  it('shortens shas', () => {
    expect(shortSha('abcdef0123456')).toBe('abcdef0');
    expect(shortSha(null)).toBe('');
    expect(shortSha(undefined)).toBe('');
  });

  it('shows only the differing params unless all are asked for', () => {
    const rows: IParamRow[] = [
      { key: 'lr', values: ['0.1', '0.2'], differs: true },
      { key: 'seed', values: ['1', '1'], differs: false },
      { key: 'opt', values: ['sgd', null], differs: true }
    ];
    expect(visibleParams(rows, true).map(r => r.key)).toEqual(['lr', 'opt']);
    const all = visibleParams(rows, false);
    expect(all.map(r => r.key)).toEqual(['lr', 'seed', 'opt']);
    expect(all).not.toBe(rows);
  });

  it('reads both sources of a cell', () => {
    const base: ICellDiff = {
      status: 'modified',
      cell_type: 'code',
      old_index: 0,
      new_index: 0,
      cell_id: 'c1',
      source_changed: true,
      source_diff: ['@@ -1 +1 @@', '-x = 1', '+x = 2'],
      metadata_changed: []
    };
    expect(
      cellSources({ ...base, old_source: 'x = 1', new_source: 'x = 2' })
    ).toEqual({ old: 'x = 1', new: 'x = 2' });
    expect(cellSources(base)).toBeNull();
    expect(
      cellSources({
        ...base,
        status: 'added',
        source_diff: ['@@ -0,0 +1,2 @@', '+a', '+b']
      })
    ).toEqual({ old: '', new: 'a\nb' });
    expect(
      cellSources({ ...base, status: 'removed', source_diff: ['-gone'] })
    ).toEqual({ old: 'gone', new: '' });
    expect(
      changedCells({
        run_id: 'b',
        from_run: 'a',
        known: true,
        reason: null,
        notebook_diff: {
          cells: [base, { ...base, status: 'unchanged', cell_id: 'c2' }],
          summary: {},
          has_changes: true
        }
      }).map(c => c.cell_id)
    ).toEqual(['c1']);
  });
});

describe('CompareModel', () => {
  let server: FakeServer;
  let model: CompareModel;
  let clock: number;

  function make(options: Partial<ICompareModelOptions> = {}): CompareModel {
    model = new CompareModel({
      requester: server.requester,
      runIds: ['a', 'b'],
      path: 'nb/train.ipynb',
      metrics: ['loss'],
      autoLoad: false,
      now: () => clock,
      ...options
    });
    return model;
  }

  beforeEach(() => {
    server = new FakeServer();
    clock = 1000;
  });

  afterEach(() => {
    model?.dispose();
  });

  it('asks nothing until loaded when autoLoad is off', () => {
    make();
    expect(server.calls).toHaveLength(0);
    expect(model.state).toBe('loading');
    expect(model.reply).toBeNull();
  });

  it('loads a reply: loading → ready, with the query of its args', async () => {
    make();
    const states: string[] = [];
    model.stateChanged.connect(() => states.push(model.state));
    void model.load();
    expect(model.busy).toBe(true);
    const query = server.query(0);
    expect(query.getAll('run_id')).toEqual(['a', 'b']);
    expect(query.getAll('metric')).toEqual(['loss']);
    expect(query.get('path')).toBe('nb/train.ipynb');
    expect(query.has('baseline')).toBe(false);
    const reply = compareReply();
    await server.answer(0, reply);
    expect(model.state).toBe('ready');
    expect(model.reply).toBe(reply);
    expect(model.message).toBeNull();
    expect(model.busy).toBe(false);
    expect(states[states.length - 1]).toBe('ready');
    expect(states.length).toBeGreaterThanOrEqual(2);
  });

  it('loads at once by default', () => {
    make({ autoLoad: true });
    expect(server.calls).toHaveLength(1);
  });

  it('caps the runs and metrics and drops duplicates', () => {
    const ids = Array.from({ length: 14 }, (_, i) => `r${i}`);
    make({
      runIds: [...ids, 'r0'],
      metrics: Array.from({ length: 12 }, (_, i) => `m${i}`)
    });
    expect(model.runIds).toEqual(ids.slice(0, MAX_COMPARED));
    expect(model.metrics).toHaveLength(MAX_CHARTED);
    expect(model.args).toEqual({
      runIds: ids.slice(0, MAX_COMPARED),
      path: 'nb/train.ipynb',
      metrics: model.metrics
    });
  });

  it('drops a superseded reply', async () => {
    make();
    void model.load();
    void model.load();
    const newer = compareReply({ baseline: 'a' });
    const older = compareReply({ baseline: 'a' });
    await server.answer(1, newer);
    await server.answer(0, older);
    expect(model.reply).toBe(newer);
    expect(model.state).toBe('ready');
  });

  it('drops a superseded failure', async () => {
    make();
    void model.load();
    void model.load();
    const reply = compareReply();
    await server.answer(1, reply);
    await server.fail(0, new ReproRequestError('old failure', 500));
    expect(model.state).toBe('ready');
    expect(model.message).toBeNull();
    expect(model.reply).toBe(reply);
  });

  it('charts the first ten metrics when none were named (a second read)', async () => {
    make({ metrics: null });
    expect(model.metrics).toBeNull();
    void model.load();
    expect(server.query(0).getAll('metric')).toEqual([]);
    const keys = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await server.answer(
      0,
      compareReply({ metrics: keys.map(k => metricRow(k, [1, 2], 'max', 1)) })
    );
    expect(model.metrics).toEqual(keys.slice(0, MAX_CHARTED));
    expect(server.calls).toHaveLength(2);
    expect(server.query(1).getAll('metric')).toEqual(keys.slice(0, 10));
  });

  it('does not read again when the runs logged no metric', async () => {
    make({ metrics: null });
    void model.load();
    await server.answer(0, compareReply({ metrics: [] }));
    expect(model.metrics).toEqual([]);
    expect(server.calls).toHaveLength(1);
  });

  it('sets the baseline: a new request with baseline=', async () => {
    make();
    void model.load();
    const first = compareReply();
    await server.answer(0, first);
    expect(model.currentBaseline).toBe('a');

    model.setBaseline('b');
    expect(model.baseline).toBe('b');
    expect(model.currentBaseline).toBe('b');
    expect(model.state).toBe('loading');
    // The old comparison stays shown while the new one is read.
    expect(model.reply).toBe(first);
    expect(server.calls).toHaveLength(2);
    expect(server.query(1).get('baseline')).toBe('b');
    expect(server.query(1).getAll('run_id')).toEqual(['a', 'b']);

    const second = compareReply({
      baseline: 'b',
      runs: [compareRun('b'), compareRun('a')]
    });
    await server.answer(1, second);
    expect(model.state).toBe('ready');
    expect(model.reply).toBe(second);
  });

  it('ignores a baseline that is current or not compared', async () => {
    make();
    void model.load();
    await server.answer(0, compareReply());
    model.setBaseline('a');
    model.setBaseline('zzz');
    expect(server.calls).toHaveLength(1);
    expect(model.baseline).toBeNull();
  });

  it('reports the server message of a failed read', async () => {
    make();
    void model.load();
    await server.fail(
      0,
      new ReproRequestError('No run with id b in the tracking store.', 404)
    );
    expect(model.state).toBe('error');
    expect(model.message).toBe('No run with id b in the tracking store.');
  });

  it('translates its own messages', async () => {
    make({ trans: markingTrans() });
    void model.load();
    await server.fail(0, 'not an Error');
    expect(model.state).toBe('error');
    expect(model.message).toBe('«Cannot compare these runs.»');
  });

  it('refuses fewer than two runs without a request, translated', async () => {
    make({ runIds: ['a', 'a'], trans: markingTrans() });
    await model.load();
    expect(server.calls).toHaveLength(0);
    expect(model.state).toBe('error');
    expect(model.message).toBe('«Choose at least two runs to compare.»');
  });

  it('recovers from an error on the next read', async () => {
    make();
    void model.load();
    await server.fail(0, new ReproRequestError('down', 503));
    expect(model.state).toBe('error');
    void model.load();
    expect(model.state).toBe('loading');
    await server.answer(1, compareReply());
    expect(model.state).toBe('ready');
    expect(model.message).toBeNull();
  });

  it('measures the render time with the injected clock, once per reply', async () => {
    make();
    expect(model.markRendered()).toBeNull();
    void model.load();
    clock = 5000;
    await server.answer(0, compareReply());
    expect(model.receivedAt).toBe(5000);
    clock = 5250;
    expect(model.markRendered()).toBe(250);
    expect(model.renderMs).toBe(250);
    expect(model.receivedAt).toBeNull();
    clock = 9000;
    // A setting changed: drawn again, not measured again.
    expect(model.markRendered()).toBeNull();
    expect(model.renderMs).toBe(250);
    expect(model.renderCount).toBe(3);

    void model.load();
    clock = 10000;
    await server.answer(1, compareReply());
    clock = 10040;
    expect(model.markRendered()).toBe(40);
  });

  it('never reports a negative render time', async () => {
    make();
    void model.load();
    clock = 100;
    await server.answer(0, compareReply());
    clock = 50;
    expect(model.markRendered()).toBe(0);
  });

  it('keeps view settings and clamps the smoothing', () => {
    make();
    let emitted = 0;
    model.stateChanged.connect(() => emitted++);
    expect(model.onlyDifferences).toBe(true);
    model.setOnlyDifferences(false);
    expect(model.onlyDifferences).toBe(false);
    model.setXAxis('time');
    expect(model.xAxis).toBe('time');
    model.setLogScale(true);
    expect(model.logScale).toBe(true);
    model.setSmoothing(2);
    expect(model.smoothing).toBe(0.99);
    model.setSmoothing(-1);
    expect(model.smoothing).toBe(0);
    model.setSmoothing(NaN);
    expect(model.smoothing).toBe(0);
    model.setSmoothing(0.6);
    expect(model.smoothing).toBe(0.6);
    model.setDiffMode('unified');
    expect(model.diffMode).toBe('unified');
    expect(emitted).toBe(8);
  });

  it('hides and shows runs, forgetting runs a new reply lacks', async () => {
    make({ runIds: ['a', 'b', 'c'] });
    model.toggleRun('b');
    model.toggleRun('c');
    expect([...model.hidden]).toEqual(['b', 'c']);
    model.toggleRun('c');
    expect([...model.hidden]).toEqual(['b']);
    model.toggleRun('c');
    void model.load();
    await server.answer(
      0,
      compareReply({ runs: [compareRun('a'), compareRun('c')] })
    );
    expect([...model.hidden]).toEqual(['c']);
  });

  it('chooses the parallel metric: the chosen one, else a charted one', async () => {
    make({ metrics: ['acc'] });
    expect(model.parallelMetric).toBeNull();
    void model.load();
    await server.answer(
      0,
      compareReply({
        metrics: [
          metricRow('loss', [1, 2], 'min', 0),
          metricRow('acc', [0.5, 0.6], 'max', 1)
        ]
      })
    );
    expect(model.parallelMetric).toBe('acc');
    model.setParallelMetric('loss');
    expect(model.parallelMetric).toBe('loss');
    model.setParallelMetric('gone');
    expect(model.parallelMetric).toBe('acc');
  });

  it('applies nothing after dispose', async () => {
    make();
    let emitted = 0;
    model.stateChanged.connect(() => emitted++);
    void model.load();
    emitted = 0;
    model.dispose();
    await server.answer(0, compareReply());
    expect(model.reply).toBeNull();
    expect(model.isDisposed).toBe(true);
    expect(emitted).toBe(0);
    await model.load();
    expect(server.calls).toHaveLength(1);
    await flush();
  });
});
