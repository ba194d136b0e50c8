import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import {
  addReproduceCommands,
  differenceLines,
  finishedMessage,
  formatNumber,
  formOf,
  IJob,
  parseForm,
  pathOf,
  Reproductions,
  ReproductionsWidget,
  ReproduceModel,
  ReproduceView,
  VerdictBadge
} from '../reproduce';
import { flush, FakeServer } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

let root: Root | null = null;
let container: HTMLElement;

async function mount(element: JSX.Element): Promise<void> {
  (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => root!.render(element));
}

afterEach(async () => {
  if (root !== null) {
    await act(async () => root!.unmount());
    root = null;
    container.remove();
  }
});

/** The element whose own text is `text` (React renders it as text: never as HTML). */
function byText(text: string): HTMLElement {
  const found = Array.from(container.querySelectorAll<HTMLElement>('*')).find(
    el =>
      el.textContent === text &&
      Array.from(el.children).every(c => c.textContent !== text)
  );
  if (!found) {
    throw new Error(
      `no element with the text ${JSON.stringify(text)}:\n${container.innerHTML}`
    );
  }
  return found;
}

function job(id: string, overrides: Partial<IJob> = {}): IJob {
  return {
    job: id,
    run_id: 'r'.repeat(32),
    run_name: 'swift-owl',
    path: 'proj/train.ipynb',
    state: 'running',
    phase: 'cells',
    created: 1_700_000_000_000,
    finished: null,
    elapsed: 3.5,
    options: { strict: false, rtol: 1e-9, atol: 0, timeout: null },
    plan: {
      notebook: 'train.ipynb',
      code: 'c'.repeat(40),
      snapshot: true,
      kernel: 'python3',
      cells: [1, 3, 2],
      order_note: null,
      seed: 42,
      fetched: [],
      remote: null
    },
    check: {
      environment: {
        compared: true,
        note: null,
        differences: [
          { kind: 'package', name: 'numpy', recorded: '1.26.4', now: '2.0.0' }
        ]
      },
      inputs: {
        compared: true,
        note: null,
        differences: [
          { path: 'data/train.csv', change: 'changed', recorded: 'a', now: 'b' }
        ]
      },
      differs: true,
      summary: 'differs: 1 package(s), 1 input file(s)'
    },
    progress: {
      step: 2,
      steps: 3,
      cell: 3,
      source: 'model.fit(X, y)',
      started: 1_700_000_001_000
    },
    verdict: null,
    reproduction_run_id: null,
    error: null,
    notes: [],
    ...overrides
  };
}

function finished(id: string, overrides: Partial<IJob> = {}): IJob {
  return job(id, {
    state: 'finished',
    phase: 'done',
    finished: 1_700_000_010_000,
    progress: null,
    reproduction_run_id: 'p'.repeat(32),
    verdict: {
      verdict: 'exact',
      run_id: 'r'.repeat(32),
      reproduction_run_id: 'p'.repeat(32),
      metrics: [
        {
          key: 'acc',
          recorded: 0.91,
          reproduced: 0.91,
          difference: 0,
          exact: true,
          within: true
        }
      ],
      params: [],
      params_equal: true,
      rtol: 1e-9,
      atol: 0,
      failure: null,
      notes: []
    },
    ...overrides
  });
}

