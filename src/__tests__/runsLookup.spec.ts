import { nullTranslator } from '@jupyterlab/translation';

import {
  candidateRun,
  comparedMetrics,
  ILoadedRuns,
  otherCandidates,
  ReproRuns,
  runCode,
  tableNotebook,
  snapshotOf
} from '../runs/lookup';
import { RunsModel } from '../runs/model';
import { labTreeUrl, runsTableInLabNotice } from '../runs/openInLab';
import { RunSelection } from '../runs/selection';
import { IRunGroup } from '../runs/types';
import { FakeServer, group, reply, run, SHA_A, SHA_B } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const SNAP = 'f'.repeat(40);

/** Loaded runs as the Runs section holds them. */
function loaded(
  groups: IRunGroup[],
  metricColumns: string[] = [],
  path: string | null = 'nb/train.ipynb'
): ILoadedRuns {
  return {
    path,
    groups,
    metricColumns,
    findRun: (runId: string) => {
      for (const g of groups) {
        const found = g.runs.find(r => r.run_id === runId);
        if (found) {
          return { run: found, group: g };
        }
      }
      return null;
    }
  };
}

const committed = run('r1', {
  run_name: 'baseline',
  metrics: { loss: 0.3, acc: 0.9, f1: 0.8 }
});
const snapshotRun = run('r2', {
  run_name: null,
  dirty: true,
  unsaved: true,
  tags: { 'repro.notebook': 'train.ipynb', 'repro.snapshot': SNAP },
  metrics: { loss: 0.2, auc: 0.7 }
});
const older = run('r3', { run_name: 'old', metrics: {} });
const runs = loaded(
  [group(SHA_A, [committed, snapshotRun]), group(SHA_B, [older])],
  ['acc', 'loss']
);

describe('the repro.snapshot tag', () => {
  it('is the snapshot of a run on uncommitted code', () => {
    expect(snapshotOf(snapshotRun)).toBe(SNAP);
    expect(snapshotOf(committed)).toBeNull();
    expect(snapshotOf(run('x', { tags: { 'repro.snapshot': '' } }))).toBeNull();
  });
});

describe('runs as a comparison offers them', () => {
  it('name a committed run by its commit and subject', () => {
    expect(candidateRun(runs, 'r1', trans)).toEqual({
      runId: 'r1',
      label: 'baseline',
      detail: `${SHA_A.slice(0, 7)} feat: commit aaa`
    });
  });

  it("name a snapshot run by its snapshot, an unnamed one by its id's start", () => {
    expect(candidateRun(runs, 'r2', trans)).toEqual({
      runId: 'r2',
      label: 'r2',
      detail: `snapshot ${SNAP.slice(0, 7)} feat: commit aaa`
    });
  });

  it('leave out what a run without commit lacks, and unknown runs', () => {
    const bare = loaded([
      group(null, [run('abcdefghij', { run_name: '' })], { subject: null })
    ]);
    expect(candidateRun(bare, 'abcdefghij', trans)).toEqual({
      runId: 'abcdefghij',
      label: 'abcdefgh',
      detail: ''
    });
    expect(candidateRun(runs, 'missing', trans)).toBeNull();
  });

  it("list every other loaded run in the list's order", () => {
    expect(otherCandidates(runs, 'r2', trans).map(c => c.runId)).toEqual([
      'r1',
      'r3'
    ]);
  });
});

describe('the metrics a comparison charts', () => {
  it("are the panel's columns first, then the others alphabetically", () => {
    expect(comparedMetrics(runs, ['r1', 'r2'])).toEqual([
      'acc',
      'loss',
      'auc',
      'f1'
    ]);
  });

  it('keep only what the runs report', () => {
    expect(comparedMetrics(runs, ['r2'])).toEqual(['loss', 'auc']);
  });

  it('are null when the runs report none or are not loaded', () => {
    expect(comparedMetrics(runs, ['r3'])).toBeNull();
    expect(comparedMetrics(runs, ['missing'])).toBeNull();
    expect(comparedMetrics(runs, [])).toBeNull();
  });
});

