import { nullTranslator } from '@jupyterlab/translation';

import {
  availableColumns,
  columnSortTitle,
  defaultColumns,
  nextSort,
  parseColumn,
  parseFilter,
  runMatches,
  sortRuns,
  tableRows
} from '../runs/table';
import { RunsTableModel } from '../runs/tableModel';
import { IRun, IRunGroup } from '../runs/types';
import { FakeServer, group, reply, run, SHA_A, SHA_B } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

function groups() {
  return [
    group(SHA_A, [
      run('r1', {
        run_name: 'run-2',
        params: { lr: '0.1', epochs: '15', seed: '42' },
        metrics: { accuracy: 0.9, loss: 0.3 },
        start_time: 3000,
        duration: 12
      }),
      run('r2', {
        run_name: 'run-10',
        params: { lr: '0.01', epochs: '15', seed: '42' },
        metrics: { accuracy: 0.8, loss: 0.5 },
        start_time: 2000,
        duration: 0.4
      })
    ]),
    group(SHA_B, [
      run('r3', {
        run_name: 'baseline',
        params: { lr: '0.1', epochs: '5', seed: '42', note: 'first try' },
        metrics: { accuracy: 0.95 },
        start_time: 1000,
        duration: 30
      })
    ])
  ];
}

describe('runs table columns', () => {
  it('offers the facts, every metric and every parameter', () => {
    const ids = availableColumns(groups()).map(column => column.id);
    expect(ids.slice(0, 7)).toEqual([
      'name',
      'status',
      'started',
      'duration',
      'code',
      'user',
      'experiment'
    ]);
    expect(ids.slice(7)).toEqual([
      'metric:accuracy',
      'metric:loss',
      'param:epochs',
      'param:lr',
      'param:seed',
      'param:note'
    ]);
  });

  it('shows the metrics and the parameters that differ by default', () => {
    expect(defaultColumns(groups(), ['loss'])).toEqual([
      'name',
      'started',
      'duration',
      'code',
      'metric:loss',
      'metric:accuracy',
      'param:epochs',
      'param:lr',
      'param:note'
    ]);
  });

  it('reads column ids back, keys with colons included', () => {
    expect(parseColumn('metric:a:b')).toEqual({
      id: 'metric:a:b',
      kind: 'metric',
      key: 'a:b'
    });
    expect(parseColumn('param:')).toBeNull();
    expect(parseColumn('bogus')).toBeNull();
    expect(parseColumn('started')?.kind).toBe('info');
  });
});

describe('runs table order', () => {
  const items = () => {
    const all: { run: IRun; group: IRunGroup }[] = [];
    for (const g of groups()) {
      all.push(...g.runs.map(r => ({ run: r, group: g })));
    }
    return all;
  };
  const ids = (list: { run: { run_id: string } }[]) =>
    list.map(item => item.run.run_id);

  it('cycles a metric best first, worst first, unsorted', () => {
    const loss = parseColumn('metric:loss')!;
    const first = nextSort(null, loss);
    expect(first).toEqual({ column: 'metric:loss', descending: false });
    const second = nextSort(first, loss);
    expect(second).toEqual({ column: 'metric:loss', descending: true });
    expect(nextSort(second, loss)).toBeNull();
    const accuracy = parseColumn('metric:accuracy')!;
    expect(nextSort(second, accuracy)).toEqual({
      column: 'metric:accuracy',
      descending: true
    });
  });

  it('starts the start time newest first, names A to Z', () => {
    expect(nextSort(null, parseColumn('started')!)).toEqual({
      column: 'started',
      descending: true
    });
    expect(nextSort(null, parseColumn('name')!)).toEqual({
      column: 'name',
      descending: false
    });
  });

  it('sorts numbers as numbers, names naturally, missing values last', () => {
    expect(
      ids(sortRuns(items(), { column: 'metric:loss', descending: false }))
    ).toEqual(['r1', 'r2', 'r3']);
    expect(
      ids(sortRuns(items(), { column: 'metric:loss', descending: true }))
    ).toEqual(['r2', 'r1', 'r3']);
    expect(
      ids(sortRuns(items(), { column: 'name', descending: false }))
    ).toEqual(['r3', 'r1', 'r2']);
    expect(
      ids(sortRuns(items(), { column: 'duration', descending: false }))
    ).toEqual(['r2', 'r1', 'r3']);
    // Parameters that are numbers sort as numbers ("5" before "15").
    expect(
      ids(sortRuns(items(), { column: 'param:epochs', descending: false }))
    ).toEqual(['r3', 'r1', 'r2']);
    expect(ids(sortRuns(items(), null))).toEqual(['r1', 'r2', 'r3']);
  });

  it('says the order of a header in words, from the sort state', () => {
    const loss = parseColumn('metric:loss')!;
    expect(
      columnSortTitle(loss, { column: 'metric:loss', descending: false }, trans)
    ).toBe(
      'loss: lowest first (best first); click: highest first (worst first)'
    );
    expect(columnSortTitle(loss, null, trans)).toBe(
      'loss; click: lowest first (best first)'
    );
    expect(
      columnSortTitle(
        parseColumn('started')!,
        { column: 'started', descending: true },
        trans
      )
    ).toBe('Started: newest first; click: oldest first');
    expect(
      columnSortTitle(
        parseColumn('name')!,
        { column: 'name', descending: true },
        trans
      )
    ).toBe('Run: Z to A; click: newest runs first');
  });
});

