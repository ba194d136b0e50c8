import { WidgetTracker } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { CommandIDs } from '../common/commandIds';
import { RunsTable } from '../runs/RunsTable';
import { RunsTableModel } from '../runs/tableModel';
import { addRunsTableCommands, RunsTableWidget } from '../runs/tableWidget';
import { FakeServer, group, reply, run, SHA_A, SHA_B } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const NB = 'nb/train.ipynb';

function groups() {
  return [
    group(SHA_A, [
      run('r1', {
        run_name: 'first',
        params: { lr: '0.1' },
        metrics: { accuracy: 0.9, loss: 0.3 }
      }),
      run('r2', {
        run_name: HOSTILE,
        params: { lr: '0.01', [HOSTILE]: HOSTILE },
        metrics: { accuracy: 0.8, loss: 0.5 }
      })
    ]),
    group(SHA_B, [
      run('r3', {
        run_name: 'third',
        params: { lr: '0.1' },
        metrics: { accuracy: 0.95 },
        tags: { 'repro.release': 'v1' }
      })
    ])
  ];
}

describe('RunsTable', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let model: RunsTableModel;
  let commands: CommandRegistry;
  let calls: [string, ReadonlyPartialJSONObject][];

  beforeEach(async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    server = new FakeServer();
    model = new RunsTableModel({
      requester: server.requester,
      autoStart: false,
      args: { path: NB }
    });
    commands = new CommandRegistry();
    calls = [];
    for (const id of [
      CommandIDs.compare,
      CommandIDs.releaseRun,
      CommandIDs.restoreBranch
    ]) {
      commands.addCommand(id, {
        execute: args => {
          calls.push([id, args]);
        },
        // Restore as it is today: only for a notebook as it was.
        isEnabled: () => id !== CommandIDs.restoreBranch
      });
    }
    await act(async () => {
      root.render(
        <RunsTable model={model} trans={trans} commands={commands} />
      );
    });
    await act(async () => {
      await server.answer(0, reply(groups()));
    });
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    model.dispose();
  });

  const $ = <T extends Element = HTMLElement>(selector: string) =>
    host.querySelector<T>(selector);
  const $$ = <T extends Element = HTMLElement>(selector: string) =>
    Array.from(host.querySelectorAll<T>(selector));
  const runRows = () => $$<HTMLTableRowElement>('tr.jp-Repro-RunsTable-run');
  const ids = () => runRows().map(row => row.dataset.runId);

  async function key(target: Element, name: string): Promise<void> {
    await act(async () => {
      target.dispatchEvent(
        new KeyboardEvent('keydown', { key: name, bubbles: true })
      );
    });
  }

  async function click(element: Element | null): Promise<void> {
    expect(element).not.toBeNull();
    await act(async () => {
      (element as HTMLElement).click();
    });
  }

  it('lists every run under its commit, params and metrics as columns, all as text', () => {
    expect($('.jp-Repro-RunsTable')?.getAttribute('data-state')).toBe('ready');
    expect($$('tr.jp-Repro-RunsTable-group')).toHaveLength(2);
    expect(ids()).toEqual(['r1', 'r2', 'r3']);
    const heads = $$('th.jp-Repro-RunsTable-head').map(th => th.dataset.column);
    expect(heads).toContain('metric:accuracy');
    expect(heads).toContain('metric:loss');
    expect(heads).toContain('param:lr');
    expect(
      runRows()[1].querySelector('.jp-Repro-RunsTable-runName')?.textContent
    ).toBe(HOSTILE);
    expect(
      runRows()[2].querySelector('.jp-Repro-Runs-release')?.textContent
    ).toBe('released v1');
    expect($('img')).toBeNull();
    expect((window as any).__pwned).toBeUndefined();
  });

  it('sorts by a header and says the order', async () => {
    const loss = $('th[data-column="metric:loss"]')!;
    await click(loss.querySelector('button'));
    expect(loss.getAttribute('aria-sort')).toBe('ascending');
    expect(loss.querySelector('button')?.getAttribute('title')).toContain(
      'lowest first (best first)'
    );
    // In each group: r1 (0.3) before r2 (0.5).
    expect(ids()).toEqual(['r1', 'r2', 'r3']);
    await click(loss.querySelector('button'));
    expect(ids()).toEqual(['r2', 'r1', 'r3']);
    // One list: by accuracy, best first.
    await act(async () => model.setGrouped(false));
    await click($('th[data-column="metric:accuracy"] button'));
    expect(ids()).toEqual(['r3', 'r1', 'r2']);
    expect($$('tr.jp-Repro-RunsTable-group')).toHaveLength(0);
  });

  it('moves with the arrow keys, ticks with Space, opens details with Enter', async () => {
    const rows = runRows();
    expect(rows.map(row => row.tabIndex)).toEqual([0, -1, -1]);
    await act(async () => rows[0].focus());
    await key(rows[0], 'ArrowDown');
    expect(document.activeElement).toBe(runRows()[1]);
    await key(runRows()[1], ' ');
    await key(runRows()[1], 'ArrowDown');
    expect(document.activeElement).toBe(runRows()[2]);
    await key(runRows()[2], ' ');
    expect(model.selection.ids).toEqual(['r2', 'r3']);
    expect(runRows()[2].getAttribute('aria-selected')).toBe('true');
    expect(runRows().map(row => row.tabIndex)).toEqual([-1, -1, 0]);
    await key(runRows()[2], 'Enter');
    expect(
      $('tr.jp-Repro-RunsTable-details .jp-Repro-Runs-detailBody')
    ).not.toBeNull();
    await key(runRows()[2], 'Home');
    expect(document.activeElement).toBe(runRows()[0]);
    await key(runRows()[0], 'End');
    expect(document.activeElement).toBe(runRows()[2]);
    // Keys in a cell's own controls are theirs.
    await key(runRows()[2].querySelector('input')!, ' ');
    expect(model.selection.ids).toEqual(['r2', 'r3']);
  });

  it('compares the ticked runs in one click', async () => {
    const compare = $<HTMLButtonElement>('button.jp-Repro-RunsTable-compare')!;
    expect(compare.disabled).toBe(true);
    await act(async () => {
      model.selection.toggle('r3');
      model.selection.toggle('r1');
    });
    expect(compare.textContent).toBe('Compare (2)');
    expect(compare.disabled).toBe(false);
    await click(compare);
    expect(calls).toEqual([
      [CommandIDs.compare, { runIds: ['r3', 'r1'], path: NB }]
    ]);
  });

  it('releases and restores a run in one click; Reproduce once its command exists', async () => {
    const row = runRows()[0];
    await click(row.querySelector('button.jp-Repro-RunsTable-release'));
    expect(calls[0]).toEqual([
      CommandIDs.releaseRun,
      { runId: 'r1', path: NB }
    ]);
    // The run's code for the restore command (disabled by it today).
    const restore = row.querySelector<HTMLButtonElement>(
      'button.jp-Repro-RunsTable-restore'
    )!;
    expect(restore.disabled).toBe(true);
    expect(row.querySelector('button.jp-Repro-RunsTable-reproduce')).toBeNull();
    await act(async () => {
      commands.addCommand(CommandIDs.reproduce, {
        execute: args => {
          calls.push([CommandIDs.reproduce, args]);
        }
      });
    });
    await click(
      runRows()[0].querySelector('button.jp-Repro-RunsTable-reproduce')
    );
    expect(calls[1]).toEqual([CommandIDs.reproduce, { runId: 'r1', path: NB }]);
  });

  it('picks columns', async () => {
    await click($('summary.jp-Repro-RunsTable-columnsButton'));
    const lr = $<HTMLInputElement>(
      '.jp-Repro-RunsTable-columnChoice[data-column="param:lr"] input'
    )!;
    expect(lr.checked).toBe(true);
    await click(lr);
    expect($('th[data-column="param:lr"]')).toBeNull();
    const user = $<HTMLInputElement>(
      '.jp-Repro-RunsTable-columnChoice[data-column="user"] input'
    )!;
    await click(user);
    expect($('th[data-column="user"]')).not.toBeNull();
    const name = $<HTMLInputElement>(
      '.jp-Repro-RunsTable-columnChoice[data-column="name"] input'
    )!;
    expect(name.disabled).toBe(true);
    await click($('button.jp-Repro-RunsTable-defaultColumns'));
    expect($('th[data-column="param:lr"]')).not.toBeNull();
    expect($('th[data-column="user"]')).toBeNull();
  });

  it('filters by words and comparisons', async () => {
    await act(async () => model.setFilter('accuracy>0.85'));
    expect(ids()).toEqual(['r1', 'r3']);
    expect($('.jp-Repro-RunsTable-count')?.textContent).toBe('2 of 3 runs');
    await act(async () => model.setFilter('nothing-like-this'));
    expect(ids()).toEqual([]);
    expect($('.jp-Repro-RunsTable-note')?.textContent).toContain(
      'nothing-like-this'
    );
  });
});