describe('ReproduceModel', () => {
  let server: FakeServer;
  let model: ReproduceModel;

  beforeEach(() => {
    server = new FakeServer();
    model = new ReproduceModel({ requester: server.requester, interval: 10 });
  });

  afterEach(() => {
    model.dispose();
  });

  it('finds the running job after a reload and reports when it finished', async () => {
    expect(server.calls[0].endpoint).toBe('runs/reproduce');
    await server.answer(0, { jobs: [job('a'.repeat(32))] });
    expect(model.running?.job).toBe('a'.repeat(32));
    const seen: IJob[] = [];
    model.finished.connect((_, j) => seen.push(j));
    // a job runs: the model polls (every `interval` ms)
    for (let i = 0; i < 100 && server.calls.length < 2; i++) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    expect(server.calls.length).toBeGreaterThan(1);
    await server.answer(server.calls.length - 1, {
      jobs: [finished('a'.repeat(32))]
    });
    expect(model.running).toBeNull();
    expect(seen.map(j => j.verdict?.verdict)).toEqual(['exact']);
    expect(model.verdictOf('r'.repeat(32))).toBe('exact');
  });

  it('tells other plugins (IReproductions) what runs and what finished', async () => {
    const shared = new Reproductions(model);
    const finishedInfo: unknown[] = [];
    shared.finished.connect((_, info) => finishedInfo.push(info));
    await server.answer(0, { jobs: [job('a'.repeat(32))] });
    expect(shared.running).toEqual({
      job: 'a'.repeat(32),
      runId: 'r'.repeat(32),
      verdict: null,
      reproductionRunId: null
    });
    void model.refresh();
    await server.answer(server.calls.length - 1, {
      jobs: [finished('a'.repeat(32))]
    });
    expect(shared.running).toBeNull();
    expect(finishedInfo).toEqual([
      {
        job: 'a'.repeat(32),
        runId: 'r'.repeat(32),
        verdict: 'exact',
        reproductionRunId: 'p'.repeat(32)
      }
    ]);
    expect(shared.latest('r'.repeat(32))?.verdict).toBe('exact');
  });

  it('starts and cancels jobs with the options given', async () => {
    await server.answer(0, { jobs: [] });
    const started = model.start('r'.repeat(32), 'proj/train.ipynb', {
      strict: true,
      rtol: 1e-6,
      atol: 0,
      timeout: null
    });
    const post = server.calls[1];
    expect(post.endpoint).toBe('runs/reproduce');
    expect(post.init?.method).toBe('POST');
    expect(JSON.parse(post.init?.body as string)).toEqual({
      path: 'proj/train.ipynb',
      run_id: 'r'.repeat(32),
      strict: true,
      rtol: 1e-6,
      atol: 0
    });
    await server.answer(1, job('b'.repeat(32)));
    expect((await started).job).toBe('b'.repeat(32));
    expect(model.running?.job).toBe('b'.repeat(32));
    const cancelled = model.cancel('b'.repeat(32));
    const del = server.calls[server.calls.length - 1];
    expect(del.endpoint).toBe(`runs/reproduce?job=${'b'.repeat(32)}`);
    expect(del.init?.method).toBe('DELETE');
    await server.answer(
      server.calls.length - 1,
      job('b'.repeat(32), { state: 'cancelling' })
    );
    expect((await cancelled).state).toBe('cancelling');
  });
});

describe('the dialog form', () => {
  it('parses tolerances and the time limit, and says what is wrong', () => {
    expect(
      parseForm(
        formOf({ strict: true, rtol: 1e-6, atol: 0, timeout: null }),
        trans
      )
    ).toEqual({
      strict: true,
      rtol: 1e-6,
      atol: 0,
      timeout: null
    });
    expect(
      parseForm(
        { strict: false, rtol: '1e-4', atol: '0.5', timeout: '600' },
        trans
      )
    ).toEqual({ strict: false, rtol: 1e-4, atol: 0.5, timeout: 600 });
    expect(
      typeof parseForm(
        { strict: false, rtol: '-1', atol: '0', timeout: '' },
        trans
      )
    ).toBe('string');
    expect(
      typeof parseForm(
        { strict: false, rtol: '0', atol: 'x', timeout: '' },
        trans
      )
    ).toBe('string');
    expect(
      typeof parseForm(
        { strict: false, rtol: '0', atol: '0', timeout: '0' },
        trans
      )
    ).toBe('string');
  });

  it('lists what differs', () => {
    expect(differenceLines(job('a'.repeat(32)).check, trans)).toEqual([
      'package numpy: recorded 1.26.4, now 2.0.0',
      'input data/train.csv: changed'
    ]);
  });
});

