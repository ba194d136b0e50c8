import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { IChartsModule } from '../compare/Charts';
import { CompareView } from '../compare/CompareView';
import type { IChart } from '../compare/echarts';
import { CompareModel } from '../compare/model';
import { ICodeDiff, ICompareReply } from '../compare/types';
import {
  compareReply,
  compareRun,
  history,
  HOSTILE_IMG,
  HOSTILE_SCRIPT,
  metricRow
} from './compareFakes';
import { FakeServer, flush } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

/** A chart library that records its options and finishes at once. */
class FakeCharts implements IChartsModule {
  created: { node: HTMLElement; options: Record<string, unknown>[] }[] = [];
  createChart(node: HTMLElement): IChart {
    const entry = { node, options: [] as Record<string, unknown>[] };
    this.created.push(entry);
    let listener: (() => void) | null = null;
    return {
      setOption: option => {
        entry.options.push(option);
        const done = listener;
        listener = null;
        done?.();
      },
      resize: () => undefined,
      onceFinished: l => {
        listener = l;
      },
      setGroup: () => undefined,
      dispose: () => undefined
    };
  }
}

function hostileCode(): ICodeDiff {
  return {
    run_id: 'b',
    from_run: 'a',
    known: true,
    reason: null,
    from_code: 'a'.repeat(40),
    to_code: 'b'.repeat(40),
    notebook: HOSTILE_IMG,
    label: HOSTILE_IMG,
    same_code: false,
    notebook_diff: {
      cells: [
        {
          status: 'modified',
          cell_type: 'code',
          old_index: 1,
          new_index: 1,
          cell_id: 'c1',
          source_changed: true,
          source_diff: [
            '@@ -1 +1 @@',
            `-x = "${HOSTILE_IMG}"`,
            `+${HOSTILE_SCRIPT}`
          ],
          old_source: `x = "${HOSTILE_IMG}"`,
          new_source: HOSTILE_SCRIPT,
          metadata_changed: []
        },
        {
          status: 'added',
          cell_type: 'markdown',
          old_index: null,
          new_index: 2,
          cell_id: 'c2',
          source_changed: true,
          // No whole sources: the view shows the diff lines.
          source_diff: ['@@ -0,0 +1 @@', `+# ${HOSTILE_IMG}`],
          metadata_changed: [HOSTILE_IMG]
        }
      ],
      summary: { modified: 1, added: 1 },
      has_changes: true
    },
    notebook_text: '',
    files: [
      {
        path: `src/${HOSTILE_IMG}.py`,
        old_path: null,
        status: 'modified',
        additions: 1,
        deletions: 1,
        binary: false,
        diff: `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-${HOSTILE_SCRIPT}\n+${HOSTILE_IMG}\n`,
        summary: null
      },
      {
        path: `${HOSTILE_SCRIPT}.bin`,
        old_path: null,
        status: 'added',
        additions: null,
        deletions: null,
        binary: true,
        diff: null,
        summary: HOSTILE_IMG
      }
    ],
    files_total: 3
  };
}

function hostileReply(): ICompareReply {
  const runs = [
    compareRun('a', {
      run_name: HOSTILE_IMG,
      experiment_name: HOSTILE_SCRIPT,
      notebook: HOSTILE_SCRIPT,
      url: 'javascript:alert(1)',
      release: HOSTILE_IMG
    }),
    compareRun('b', {
      run_name: HOSTILE_SCRIPT,
      notebook: 'other.ipynb',
      url: 'http://mlflow.example/#/runs/b'
    })
  ];
  return compareReply({
    runs,
    params: [
      {
        key: HOSTILE_IMG,
        values: [HOSTILE_SCRIPT, HOSTILE_IMG],
        differs: true
      }
    ],
    metrics: [metricRow(HOSTILE_IMG, [0.5, 0.4], 'min', 1)],
    environment: [{ key: HOSTILE_SCRIPT, values: [HOSTILE_IMG, null] }],
    code: [hostileCode()],
    histories: {
      [HOSTILE_IMG]: { a: history([1, 0.5]), b: history([1, 0.4]) }
    }
  });
}

