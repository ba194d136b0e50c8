import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { CommandIDs } from '../common/commandIds';
import { INotice } from '../common/notify';
import { cellLanguages } from '../compare/CodeDiff';
import { compareUrlArgs } from '../compare/commands';
import { compareLabUrl, comparisonInLabNotice } from '../compare/openInLab';
import {
  IRelease,
  refreshOnRelease,
  releaseSelector
} from '../compare/releases';
import { flush } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

describe('a comparison in JupyterLab (Notebook 7)', () => {
  const args = { runIds: ['r1', 'r2'], path: 'nb/train.ipynb' };

  it('is the lab page whose query names the comparison', () => {
    const url = compareLabUrl('/user/ann/', args);
    expect(url.startsWith('/user/ann/lab?repro-compare=')).toBe(true);
    // What the compare-from-url command reads back.
    expect(compareUrlArgs(url.slice(url.indexOf('?')))).toEqual(args);
  });

  it('is offered with an action that opens it', () => {
    const opened: string[] = [];
    const notice = comparisonInLabNotice(args, trans, {
      baseUrl: '/',
      open: url => opened.push(url)
    });
    expect(notice.type).toBe('info');
    expect(notice.message).toBe(
      'This page shows one document: the comparison opens in JupyterLab.'
    );
    expect(notice.actions?.map(a => a.label)).toEqual(['Open in JupyterLab']);
    notice.actions?.[0].callback();
    expect(opened).toEqual([compareLabUrl('/', args)]);
  });
});

describe('clicking a release', () => {
  const release: IRelease = {
    tag: 'v1',
    date: null,
    commit: 'a'.repeat(40),
    runId: 'r1',
    runName: 'baseline',
    metrics: []
  };

  it('ticks its run and brings it into view', () => {
    const focused: string[] = [];
    const told: INotice[] = [];
    releaseSelector({
      select: runId => runId === 'r1',
      focus: runId => focused.push(runId),
      notify: notice => told.push(notice),
      trans
    })(release);
    expect(focused).toEqual(['r1']);
    expect(told).toEqual([]);
  });

  it('says so when its run is not loaded', () => {
    const focused: string[] = [];
    const told: INotice[] = [];
    const select = releaseSelector({
      select: () => false,
      focus: runId => focused.push(runId),
      notify: notice => told.push(notice),
      trans
    });
    select(release);
    select({ ...release, runName: null });
    expect(focused).toEqual([]);
    expect(told.map(n => n.message)).toEqual([
      'The run of release v1 (baseline) is not among the loaded runs of this notebook.',
      'The run of release v1 (r1) is not among the loaded runs of this notebook.'
    ]);
    expect(told[0].autoClose).toBe(6000);
  });
});

describe('the releases after a release', () => {
  it('are read again when release-run released a run, not when cancelled', async () => {
    const commands = new CommandRegistry();
    let answer: unknown = { tag: 'v1' };
    commands.addCommand(CommandIDs.releaseRun, {
      execute: () => answer as any
    });
    commands.addCommand('other', { execute: () => ({ tag: 'x' }) });
    commands.addCommand('failing', {
      execute: () => Promise.reject(new Error('no'))
    });
    const releases = { refresh: jest.fn(async () => undefined) };
    const watch = refreshOnRelease(commands, releases);
    await commands.execute(CommandIDs.releaseRun);
    await flush();
    expect(releases.refresh).toHaveBeenCalledTimes(1);
    answer = null; // the dialog was cancelled
    await commands.execute(CommandIDs.releaseRun);
    await commands.execute('other');
    await commands.execute('failing').catch(() => undefined);
    await flush();
    expect(releases.refresh).toHaveBeenCalledTimes(1);
    watch.dispose();
    answer = { tag: 'v2' };
    await commands.execute(CommandIDs.releaseRun);
    await flush();
    expect(releases.refresh).toHaveBeenCalledTimes(1);
  });
});

describe('the syntax of cells in a code diff', () => {
  it('is Python for code and Markdown for markdown cells', async () => {
    const asked: string[] = [];
    const registry = {
      getLanguage: async (name: string) => {
        asked.push(name);
        return { support: { extension: [] } as any };
      }
    };
    const languageFor = cellLanguages(registry);
    expect(await languageFor('code')).toEqual({ extension: [] });
    expect(await languageFor('markdown')).toEqual({ extension: [] });
    expect(await languageFor('raw')).toBeNull();
    expect(asked).toEqual(['python', 'markdown']);
  });

  it('is none without a registry or a language', async () => {
    expect(await cellLanguages(null)('code')).toBeNull();
    expect(
      await cellLanguages({ getLanguage: async () => null })('code')
    ).toBeNull();
  });
});