describe('ReproduceView', () => {
  it('shows progress while a job runs, the verdict once finished, as text', async () => {
    const server = new FakeServer();
    const model = new ReproduceModel({
      requester: server.requester,
      interval: 10
    });
    const cancel = jest.fn();
    const compare = jest.fn();
    await mount(
      <ReproduceView
        model={model}
        trans={trans}
        onCancel={cancel}
        onCompare={compare}
      />
    );
    const hostile = '<img src=x onerror=alert(1)>';
    await act(async () => {
      await server.answer(0, {
        jobs: [
          job('a'.repeat(32), { run_name: hostile }),
          finished('b'.repeat(32), {
            verdict: {
              ...finished('b'.repeat(32)).verdict!,
              verdict: 'failed',
              failure: {
                cell: 2,
                ename: 'FileNotFoundError',
                evalue: "No such file: 'notes.txt'",
                source: "open('notes.txt')",
                hint: 'declare it in inputs'
              }
            }
          })
        ]
      });
    });
    expect(byText('cell 2 of 3 (notebook cell 3)')).toBeTruthy();
    expect(byText('model.fit(X, y)')).toBeTruthy();
    expect(byText(`Run ${hostile} (rrrrrrrr)`)).toBeTruthy();
    expect(container.querySelector('img')).toBeNull();
    expect(
      byText("Cell 2 raised FileNotFoundError: No such file: 'notes.txt'")
    ).toBeTruthy();
    expect(byText('declare it in inputs')).toBeTruthy();
    expect(
      document.querySelector('.jp-Repro-VerdictBadge.jp-mod-failed')
    ).not.toBeNull();
    await act(async () => byText('Cancel').click());
    expect(cancel).toHaveBeenCalledWith(
      expect.objectContaining({ job: 'a'.repeat(32) })
    );
    (byText('Compare with the original') as HTMLButtonElement).click();
    expect(compare).toHaveBeenCalledWith(
      expect.objectContaining({ job: 'b'.repeat(32) })
    );
    model.dispose();
  });

  it('writes a zero difference as 0, small ones with an exponent', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(0.824444)).toBe('0.824444');
    expect(formatNumber(1.2e-12)).toBe('1.200e-12');
    expect(formatNumber(null)).toBe('–');
  });

  it('shows a metric reproduced exactly with the difference 0', async () => {
    const server = new FakeServer();
    const model = new ReproduceModel({
      requester: server.requester,
      interval: 10
    });
    await mount(
      <ReproduceView
        model={model}
        trans={trans}
        onCancel={jest.fn()}
        onCompare={jest.fn()}
      />
    );
    await act(async () => {
      await server.answer(0, { jobs: [finished('a'.repeat(32))] });
    });
    const cells = Array.from(
      container.querySelectorAll('.jp-Repro-Reproduce-metrics tbody td')
    ).map(td => td.textContent);
    expect(cells).toEqual(['acc', '0.91', '0.91', '0', '=']);
    model.dispose();
  });

  it('renders the badge of each verdict', async () => {
    await mount(<VerdictBadge verdict="within-tolerance" trans={trans} />);
    expect(byText('within tolerance').className).toContain(
      'jp-mod-within-tolerance'
    );
  });
});

describe('ReproductionsWidget', () => {
  it("has the newest job's path, and says when it changes", async () => {
    const server = new FakeServer();
    const model = new ReproduceModel({
      requester: server.requester,
      interval: 10
    });
    const widget = new ReproductionsWidget({
      model,
      trans,
      onCancel: jest.fn(),
      onCompare: jest.fn()
    });
    // Before the first read (a reload): no path, the sidebar stays where it is.
    expect(widget.path).toBeNull();
    const seen: (string | null)[] = [];
    widget.pathChanged.connect((_, path) => seen.push(path));
    await server.answer(0, {
      jobs: [finished('a'.repeat(32), { path: 'old/train.ipynb' })]
    });
    expect(widget.path).toBe('old/train.ipynb');
    const started = model.start('r'.repeat(32), 'proj/train.ipynb', {
      strict: false,
      rtol: 0,
      atol: 0,
      timeout: null
    });
    await server.answer(1, job('b'.repeat(32), { created: 1_800_000_000_000 }));
    await started;
    expect(widget.path).toBe('proj/train.ipynb');
    expect(seen).toEqual(['old/train.ipynb', 'proj/train.ipynb']);
    widget.dispose();
    model.dispose();
  });

  it('compares where the job was asked for, not where the sidebar is now', () => {
    expect(pathOf(job('a'.repeat(32)), 'elsewhere')).toBe('proj/train.ipynb');
    expect(pathOf(job('a'.repeat(32), { path: '' }), 'elsewhere')).toBe(
      'elsewhere'
    );
    expect(pathOf(job('a'.repeat(32), { path: '' }), null)).toBe('');
  });
});

