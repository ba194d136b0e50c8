import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { nullTranslator } from '@jupyterlab/translation';
import { parser as pythonParser } from '@lezer/python';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { DiffLanguages } from '../common/DiffPreview';
import { addRunsCommands } from '../runs/commands';
import { diffRange, environmentOf } from '../runs/details';
import { RunsModel } from '../runs/model';
import { runBadges } from '../runs/parts';
import { RunsView } from '../runs/RunsView';
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

const trans = nullTranslator.load('jupyterlab_repro');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

/** A run on unsaved edits: its snapshot SHA_C on top of SHA_A. */
function unsavedRun(overrides = {}) {
  return run('r1', {
    dirty: true,
    unsaved: true,
    out_of_order: true,
    params: { lr: '0.1', n_estimators: '20' },
    metrics: { accuracy: 0.91234, f1: 0.5 },
    tags: {
      'repro.notebook': 'train.ipynb',
      'repro.snapshot': SHA_C,
      'repro.unsaved': 'true',
      'repro.execution_order': '1-3,5,4',
      'repro.env.python': '3.11.4',
      'repro.env.platform': 'linux-x86_64',
      'repro.env.scikit-learn': '1.5.2',
      'repro.env.numpy': '2.1.0',
      'repro.env.cuda': '12.1',
      'repro.env.gpu': 'NVIDIA A100',
      'repro.image': 'quay.io/jupyter/scipy-notebook:2026-01-01',
      'repro.seed': '42'
    },
    ...overrides
  });
}

function snapshotGroup(runs = [unsavedRun()]) {
  return group(SHA_C, runs, {
    snapshot: true,
    subject: 'repro snapshot',
    parent: SHA_A,
    parent_short_sha: 'aaaaaaa',
    parent_subject: 'feat: sample training notebook'
  });
}