describe("a run's code for Restore", () => {
  it("is a committed run's commit", () => {
    expect(runCode(runs, 'r1')).toEqual({
      path: 'nb/train.ipynb',
      commit: SHA_A,
      runId: 'r1',
      runName: 'baseline',
      unsaved: false,
      uncommitted: false
    });
  });

  it("is a snapshot run's hidden snapshot", () => {
    expect(runCode(runs, 'r2')).toEqual({
      path: 'nb/train.ipynb',
      commit: SNAP,
      runId: 'r2',
      runName: null,
      unsaved: true,
      uncommitted: true
    });
  });

  it('is null without a run, a commit or a followed notebook', () => {
    expect(runCode(runs, null)).toBeNull();
    expect(runCode(runs, undefined)).toBeNull();
    expect(runCode(runs, 'missing')).toBeNull();
    expect(runCode(loaded([group(null, [run('x')])]), 'x')).toBeNull();
    expect(runCode(loaded(runs.groups as IRunGroup[], [], null), 'r1')).toBe(
      null
    );
  });
});

describe('ReproRuns, the runs other features see', () => {
  it('reads the Runs section and ticks its runs', async () => {
    const server = new FakeServer();
    const model = new RunsModel({
      requester: server.requester,
      autoStart: false,
      trans
    });
    const selection = new RunSelection(model);
    const shared = new ReproRuns({ runs: model, selection, trans });
    model.setPath('nb/train.ipynb');
    await server.answer(
      server.calls.length - 1,
      reply([group(SHA_A, [committed, snapshotRun])])
    );
    expect(shared.path).toBe('nb/train.ipynb');
    expect(shared.describe('r1')?.label).toBe('baseline');
    expect(shared.others('r1').map(c => c.runId)).toEqual(['r2']);
    expect(shared.codeOf('r2')?.commit).toBe(SNAP);
    expect(shared.select('missing')).toBe(false);
    expect(shared.select('r2')).toBe(true);
    expect(shared.selected).toEqual(['r2']);
    const before = server.calls.length;
    const refreshed = shared.refresh();
    expect(server.calls).toHaveLength(before + 1);
    await server.answer(before, reply([group(SHA_A, [committed])]));
    await refreshed;
    expect(shared.describe('r2')).toBeNull();
    selection.dispose();
    model.dispose();
  });
});

describe('the runs table in JupyterLab (Notebook 7)', () => {
  it("is the notebook's page, its path encoded", () => {
    expect(labTreeUrl('/user/ann/', 'my runs/a#1.ipynb')).toBe(
      '/user/ann/lab/tree/my%20runs/a%231.ipynb'
    );
  });

  it('is offered with an action that opens it in a new tab', () => {
    const opened: string[] = [];
    const notice = runsTableInLabNotice('nb/train.ipynb', trans, {
      baseUrl: '/',
      open: url => opened.push(url)
    });
    expect(notice.type).toBe('info');
    expect(notice.autoClose).toBe(false);
    expect(notice.message).toContain('nb/train.ipynb');
    expect(notice.actions?.map(a => a.label)).toEqual(['Open JupyterLab']);
    notice.actions?.[0].callback();
    expect(opened).toEqual(['/lab/tree/nb/train.ipynb']);
  });
});

describe('the notebook the runs table shows by default', () => {
  const sources = (
    selected: string | null,
    active: string | null,
    followed: string | null
  ) => ({
    selected: () => selected,
    active: () => active,
    followed: () => followed
  });

  it("is the file browser's notebook from its context menu", () => {
    expect(
      tableNotebook(
        { source: 'filebrowser' },
        sources('a.ipynb', 'b.ipynb', 'c.ipynb')
      )
    ).toBe('a.ipynb');
    // Not another notebook when the selection is none.
    expect(
      tableNotebook(
        { source: 'filebrowser' },
        sources(null, 'b.ipynb', 'c.ipynb')
      )
    ).toBeNull();
  });

  it('is the active notebook, else the one the Runs section follows', () => {
    expect(tableNotebook({}, sources('a.ipynb', 'b.ipynb', 'c.ipynb'))).toBe(
      'b.ipynb'
    );
    expect(tableNotebook({}, sources('a.ipynb', null, 'c.ipynb'))).toBe(
      'c.ipynb'
    );
    expect(tableNotebook({}, sources(null, null, null))).toBeNull();
  });
});