describe('runs table filter', () => {
  const [first, second] = groups();
  const matches = (filter: string) =>
    [
      ...first.runs.map(r => [r, first] as const),
      [second.runs[0], second] as const
    ]
      .filter(([r, g]) => runMatches(r, g, parseFilter(filter)))
      .map(([r]) => r.run_id);

  it('finds words in names, parameters, metric names and commits', () => {
    expect(matches('baseline')).toEqual(['r3']);
    expect(matches('lr=0.01')).toEqual(['r2']);
    expect(matches('LOSS')).toEqual(['r1', 'r2']);
    expect(matches('bbbbbbb')).toEqual(['r3']);
    expect(matches('baseline first')).toEqual(['r3']);
    expect(matches('run-2 first')).toEqual([]);
    expect(matches('')).toEqual(['r1', 'r2', 'r3']);
  });

  it('compares metrics and parameters as numbers', () => {
    expect(matches('accuracy>0.85')).toEqual(['r1', 'r3']);
    expect(matches('accuracy>=0.9')).toEqual(['r1', 'r3']);
    expect(matches('loss<0.4')).toEqual(['r1']);
    expect(matches('epochs=5')).toEqual(['r3']);
    expect(matches('epochs!=5')).toEqual(['r1', 'r2']);
    // A run without the metric does not pass a comparison of it...
    expect(matches('loss<=10')).toEqual(['r1', 'r2']);
    // ...but is "not equal" to any value.
    expect(matches('loss!=0.3')).toEqual(['r2', 'r3']);
    expect(matches('note=first')).toEqual([]);
    expect(matches('accuracy>0.85 lr=0.1')).toEqual(['r1', 'r3']);
  });
});

describe('runs table rows', () => {
  it('groups runs under their commits, each group sorted', () => {
    const rows = tableRows(groups(), {
      sort: { column: 'metric:loss', descending: true }
    });
    expect(
      rows.map(row =>
        row.kind === 'group' ? `group ${row.count}` : row.run.run_id
      )
    ).toEqual(['group 2', 'r2', 'r1', 'group 1', 'r3']);
  });

  it('lists runs across commits when not grouped', () => {
    const rows = tableRows(groups(), {
      grouped: false,
      sort: { column: 'metric:accuracy', descending: true }
    });
    expect(
      rows.map(row => (row.kind === 'run' ? row.run.run_id : '-'))
    ).toEqual(['r3', 'r1', 'r2']);
  });

  it('drops groups the filter empties', () => {
    const rows = tableRows(groups(), { filter: 'epochs=5' });
    expect(rows.map(row => row.kind)).toEqual(['group', 'run']);
  });
});

describe('RunsTableModel', () => {
  async function loaded(args: Record<string, unknown> = {}) {
    const server = new FakeServer();
    const model = new RunsTableModel({
      requester: server.requester,
      autoStart: false,
      args: { path: 'nb/train.ipynb', ...args }
    });
    expect(server.query(0).get('path')).toBe('nb/train.ipynb');
    // Every run, not a sidebar page.
    expect(Number(server.query(0).get('max_results'))).toBeGreaterThan(100);
    await server.answer(0, reply(groups()));
    return { model, server };
  }

  it('reads every run of its notebook and shows the default columns', async () => {
    const { model } = await loaded();
    expect(model.runs.state).toBe('ready');
    expect(model.customColumns).toBe(false);
    expect(model.columns.map(c => c.id)).toEqual(defaultColumns(groups()));
    expect(model.rows.filter(row => row.kind === 'run')).toHaveLength(3);
    model.dispose();
  });

  it('shows and hides columns, keeping the name first', async () => {
    const { model } = await loaded();
    let saved = 0;
    model.argsChanged.connect(() => saved++);
    model.setColumnVisible('param:lr', false);
    model.setColumnVisible('user', true);
    model.setColumnVisible('param:seed', true);
    model.setColumnVisible('name', false);
    const ids = model.columns.map(c => c.id);
    expect(ids[0]).toBe('name');
    expect(ids).not.toContain('param:lr');
    // Each where it stands among the available columns.
    expect(ids.indexOf('user')).toBe(ids.indexOf('code') + 1);
    expect(ids.indexOf('param:seed')).toBeGreaterThan(
      ids.indexOf('metric:loss')
    );
    expect(model.customColumns).toBe(true);
    expect(model.args.columns).toEqual(ids);
    expect(saved).toBe(3);
    model.resetColumns();
    expect(model.customColumns).toBe(false);
    expect(model.args.columns).toBeUndefined();
    model.dispose();
  });

  it('comes back with the columns, order, filter and grouping it had', async () => {
    const { model } = await loaded({
      columns: ['name', 'metric:loss', 'bogus'],
      sort: { column: 'metric:loss', descending: true },
      grouped: false,
      filter: 'lr=0.1'
    });
    expect(model.columns.map(c => c.id)).toEqual(['name', 'metric:loss']);
    expect(model.sort).toEqual({ column: 'metric:loss', descending: true });
    expect(model.grouped).toBe(false);
    expect(
      model.rows.map(row => (row.kind === 'run' ? row.run.run_id : '-'))
    ).toEqual(['r1', 'r3']);
    // Hiding the sorted column drops the order.
    model.setColumnVisible('metric:loss', false);
    expect(model.sort).toBeNull();
    model.dispose();
  });

  it('sorts by a header and keeps the selection for Compare', async () => {
    const { model } = await loaded();
    model.toggleSort('metric:loss');
    expect(model.sort).toEqual({ column: 'metric:loss', descending: false });
    model.selection.toggle('r1');
    model.selection.toggle('r3');
    expect(model.selection.ids).toEqual(['r1', 'r3']);
    model.toggleSort('nonsense');
    expect(model.sort).toEqual({ column: 'metric:loss', descending: false });
    model.dispose();
    expect(model.runs.isDisposed).toBe(true);
    expect(model.selection.isDisposed).toBe(true);
  });
});