describe('the runs-table command', () => {
  let namespace = 0;

  function setup(defaultPath: string | null) {
    const server = new FakeServer();
    const commands = new CommandRegistry();
    const tracker = new WidgetTracker<RunsTableWidget>({
      namespace: `runs-table-test-${++namespace}`
    });
    const opened: RunsTableWidget[] = [];
    const activated: RunsTableWidget[] = [];
    addRunsTableCommands({
      requester: server.requester,
      trans,
      commands,
      tracker,
      open: widget => {
        opened.push(widget);
        return true;
      },
      activate: widget => activated.push(widget),
      defaultPath: () => defaultPath,
      autoStart: false
    });
    return { server, commands, tracker, opened, activated };
  }

  it('opens the followed notebook’s table once, then brings it forward', async () => {
    const { server, commands, opened, activated } = setup(NB);
    expect(commands.isEnabled(CommandIDs.runsTable, {})).toBe(true);
    const widget = (await commands.execute(
      CommandIDs.runsTable,
      {}
    )) as unknown as RunsTableWidget;
    expect(opened).toEqual([widget]);
    expect(widget.path).toBe(NB);
    expect(widget.title.label).toBe('Runs: train.ipynb');
    expect(server.query(0).get('path')).toBe(NB);
    await commands.execute(CommandIDs.runsTable, { path: NB });
    expect(activated).toEqual([widget]);
    expect(opened).toHaveLength(1);
    widget.dispose();
    expect(widget.model.isDisposed).toBe(true);
  });

  it('opens with what a restored layout passes', async () => {
    const { commands } = setup(null);
    expect(commands.isEnabled(CommandIDs.runsTable, {})).toBe(false);
    expect(
      commands.isEnabled(CommandIDs.runsTable, { path: 'nb/notes.md' })
    ).toBe(false);
    const widget = (await commands.execute(CommandIDs.runsTable, {
      path: NB,
      columns: ['name', 'metric:loss'],
      sort: { column: 'metric:loss', descending: true },
      grouped: false,
      filter: 'lr=0.1'
    })) as unknown as RunsTableWidget;
    expect(widget.args).toEqual({
      path: NB,
      columns: ['name', 'metric:loss'],
      sort: { column: 'metric:loss', descending: true },
      grouped: false,
      filter: 'lr=0.1'
    });
    widget.dispose();
  });
});