describe('CompareView', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let model: CompareModel;
  let commands: CommandRegistry;
  let released: unknown[];
  let charts: FakeCharts;
  let rendered: number[];
  let clock: number;

  const $ = <T extends Element = HTMLElement>(selector: string) =>
    host.querySelector<T>(selector);
  const $$ = (selector: string) => Array.from(host.querySelectorAll(selector));
  const state = () => $('.jp-Repro-Compare')?.getAttribute('data-state');

  async function mount(options: {
    metrics?: string[] | null;
    runIds?: string[];
  }): Promise<void> {
    model = new CompareModel({
      requester: server.requester,
      runIds: options.runIds ?? ['a', 'b'],
      path: 'nb/train.ipynb',
      metrics: options.metrics === undefined ? ['loss'] : options.metrics,
      autoLoad: false,
      now: () => clock
    });
    await act(async () => {
      root.render(
        <CompareView
          model={model}
          trans={trans}
          commands={commands}
          loadCharts={async () => charts}
          onRendered={ms => rendered.push(ms)}
        />
      );
    });
  }

  async function load(reply: ICompareReply, index = 0): Promise<void> {
    await act(async () => {
      if (index >= server.calls.length) {
        void model.load();
      }
      await server.answer(index, reply);
    });
    // The merge view and the charts are loaded lazily.
    for (let i = 0; i < 5; i++) {
      await act(async () => {
        await new Promise(resolve => setTimeout(resolve, 0));
      });
    }
  }

  async function click(element: Element | null): Promise<void> {
    expect(element).not.toBeNull();
    await act(async () => {
      (element as HTMLElement).click();
    });
  }

  beforeEach(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    server = new FakeServer();
    commands = new CommandRegistry();
    released = [];
    commands.addCommand(CommandIDs.releaseRun, {
      execute: args => {
        released.push(args);
      }
    });
    charts = new FakeCharts();
    rendered = [];
    clock = 0;
    delete (window as any).__pwned;
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    model.dispose();
  });

  it('says it is comparing until the reply comes', async () => {
    await mount({});
    void act(() => void model.load());
    await act(async () => flush());
    expect(state()).toBe('loading');
    expect($('.jp-Repro-Compare-note')?.textContent).toBe('Comparing runs…');
    expect($('.jp-Repro-Compare-cards')).toBeNull();
  });

  it('renders hostile strings from the server as text', async () => {
    await mount({ metrics: [HOSTILE_IMG] });
    await load(hostileReply());
    expect(state()).toBe('ready');

    // Run cards, table heads, legend.
    const names = $$('.jp-Repro-Compare-cardName').map(n => n.textContent);
    expect(names).toEqual([HOSTILE_IMG, HOSTILE_SCRIPT]);
    expect($$('.jp-Repro-Compare-legendName').map(n => n.textContent)).toEqual([
      HOSTILE_IMG,
      HOSTILE_SCRIPT
    ]);
    expect(
      $$('.jp-Repro-Compare-cardNotebook').map(n => n.textContent)
    ).toEqual([HOSTILE_SCRIPT, 'other.ipynb']);
    expect(host.textContent).toContain(`released ${HOSTILE_IMG}`);

    // Params, metrics and environment.
    const params = $('.jp-Repro-Compare-params tbody tr');
    expect(params?.querySelector('th')?.textContent).toBe(HOSTILE_IMG);
    expect(
      Array.from(params?.querySelectorAll('td') ?? []).map(td => td.textContent)
    ).toEqual([HOSTILE_SCRIPT, HOSTILE_IMG]);
    expect($('.jp-Repro-Compare-metrics tbody th')?.textContent).toContain(
      HOSTILE_IMG
    );
    expect($('.jp-Repro-Compare-environment tbody th')?.textContent).toBe(
      HOSTILE_SCRIPT
    );
    expect(
      $('.jp-Repro-Compare-figure .jp-Repro-Compare-metricName')?.textContent
    ).toBe(HOSTILE_IMG);

    // Code: label, cell sources (merge view and diff lines), files.
    expect($('.jp-Repro-Compare-codeLabel')?.textContent).toBe(HOSTILE_IMG);
    const cells = $$('.jp-Repro-Compare-cell');
    expect(cells).toHaveLength(2);
    // The changed cell is in a merge view (CodeMirror documents).
    expect(
      cells[0].querySelectorAll('.jp-Repro-Compare-merge .cm-editor')
    ).toHaveLength(2);
    expect(cells[0].textContent).toContain(HOSTILE_SCRIPT);
    expect(cells[0].textContent).toContain(HOSTILE_IMG);
    expect(cells[1].textContent).toContain(`# ${HOSTILE_IMG}`);
    expect(cells[1].textContent).toContain(`metadata changed: ${HOSTILE_IMG}`);
    expect($$('.jp-Repro-Compare-filePath').map(n => n.textContent)).toEqual([
      `src/${HOSTILE_IMG}.py`,
      `${HOSTILE_SCRIPT}.bin`
    ]);
    const files = $$('.jp-Repro-Compare-file');
    expect(files[0].textContent).toContain(`+${HOSTILE_IMG}`);
    expect(files[1].textContent).toContain(HOSTILE_IMG);

    // Nothing was parsed as HTML.
    expect($('img')).toBeNull();
    expect($('script')).toBeNull();
    expect((window as any).__pwned).toBeUndefined();

    // A javascript: URL is no link; an http one is.
    const links = $$('a.jp-Repro-Compare-mlflow') as HTMLAnchorElement[];
    expect(links.map(a => a.getAttribute('href'))).toEqual([
      'http://mlflow.example/#/runs/b'
    ]);
  });

  it('renders a hostile unknown-code reason as text', async () => {
    await mount({});
    await load(
      compareReply({
        code: [
          {
            run_id: 'b',
            from_run: 'a',
            known: false,
            reason: HOSTILE_IMG
          }
        ]
      })
    );
    expect($('.jp-Repro-Compare-unknown')?.textContent).toBe(HOSTILE_IMG);
    expect($('img')).toBeNull();
  });

  it('shows only the differing params until all are asked for', async () => {
    await mount({});
    await load(compareReply());
    const keys = () =>
      $$('.jp-Repro-Compare-params tbody tr').map(tr =>
        tr.getAttribute('data-key')
      );
    expect(keys()).toEqual(['lr']);
    expect($('.jp-Repro-Compare-params')?.textContent).toContain(
      '1 parameter with the same value is hidden.'
    );
    await click($('.jp-Repro-Compare-onlyDiff input'));
    expect(model.onlyDifferences).toBe(false);
    expect(keys()).toEqual(['lr', 'seed']);
  });

  it('says when all params are the same', async () => {
    await mount({});
    await load(
      compareReply({
        params: [{ key: 'seed', values: ['1', '1'], differs: false }]
      })
    );
    expect($('.jp-Repro-Compare-params table')).toBeNull();
    expect($('.jp-Repro-Compare-params')?.textContent).toContain(
      'All 1 parameters are the same.'
    );
  });

  it('marks the best run per metric as the server chose it by direction', async () => {
    await mount({ runIds: ['a', 'b', 'c'] });
    await load(
      compareReply({
        runs: [compareRun('a'), compareRun('b'), compareRun('c')],
        metrics: [
          // Lower is better: the lowest (run b) is best.
          metricRow('val_loss', [0.5, 0.2, 0.9], 'min', 1),
          // Higher is better: the highest (run c) is best.
          metricRow('accuracy', [0.7, 0.8, 0.95], 'max', 2),
          // All equal: no best.
          metricRow('epochs', [10, 10, 10], 'max', null)
        ]
      })
    );
    const row = (key: string) =>
      $(`.jp-Repro-Compare-metrics tr[data-key="${key}"]`) as HTMLElement;
    const bestIndex = (key: string) =>
      Array.from(row(key).querySelectorAll('td')).findIndex(td =>
        td.classList.contains('jp-mod-best')
      );
    expect(bestIndex('val_loss')).toBe(1);
    expect(bestIndex('accuracy')).toBe(2);
    expect(bestIndex('epochs')).toBe(-1);
    expect(row('val_loss').querySelector('th')?.textContent).toContain('↓');
    expect(row('accuracy').querySelector('th')?.textContent).toContain('↑');
    expect(
      row('val_loss').querySelectorAll('td')[1].getAttribute('aria-label')
    ).toMatch(/^best: /);
    expect($$('.jp-Repro-Compare-best')).toHaveLength(2);
  });

  it('changes the baseline from its select: a new request', async () => {
    await mount({});
    await load(compareReply());
    const select = $<HTMLSelectElement>('.jp-Repro-Compare-baseline select');
    expect(select?.value).toBe('a');
    await act(async () => {
      select!.value = 'b';
      select!.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(server.calls).toHaveLength(2);
    expect(server.query(1).get('baseline')).toBe('b');
    expect(state()).toBe('loading');
    // The previous comparison stays while the new one is read.
    expect($$('.jp-Repro-Compare-card')).toHaveLength(2);
    await load(
      compareReply({
        baseline: 'b',
        runs: [compareRun('b'), compareRun('a')]
      }),
      1
    );
    expect(
      $('.jp-Repro-Compare-card.jp-mod-baseline')?.getAttribute('data-run-id')
    ).toBe('b');
  });

  it('shows the server error', async () => {
    await mount({});
    await act(async () => {
      void model.load();
      await server.fail(0, new ReproRequestError('MLflow is down', 503));
    });
    expect(state()).toBe('error');
    expect($('[role="alert"]')?.textContent).toBe('MLflow is down');
  });

  it('releases a run from its card', async () => {
    await mount({});
    await load(compareReply());
    await click(
      $('.jp-Repro-Compare-card[data-run-id="b"] .jp-Repro-Compare-release')
    );
    expect(released).toEqual([{ runId: 'b', path: 'nb/train.ipynb' }]);
  });

  it('cannot release a run whose code is unknown', async () => {
    await mount({});
    await load(
      compareReply({
        runs: [compareRun('a'), compareRun('b', { code: null, commit: null })]
      })
    );
    const button = $<HTMLButtonElement>(
      '.jp-Repro-Compare-card[data-run-id="b"] .jp-Repro-Compare-release'
    );
    expect(button?.disabled).toBe(true);
    expect(
      $('.jp-Repro-Compare-card[data-run-id="b"] .jp-Repro-Compare-cardCode')
        ?.textContent
    ).toBe('code unknown');
  });

  it('draws the charts and reports the render time of the reply', async () => {
    await mount({});
    clock = 100;
    model.stateChanged.connect(() => {
      if (model.receivedAt !== null) {
        clock = 130;
      }
    });
    await load(
      compareReply({
        histories: { loss: { a: history([1, 0.5]), b: history([2, 1]) } }
      })
    );
    expect(charts.created).toHaveLength(1);
    const option = charts.created[0].options[0] as any;
    expect(option.series.map((s: any) => s.id)).toEqual(['a', 'b']);
    // Received at 100, drawn at 130.
    expect(rendered).toEqual([30]);
    expect(model.renderMs).toBe(30);

    // Hiding a run draws again without measuring again.
    await click($('.jp-Repro-Compare-legendItem[data-run-id="a"]'));
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    const opts = charts.created[0].options;
    const last = opts[opts.length - 1] as any;
    expect(last.series.map((s: any) => s.id)).toEqual(['b']);
    expect(rendered).toHaveLength(1);
    expect(model.renderCount).toBeGreaterThanOrEqual(2);
  });

  it('says when a log scale cannot show a metric', async () => {
    await mount({});
    await load(
      compareReply({
        histories: { loss: { a: history([0, -1]), b: history([-2]) } }
      })
    );
    await click($('.jp-Repro-Compare-logScale input'));
    expect(model.logScale).toBe(true);
    expect($('.jp-Repro-Compare-figure')?.textContent).toContain(
      'no positive values: linear scale'
    );
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    const opts = charts.created[0].options;
    const last = opts[opts.length - 1] as any;
    expect(last.yAxis.type).toBe('value');
  });
});