describe('the reproduce commands', () => {
  let server: FakeServer;
  let model: ReproduceModel;
  let commands: CommandRegistry;
  let notes: string[];
  let shown: number;
  let asked: number;

  beforeEach(async () => {
    server = new FakeServer();
    model = new ReproduceModel({ requester: server.requester, interval: 10 });
    await server.answer(0, { jobs: [] });
    commands = new CommandRegistry();
    notes = [];
    shown = 0;
    asked = 0;
    addReproduceCommands(commands, {
      model,
      trans,
      contextRunId: () => 'r'.repeat(32),
      followedPath: () => 'proj/train.ipynb',
      show: () => (shown += 1),
      ask: async (_label, initial) => ({ ...initial, strict: true }),
      askAnyway: async () => {
        asked += 1;
        return true;
      },
      notify: (_type, message) => notes.push(message)
    });
  });

  afterEach(() => model.dispose());

  it('asks, starts the right-clicked run and shows the view', async () => {
    const done = commands.execute(CommandIDs.reproduce, {});
    await flush();
    expect(JSON.parse(server.calls[1].init?.body as string).strict).toBe(true);
    await server.answer(1, job('a'.repeat(32)));
    await done;
    expect(shown).toBe(1);
    expect(commands.isEnabled(CommandIDs.reproduce, {})).toBe(false); // one at a time
  });

  it('offers to reproduce anyway after a strict refusal', async () => {
    const done = commands.execute(CommandIDs.reproduce, {
      runId: 'x'.repeat(32)
    });
    await flush();
    await server.fail(
      1,
      new ReproRequestError('differs', 409, 'environment-differs', {
        check: job('a'.repeat(32)).check
      })
    );
    await flush();
    expect(asked).toBe(1);
    const again = JSON.parse(server.calls[2].init?.body as string);
    expect(again.strict).toBe(false);
    expect(again.run_id).toBe('x'.repeat(32));
    await server.answer(2, job('a'.repeat(32)));
    await done;
  });

  it('tells when a job finished', async () => {
    void model.start('r'.repeat(32), '', {
      strict: false,
      rtol: 0,
      atol: 0,
      timeout: null
    });
    await server.answer(1, job('a'.repeat(32)));
    void model.refresh();
    await server.answer(2, { jobs: [finished('a'.repeat(32))] });
    expect(notes).toEqual([finishedMessage(finished('a'.repeat(32)), trans)]);
    expect(notes[0]).toBe('Reproduction of swift-owl: reproduced exactly');
  });

  it("the notification's Compare opens the two runs where the job was asked for", async () => {
    const compared: unknown[] = [];
    const actions: { label: string; callback: () => void }[] = [];
    const other = new CommandRegistry();
    other.addCommand(CommandIDs.compare, {
      execute: args => {
        compared.push(args);
      }
    });
    addReproduceCommands(other, {
      model,
      trans,
      contextRunId: () => null,
      // The sidebar follows another folder by the time the job is done.
      followedPath: () => 'elsewhere',
      show: () => undefined,
      notify: (_type, _message, given) => actions.push(...(given ?? []))
    });
    void model.refresh();
    await server.answer(1, { jobs: [job('a'.repeat(32))] });
    void model.refresh();
    await server.answer(2, {
      jobs: [finished('a'.repeat(32), { path: 'proj/train.ipynb' })]
    });
    expect(actions.map(a => a.label)).toEqual(['Compare']);
    actions[0].callback();
    await flush();
    expect(compared).toEqual([
      { runIds: ['r'.repeat(32), 'p'.repeat(32)], path: 'proj/train.ipynb' }
    ]);
  });
});