describe('run details', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let model: RunsModel;
  let commands: CommandRegistry;
  let copied: string[];
  let notices: string[];

  beforeEach(async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    server = new FakeServer();
    model = new RunsModel({ requester: server.requester, autoStart: false });
    commands = new CommandRegistry();
    copied = [];
    notices = [];
    addRunsCommands(commands, {
      model,
      trans,
      copy: text => copied.push(text),
      notify: message => notices.push(message)
    });
    await act(async () => {
      root.render(
        <RunsView
          model={model}
          trans={trans}
          commands={commands}
          openNotebookAt={() => undefined}
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

  it('marks runs with unsaved code and cells run out of order', async () => {
    await load(
      reply([
        snapshotGroup([
          unsavedRun(),
          run('r2', { unsaved: false, out_of_order: false })
        ])
      ])
    );
    const [first, second] = $$('.jp-Repro-Runs-run');
    expect(first.classList.contains('jp-mod-unsaved')).toBe(true);
    expect(
      first.querySelector('.jp-Repro-Runs-badge.jp-mod-unsaved')?.textContent
    ).toBe('ran with unsaved changes');
    expect(
      first.querySelector('.jp-Repro-Runs-badge.jp-mod-outOfOrder')?.textContent
    ).toBe('cells ran out of order');
    expect(
      first
        .querySelector('.jp-Repro-Runs-badge.jp-mod-outOfOrder')
        ?.getAttribute('title')
    ).toContain('1-3,5,4');
    expect(second.querySelector('.jp-Repro-Runs-badge')).toBeNull();
    expect(second.classList.contains('jp-mod-unsaved')).toBe(false);
  });

  it('shows the code, its diff, the environment, params and metrics of a run', async () => {
    await load(reply([snapshotGroup()]));
    await click($('.jp-Repro-Runs-toggle'));
    // A run on unsaved changes: what it differs from its commit by, at once.
    expect(server.calls).toHaveLength(2);
    const diffQuery = server.query(1);
    expect(server.calls[1].endpoint.startsWith('diff?')).toBe(true);
    expect(diffQuery.get('path')).toBe('nb/train.ipynb');
    expect(diffQuery.get('from')).toBe(SHA_A);
    expect(diffQuery.get('to')).toBe(SHA_C);
    expect($('.jp-Repro-Runs-diff')?.getAttribute('data-state')).toBe(
      'loading'
    );
    await act(async () => {
      await server.answer(1, {
        text: '## cell 4 (code)\n-    "n_estimators": 30,\n+    "n_estimators": 20,\n',
        has_changes: true
      });
    });
    expect($('.jp-Repro-Runs-diff')?.getAttribute('data-state')).toBe('ready');
    expect($('.jp-Repro-Runs-diff .cm-content')?.textContent).toContain(
      '"n_estimators": 20'
    );
    expect($('.jp-Repro-Runs-diffTitle')?.textContent).toContain('aaaaaaa');

    const code = $('.jp-Repro-Runs-code')!.textContent ?? '';
    expect(code).toContain('aaaaaaa feat: sample training notebook');
    expect(code).toContain('ccccccc');
    expect(code).toContain('1-3,5,4');

    const env = $$('.jp-Repro-Runs-environment dt').map(e => e.textContent);
    expect(env).toEqual([
      'Python',
      'Platform',
      'numpy',
      'scikit-learn',
      'CUDA',
      'GPU',
      'Image',
      'Seed'
    ]);
    const values = $$('.jp-Repro-Runs-environment dd').map(e => e.textContent);
    expect(values).toContain('3.11.4');
    expect(values).toContain('quay.io/jupyter/scipy-notebook:2026-01-01');
    expect(values).toContain('42');

    expect($$('.jp-Repro-Runs-params dt').map(e => e.textContent)).toEqual([
      'lr',
      'n_estimators'
    ]);
    // One format down the list: the same decimals for every metric.
    expect($$('.jp-Repro-Runs-metrics dd').map(e => e.textContent)).toEqual([
      '0.9123',
      '0.5000'
    ]);
    expect(
      $('.jp-Repro-Runs-detailBody .jp-Repro-Runs-badge.jp-mod-unsaved')
    ).not.toBeNull();
  });

  it("highlights the code in a run's diff with the lab's languages", async () => {
    const asked: string[] = [];
    const registry = {
      getLanguage: async (name: string) => {
        asked.push(name);
        return name === 'python'
          ? { name, support: { language: { parser: pythonParser } } }
          : null;
      }
    } as unknown as IEditorLanguageRegistry;
    await act(async () => {
      root.render(
        <RunsView
          model={model}
          trans={trans}
          commands={commands}
          openNotebookAt={() => undefined}
          languages={new DiffLanguages(registry)}
        />
      );
    });
    await load(reply([snapshotGroup()]));
    await click($('.jp-Repro-Runs-toggle'));
    await act(async () => {
      await server.answer(1, {
        text: '## cell 4 (code) modified\n-lr = 0.1\n+lr = "high"  # edited\n',
        has_changes: true
      });
    });
    await act(async () => {
      await flush();
    });
    expect(asked).toContain('python');
    const marked = $$('.jp-Repro-Runs-diff .cm-content span[class]').map(
      e => e.textContent
    );
    expect(marked).toContain('"high"');
    expect(marked).toContain('# edited');
    // The text is the diff's, whatever the marks.
    expect($('.jp-Repro-Runs-diff .cm-content')?.textContent).toContain(
      '+lr = "high"  # edited'
    );
  });

  it("offers a clean run's commit diff on request, and shows its errors", async () => {
    await load(reply([group(SHA_B, [run('r1')])]));
    await click($('.jp-Repro-Runs-toggle'));
    expect(server.calls).toHaveLength(1);
    await click($('button.jp-Repro-Runs-showDiff'));
    expect(server.query(1).get('from')).toBe(`${SHA_B}^`);
    expect(server.query(1).get('to')).toBe(SHA_B);
    await act(async () => {
      await server.fail(
        1,
        new ReproRequestError(`Unknown revision ${HOSTILE}`, 400, 'invalid')
      );
    });
    expect($('.jp-Repro-Runs-diff .jp-Repro-Runs-message')?.textContent).toBe(
      `Unknown revision ${HOSTILE}`
    );
    expect($('img')).toBeNull();
    expect($('.jp-Repro-Runs-diff')?.getAttribute('data-state')).toBe('error');
  });

  it('says when a run recorded no environment', async () => {
    await load(reply([group(null, [run('r1')])]));
    await click($('.jp-Repro-Runs-toggle'));
    expect($('.jp-Repro-Runs-environment')?.textContent).toContain(
      'No environment recorded'
    );
    expect($('.jp-Repro-Runs-code')?.textContent).toContain(
      'No commit recorded'
    );
    expect($('button.jp-Repro-Runs-showDiff')).toBeNull();
  });

  it('copies the run id with a command', async () => {
    await load(reply([snapshotGroup()]));
    await click($('.jp-Repro-Runs-toggle'));
    await click($('button.jp-Repro-Runs-copyId'));
    expect(copied).toEqual(['r1']);
    expect(notices[0]).toContain('r1');
    expect(commands.isEnabled(CommandIDs.copyRunId, {})).toBe(false);
  });

  it('sorts by the shown metric: best first, worst first, then newest first', async () => {
    await load(
      reply([
        group(SHA_A, [
          run('r1', { metrics: { acc: 0.5 } }),
          run('r2', { metrics: {} }),
          run('r3', { metrics: { acc: 0.9 } }),
          run('r4', { metrics: { acc: 0.7 } })
        ])
      ])
    );
    const ids = () =>
      $$('.jp-Repro-Runs-run').map(r => r.getAttribute('data-run-id'));
    const cells = () =>
      $$('.jp-Repro-Runs-run .jp-Repro-Runs-metric').map(c => c.textContent);
    const sort = () => $('button.jp-Repro-Runs-sort')!;
    expect(ids()).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(cells()).toEqual(['0.5', '', '0.9', '0.7']);
    expect(sort().getAttribute('data-sort')).toBe('none');
    expect(sort().getAttribute('title')).toBe(
      'acc: runs newest first; click: highest first (best first)'
    );
    // An accuracy: highest first is best first.
    await click(sort());
    expect(ids()).toEqual(['r3', 'r4', 'r1', 'r2']);
    expect(sort().getAttribute('data-sort')).toBe('descending');
    expect(sort().getAttribute('title')).toBe(
      'acc: highest first (best first); click: lowest first (worst first)'
    );
    await click(sort());
    expect(ids()).toEqual(['r1', 'r4', 'r3', 'r2']);
    expect(sort().getAttribute('data-sort')).toBe('ascending');
    expect(sort().getAttribute('title')).toBe(
      'acc: lowest first (worst first); click: newest runs first'
    );
    await click(sort());
    expect(ids()).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(sort().getAttribute('data-sort')).toBe('none');
  });

  it('sorts a loss lowest first and says so', async () => {
    await load(
      reply([
        group(SHA_A, [
          run('r1', { metrics: { loss: 0.5 } }),
          run('r2', { metrics: { loss: 0.2 } }),
          run('r3', { metrics: { loss: 0.9 } })
        ])
      ])
    );
    const ids = () =>
      $$('.jp-Repro-Runs-run').map(r => r.getAttribute('data-run-id'));
    const sort = () => $('button.jp-Repro-Runs-sort')!;
    await click(sort());
    expect(ids()).toEqual(['r2', 'r1', 'r3']);
    expect(sort().getAttribute('data-sort')).toBe('ascending');
    expect(sort().getAttribute('title')).toContain('lowest first (best first)');
    expect(sort().getAttribute('title')).not.toContain('highest first (best');
    await click(sort());
    expect(ids()).toEqual(['r3', 'r1', 'r2']);
    expect(sort().getAttribute('title')).toContain(
      'loss: highest first (worst first)'
    );
  });

  it('shows the metric the picker chooses', async () => {
    await load(
      reply([
        group(SHA_A, [
          run('r1', { metrics: { acc: 0.5, loss: 0.25 } }),
          run('r2', { metrics: { acc: 0.75 } })
        ])
      ])
    );
    const picker = $<HTMLSelectElement>('select.jp-Repro-Runs-metricPick')!;
    expect(Array.from(picker.options).map(o => o.value)).toEqual([
      'acc',
      'loss'
    ]);
    expect(picker.value).toBe('acc');
    await act(async () => {
      picker.value = 'loss';
      picker.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(
      $$('.jp-Repro-Runs-run .jp-Repro-Runs-metric').map(c => c.textContent)
    ).toEqual(['0.25', '']);
  });

  it('formats a metric column with the same decimals across groups', async () => {
    await load(
      reply([
        group(SHA_A, [run('r1', { metrics: { loss: 0.12345 } })]),
        group(SHA_B, [run('r2', { metrics: { loss: 2 } })])
      ])
    );
    expect(
      $$('.jp-Repro-Runs-run .jp-Repro-Runs-metric').map(c => c.textContent)
    ).toEqual(['0.1235', '2.0000']);
  });
});

describe('run detail helpers', () => {
  it('compares a snapshot with its parent, a commit with its own parent', () => {
    const r = unsavedRun();
    expect(diffRange(r, snapshotGroup([r]))).toEqual({
      from: SHA_A,
      to: SHA_C,
      kind: 'snapshot'
    });
    const plain = run('r2');
    expect(diffRange(plain, group(SHA_B, [plain]))).toEqual({
      from: `${SHA_B}^`,
      to: SHA_B,
      kind: 'commit'
    });
    expect(diffRange(plain, group(null, [plain]))).toBeNull();
    // A snapshot tag on a run of a commit group: its snapshot on the commit.
    const tagged = run('r3', { tags: { 'repro.snapshot': SHA_C } });
    expect(diffRange(tagged, group(SHA_A, [tagged]))).toEqual({
      from: SHA_A,
      to: SHA_C,
      kind: 'snapshot'
    });
  });

  it('lists the environment with python first and GPUs last', () => {
    const facts = environmentOf(
      run('r1', {
        tags: {
          'repro.env.gpu.count': '2',
          'repro.env.torch': '2.4.0',
          'repro.env.python': '3.12.1',
          'repro.notebook': 'x.ipynb'
        }
      }),
      trans
    );
    expect(facts).toEqual([
      ['Python', '3.12.1'],
      ['torch', '2.4.0'],
      ['GPUs', '2']
    ]);
  });

  it('has no badges for a run on saved code', () => {
    expect(runBadges(run('r1'), trans)).toEqual([]);
    expect(runBadges(unsavedRun(), trans).map(b => b[0])).toEqual([
      'jp-mod-unsaved',
      'jp-mod-outOfOrder'
    ]);
  });

  it('refuses to show the diff of an unknown run', async () => {
    const server = new FakeServer();
    const model = new RunsModel({
      requester: server.requester,
      autoStart: false
    });
    const commands = new CommandRegistry();
    addRunsCommands(commands, { model, trans });
    await expect(
      commands.execute(CommandIDs.runsShowDiff, { runId: 'nope' })
    ).rejects.toThrow('no commit');
    await flush();
    expect(server.calls).toHaveLength(0);
    model.dispose();
  });
});
