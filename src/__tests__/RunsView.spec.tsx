import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ReproRequestError } from '../common/api';
import { addRunsCommands } from '../runs/commands';
import {
  createRunsSection,
  formatDuration,
  formatMetric,
  relativeTime,
  RunsView
} from '../runs/RunsView';
import { IRunRef, RunsModel } from '../runs/model';
import {
  FakeServer,
  group,
  reply,
  run,
  SHA_A,
  SHA_B,
  SHA_C
} from './runsFakes';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const trans = nullTranslator.load('jupyterlab_repro');

describe('RunsView', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let model: RunsModel;
  let opened: IRunRef[];
  let openResult: () => Promise<unknown>;

  beforeEach(async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    server = new FakeServer();
    model = new RunsModel({ requester: server.requester, autoStart: false });
    const commands = new CommandRegistry();
    addRunsCommands(commands, { model, trans });
    opened = [];
    openResult = async () => undefined;
    await act(async () => {
      root.render(
        <RunsView
          model={model}
          trans={trans}
          commands={commands}
          openNotebookAt={ref => {
            opened.push(ref);
            return openResult();
          }}
        />
      );
    });
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    model.dispose();
  });

  const $ = <T extends Element = HTMLElement>(selector: string) =>
    host.querySelector<T>(selector);
  const $$ = (selector: string) => Array.from(host.querySelectorAll(selector));
  const state = () => $('.jp-Repro-Runs')?.getAttribute('data-state');

  async function load(answer: unknown): Promise<void> {
    await act(async () => {
      model.setPath('nb/train.ipynb');
      await server.answer(server.calls.length - 1, answer);
    });
  }

  async function click(element: Element | null): Promise<void> {
    expect(element).not.toBeNull();
    await act(async () => {
      (element as HTMLElement).click();
    });
  }

  it('explains itself while no notebook is followed', () => {
    expect(state()).toBe('idle');
    expect($('.jp-Repro-Runs-note')?.textContent).toContain('Open a notebook');
    expect($<HTMLInputElement>('input.jp-Repro-Runs-filter')?.disabled).toBe(
      true
    );
  });

  it('renders run names, params, subjects and branches as text', async () => {
    const hostileRun = run('r1', {
      run_name: HOSTILE,
      experiment_name: HOSTILE,
      user: HOSTILE,
      params: { [HOSTILE]: HOSTILE },
      metrics: { [HOSTILE]: 0.5 },
      url: 'javascript:window.__pwned=1'
    });
    await load(
      reply([group(SHA_A, [hostileRun], { subject: HOSTILE, branch: HOSTILE })])
    );
    expect(state()).toBe('ready');
    expect($('.jp-Repro-Runs-runName')?.textContent).toBe(HOSTILE);
    expect($('.jp-Repro-Runs-subject')?.textContent).toBe(HOSTILE);
    expect($('.jp-Repro-Runs-branch')?.textContent).toBe(HOSTILE);
    expect($('select.jp-Repro-Runs-metricPick option')?.textContent).toBe(
      HOSTILE
    );
    expect($('.jp-Repro-Runs-toggle')?.getAttribute('title')).toContain(
      `${HOSTILE} = ${HOSTILE}`
    );
    await click($('.jp-Repro-Runs-toggle'));
    expect($('.jp-Repro-Runs-params dt')?.textContent).toBe(HOSTILE);
    expect($('.jp-Repro-Runs-params dd')?.textContent).toBe(HOSTILE);
    expect($('img')).toBeNull();
    // A javascript: URL never becomes a link.
    expect($('a.jp-Repro-Runs-mlflow')).toBeNull();
    expect($('a.jp-Repro-Runs-mlflowLink')).toBeNull();
    expect((window as any).__pwned).toBeUndefined();
  });

  it('lists groups by commit, one line per run with the chosen metric', async () => {
    await load(
      reply([
        group(SHA_A, [
          run('r1', { metrics: { acc: 0.91234, loss: 0.5 } }),
          run('r2', { run_name: null, metrics: { acc: 0.8 } })
        ]),
        group(SHA_B, [run('r3', { status: 'FAILED', duration: 3725 })])
      ])
    );
    const groups = $$('.jp-Repro-Runs-group');
    expect(groups.map(g => g.getAttribute('data-commit'))).toEqual([
      SHA_A,
      SHA_B
    ]);
    expect(groups.map(g => g.getAttribute('data-snapshot'))).toEqual([
      'false',
      'false'
    ]);
    expect($('.jp-Repro-Runs-sha')?.textContent).toBe('aaaaaaa');
    const rows = $$('.jp-Repro-Runs-run');
    expect(rows.map(r => r.getAttribute('data-run-id'))).toEqual([
      'r1',
      'r2',
      'r3'
    ]);
    // No name: the id's prefix.
    expect(rows[1].querySelector('.jp-Repro-Runs-runName')?.textContent).toBe(
      'r2'
    );
    // One metric per run (the one most runs report), in one format.
    expect($('select.jp-Repro-Runs-metricPick')).not.toBeNull();
    expect(
      rows.map(r => r.querySelector('.jp-Repro-Runs-metric')?.textContent)
    ).toEqual(['0.9123', '0.8000', '']);
    expect(rows[0].querySelectorAll('.jp-Repro-Runs-metric')).toHaveLength(1);
    expect(rows[2].classList.contains('jp-mod-failed')).toBe(true);
    expect(
      rows[2].querySelector('.jp-Repro-Runs-status')?.textContent
    ).toContain('failed');
    // When and how long: in the row's title, and in its details.
    expect(
      rows[2].querySelector('.jp-Repro-Runs-toggle')?.getAttribute('title')
    ).toContain('1 h 2 min');
    // No table with columns that need a horizontal scroll.
    expect($('table')).toBeNull();
  });

  it('tells two snapshot groups on the same commit apart', async () => {
    const on = {
      snapshot: true,
      parent: SHA_A,
      parent_short_sha: 'aaaaaaa',
      parent_subject: 'feat: add features'
    };
    await load(
      reply([
        group(SHA_C, [run('r1', { dirty: true })], {
          ...on,
          committed_at: '2026-01-01T12:30:00+00:00'
        }),
        group(SHA_B, [run('r2', { dirty: true })], {
          ...on,
          committed_at: '2026-01-01T12:10:00+00:00'
        })
      ])
    );
    const labels = $$('.jp-Repro-Runs-groupLabel').map(l => l.textContent);
    expect(labels).toEqual([
      'ccccccc uncommitted changes on top of aaaaaaa feat: add features',
      'bbbbbbb uncommitted changes on top of aaaaaaa feat: add features'
    ]);
    expect(new Set(labels).size).toBe(2);
    const titles = $$('.jp-Repro-Runs-groupHeader').map(h =>
      h.getAttribute('title')
    );
    expect(titles[0]).toContain(`snapshot ${SHA_C}`);
    expect(titles[1]).toContain(`snapshot ${SHA_B}`);
    expect($$('.jp-Repro-Runs-groupTime')).toHaveLength(2);
  });

  it('labels a snapshot group as uncommitted changes on top of its parent', async () => {
    await load(
      reply([
        group(SHA_C, [run('r1', { dirty: true })], {
          snapshot: true,
          subject: 'repro snapshot',
          parent: SHA_A,
          parent_short_sha: 'aaaaaaa',
          parent_subject: 'feat: add features',
          branch: 'exp/lr'
        })
      ])
    );
    const header = $('.jp-Repro-Runs-group[data-snapshot="true"]');
    expect(header?.getAttribute('data-commit')).toBe(SHA_C);
    expect($('.jp-Repro-Runs-groupLabel')?.textContent).toBe(
      'ccccccc uncommitted changes on top of aaaaaaa feat: add features'
    );
    expect($('.jp-Repro-Runs-branch')?.textContent).toBe('exp/lr');
    expect($('.jp-Repro-Runs-snapshot')?.textContent).toBe('snapshot');
  });

  it('explains how runs get linked when there are none', async () => {
    await load(reply([]));
    expect(state()).toBe('empty');
    const text = $('.jp-Repro-Runs-empty')?.textContent ?? '';
    expect(text).toContain('mlflow.start_run()');
    expect(text).toContain('no code needed');
    expect($('.jp-Repro-Runs-group')).toBeNull();
  });

  it('shows an unavailable store, keeps the runs and retries on refresh', async () => {
    await load(reply([group(SHA_A, [run('r1')])]));
    await click($('button.jp-Repro-Runs-refresh'));
    await act(async () => {
      await server.fail(
        1,
        new ReproRequestError(
          `MLflow at ${HOSTILE} cannot be reached`,
          503,
          'tracking-unavailable'
        )
      );
    });
    expect(state()).toBe('unavailable');
    expect($('.jp-Repro-Runs-message')?.textContent).toContain(HOSTILE);
    expect($('img')).toBeNull();
    expect($$('.jp-Repro-Runs-run')).toHaveLength(1);
    expect($<HTMLInputElement>('input.jp-Repro-Runs-filter')?.disabled).toBe(
      false
    );
    await click($('button.jp-Repro-Runs-refresh'));
    await act(async () => {
      await server.answer(2, reply([group(SHA_A, [run('r1')])]));
    });
    expect(state()).toBe('ready');
    expect($('.jp-Repro-Runs-message')).toBeNull();
  });

  it('loads more runs on request', async () => {
    await load(reply([group(SHA_A, [run('r1')])], 'next-1'));
    await click($('button.jp-Repro-Runs-more'));
    expect(server.query(1).get('page_token')).toBe('next-1');
    await act(async () => {
      await server.answer(
        1,
        reply([group(SHA_A, [run('r2')]), group(SHA_B, [run('r3')])])
      );
    });
    expect($$('.jp-Repro-Runs-group')).toHaveLength(2);
    expect($$('.jp-Repro-Runs-run')).toHaveLength(3);
    expect($('button.jp-Repro-Runs-more')).toBeNull();
  });

  it('filters the rows as the user types', async () => {
    await load(
      reply([
        group(SHA_A, [
          run('r1', { run_name: 'baseline' }),
          run('r2', { run_name: 'wide', params: { width: '512' } })
        ]),
        group(SHA_B, [run('r3', { run_name: 'other' })])
      ])
    );
    const input = $<HTMLInputElement>('input.jp-Repro-Runs-filter')!;
    await act(async () => {
      // React listens for the native input event.
      const setter = Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      )!.set!;
      setter.call(input, 'width=512');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(model.filter).toBe('width=512');
    expect(
      $$('.jp-Repro-Runs-run').map(r => r.getAttribute('data-run-id'))
    ).toEqual(['r2']);
    expect($$('.jp-Repro-Runs-group')).toHaveLength(1);
    await act(async () => model.setFilter('nothing-like-this'));
    expect($$('.jp-Repro-Runs-run')).toHaveLength(0);
    expect($('.jp-Repro-Runs-note')?.textContent).toContain(
      'nothing-like-this'
    );
  });

  it('opens the notebook as it was for a group and for a run', async () => {
    const snapshotRun = run('r1', {
      tags: { 'repro.snapshot': SHA_C },
      url: 'http://mlflow.example/#/experiments/1/runs/r1'
    });
    await load(reply([group(SHA_A, [snapshotRun])]));
    await click(
      $('.jp-Repro-Runs-groupHeader button.jp-Repro-Runs-openNotebook')
    );
    expect(opened).toHaveLength(1);
    expect(opened[0].run).toBeNull();
    expect(opened[0].group.commit).toBe(SHA_A);
    expect(opened[0].path).toBe('nb/train.ipynb');
    await click($('.jp-Repro-Runs-toggle'));
    await click($('.jp-Repro-Runs-details button.jp-Repro-Runs-openNotebook'));
    expect(opened).toHaveLength(2);
    expect(opened[1].run?.run_id).toBe('r1');
    const link = $<HTMLAnchorElement>('a.jp-Repro-Runs-mlflowLink')!;
    expect(link.textContent).toBe('Open in MLflow');
    expect(link.getAttribute('href')).toBe(snapshotRun.url);
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('shows why the notebook cannot be opened', async () => {
    await load(reply([group(SHA_A, [run('r1')])]));
    openResult = async () => {
      throw new Error(
        'Opening the notebook as it was for a run is not available in this version.'
      );
    };
    await click($('button.jp-Repro-Runs-openNotebook'));
    expect($('.jp-Repro-Runs-message')?.textContent).toContain(
      'not available in this version'
    );
    expect(state()).toBe('ready');
  });
});

describe('createRunsSection', () => {
  it('is a widget titled Runs with the runs table in its header', () => {
    const model = new RunsModel({
      requester: async <T,>() => reply([]) as T,
      autoStart: false
    });
    const widget = createRunsSection({
      model,
      trans,
      commands: new CommandRegistry(),
      openNotebookAt: () => undefined
    });
    expect(widget.title.label).toBe('Runs');
    expect(widget.hasClass('jp-Repro-RunsSection')).toBe(true);
    const toolbar = (widget as unknown as { toolbar: Widget }).toolbar;
    expect(toolbar).toBeInstanceOf(Widget);
    widget.dispose();
    model.dispose();
  });
});

describe('formatting', () => {
  it('formats metrics', () => {
    expect(formatMetric(undefined)).toBe('');
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(3)).toBe('3');
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(12345.678)).toBe('12345.7');
    expect(formatMetric(1e-7)).toBe('1e-7');
  });

  it('formats durations', () => {
    expect(formatDuration(0.4)).toBe('0.4 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(7200)).toBe('2 h');
  });
});

describe('relativeTime', () => {
  it('says how long ago, in the largest whole unit', () => {
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    expect(relativeTime(now - 20 * 1000, now)).toMatch(/now|sec/);
    expect(relativeTime(now - 5 * 60 * 1000, now)).toMatch(/5/);
    expect(relativeTime(now - 5 * 60 * 1000, now)).toMatch(/ago/);
    expect(relativeTime(now - 3 * 3600 * 1000, now)).toMatch(/3/);
    expect(relativeTime(now - 3 * 3600 * 1000, now)).not.toBe(
      relativeTime(now - 3 * 60 * 1000, now)
    );
  });
});
