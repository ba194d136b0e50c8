import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { addHistoryCommands, IHistoryNotifier } from '../history/commands';
import { HistoryDrive, historyPath } from '../history/drive';
import { HISTORY_FACTORY } from '../history/factory';
import { HistoryView } from '../history/HistoryView';
import { HistoryModel } from '../history/model';
import { SHA_A, SHA_C } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const NB = 'demo/train.ipynb';
const DOC = historyPath({ commit: SHA_C, path: NB }, trans);

/** A requester answering from a table, recording every call. */
class FakeRequester {
  calls: { endpoint: string; method: string; body: any }[] = [];
  answers: Record<string, (body: any) => unknown> = {};

  requester = async <T,>(endpoint: string, init?: RequestInit): Promise<T> => {
    const body = init?.body ? JSON.parse(init.body as string) : null;
    this.calls.push({ endpoint, method: init?.method ?? 'GET', body });
    const answer = this.answers[endpoint.split('?')[0]];
    if (!answer) {
      throw new ReproRequestError('404 Not Found', 404, null);
    }
    return answer(body) as T;
  };
}

function notebookReply() {
  return {
    path: NB,
    commit: SHA_C,
    snapshot: true,
    label: 'train.ipynb @ ccccccc',
    content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }
  };
}

describe('history commands', () => {
  let server: FakeRequester;
  let commands: CommandRegistry;
  let model: HistoryModel;
  let drive: HistoryDrive;
  let opened: any[];
  let refreshed: number;
  let notices: [keyof IHistoryNotifier, string][];
  let openPaths: string[];

  beforeEach(() => {
    server = new FakeRequester();
    server.answers['runs/notebook'] = () => notebookReply();
    drive = new HistoryDrive({ requester: server.requester, trans });
    model = new HistoryModel({
      requester: server.requester,
      trans,
      versionOf: path => drive.known(path)
    });
    commands = new CommandRegistry();
    opened = [];
    refreshed = 0;
    notices = [];
    openPaths = [NB, 'demo/other.ipynb'];
    commands.addCommand('docmanager:open', {
      execute: args => {
        opened.push(args);
      }
    });
    addHistoryCommands(commands, {
      model,
      version: (path, commit) => drive.version(path, commit),
      trans,
      openPaths: () => openPaths,
      refreshStatus: async () => {
        refreshed++;
      },
      notify: {
        success: m => notices.push(['success', m]),
        warning: m => notices.push(['warning', m])
      }
    });
  });

  afterEach(() => {
    model.dispose();
    drive.dispose();
  });

  async function openRun(): Promise<void> {
    await commands.execute(CommandIDs.openAtCommit, {
      path: NB,
      commit: SHA_C,
      runId: 'r1',
      runName: 'bright-fox-1'
    });
    model.setCurrent(DOC);
  }

  it('open-at-commit opens the version with the history factory, no kernel', async () => {
    await openRun();
    expect(server.calls).toEqual([
      {
        endpoint: `runs/notebook?path=demo%2Ftrain.ipynb&commit=${SHA_C}`,
        method: 'GET',
        body: null
      }
    ]);
    expect(opened).toHaveLength(1);
    expect(opened[0].path).toBe(DOC);
    expect(opened[0].factory).toBe(HISTORY_FACTORY);
    expect(opened[0].kernelPreference.canStart).toBe(false);
    expect(model.current).toEqual({
      documentPath: DOC,
      path: NB,
      commit: SHA_C,
      label: 'train.ipynb @ ccccccc',
      snapshot: true,
      runId: 'r1',
      runName: 'bright-fox-1',
      unsaved: null,
      uncommitted: null
    });
  });

  it('open-at-commit rejects with the server message, opening nothing', async () => {
    server.answers['runs/notebook'] = () => {
      throw new ReproRequestError(
        `${HOSTILE} does not exist at ccccccc.`,
        400,
        'invalid-request'
      );
    };
    await expect(
      commands.execute(CommandIDs.openAtCommit, { path: NB, commit: SHA_C })
    ).rejects.toThrow('does not exist');
    expect(opened).toHaveLength(0);
  });

  it('restore-branch posts the run and the open notebooks, then refreshes the status', async () => {
    await openRun();
    server.answers['runs/restore'] = () => ({
      branch: 'exp/bright-fox-1',
      commit: SHA_A,
      checked_out: true,
      reason: null,
      copy: null
    });
    expect(commands.isEnabled(CommandIDs.restoreBranch)).toBe(true);
    await commands.execute(CommandIDs.restoreBranch);
    const call = server.calls[server.calls.length - 1];
    expect(call.endpoint).toBe('runs/restore');
    expect(call.method).toBe('POST');
    expect(call.body).toEqual({
      path: NB,
      commit: SHA_C,
      mode: 'branch',
      name: 'bright-fox-1',
      run_id: 'r1',
      open_paths: [NB, 'demo/other.ipynb']
    });
    expect(refreshed).toBe(1);
    expect(notices).toEqual([
      [
        'success',
        'Switched to branch exp/bright-fox-1: the code of train.ipynb @ ccccccc.'
      ]
    ]);
    expect(model.outcome?.reply.checked_out).toBe(true);
    expect(model.outcome?.reply.reused).toBe(false);
  });

  it('restore-branch says why it did not switch', async () => {
    await openRun();
    const reason = `Not switched to exp/bright-fox-1: it would change ${HOSTILE}, open in the lab.`;
    server.answers['runs/restore'] = () => ({
      branch: 'exp/bright-fox-1',
      commit: SHA_A,
      checked_out: false,
      reason,
      copy: null
    });
    await commands.execute(CommandIDs.restoreBranch);
    expect(refreshed).toBe(1);
    expect(notices).toEqual([['warning', reason]]);
  });

  it('restore-branch rejects with the failure and leaves the status alone', async () => {
    await openRun();
    server.answers['runs/restore'] = () => {
      throw new ReproRequestError(
        'Branch exp/bright-fox-1 exists already.',
        409,
        'ref-exists'
      );
    };
    // The failure reporter turns the rejection into a notification.
    await expect(commands.execute(CommandIDs.restoreBranch)).rejects.toThrow(
      'Cannot restore train.ipynb @ ccccccc as a branch: Branch exp/bright-fox-1 exists already.'
    );
    expect(refreshed).toBe(0);
    expect(notices).toEqual([]);
    expect(model.error?.reason).toBe('ref-exists');
  });

  it('open-working-copy writes the copy and opens it', async () => {
    await openRun();
    server.answers['runs/restore'] = () => ({
      branch: null,
      commit: SHA_C,
      checked_out: false,
      reason: null,
      copy: 'demo/train-bright-fox-1.ipynb'
    });
    await commands.execute(CommandIDs.openWorkingCopy);
    const call = server.calls[server.calls.length - 1];
    expect(call.body).toEqual({
      path: NB,
      commit: SHA_C,
      mode: 'copy',
      name: 'bright-fox-1',
      run_id: 'r1'
    });
    expect(opened[opened.length - 1]).toEqual({
      path: 'demo/train-bright-fox-1.ipynb'
    });
  });

  it('acts on the document a toolbar names, and on nothing without one', async () => {
    expect(commands.isEnabled(CommandIDs.restoreBranch)).toBe(false);
    expect(commands.isEnabled(CommandIDs.openWorkingCopy)).toBe(false);
    await commands.execute(CommandIDs.restoreBranch);
    expect(server.calls).toHaveLength(0);
    expect(commands.isEnabled(CommandIDs.restoreBranch, { path: DOC })).toBe(
      true
    );
    expect(
      commands.isEnabled(CommandIDs.restoreBranch, { path: 'demo/train.ipynb' })
    ).toBe(false);
    server.answers['runs/restore'] = () => ({
      branch: null,
      commit: SHA_C,
      checked_out: false,
      reason: null,
      copy: 'demo/train-ccccccc.ipynb'
    });
    await commands.execute(CommandIDs.openWorkingCopy, { path: DOC });
    // Opened elsewhere (a reload): no run known, the server names it.
    expect(server.calls[0].body).toMatchObject({
      mode: 'copy',
      commit: SHA_C,
      name: '',
      run_id: ''
    });
  });
});

describe('HistoryView', () => {
  let host: HTMLDivElement;
  let root: Root;
  let model: HistoryModel;
  let commands: CommandRegistry;
  let executed: string[];
  let answer: Record<string, unknown>;

  beforeEach(async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    answer = {
      branch: 'exp/x',
      commit: SHA_A,
      checked_out: false,
      reason: `Not switched: ${HOSTILE}`,
      copy: null
    };
    model = new HistoryModel({
      requester: async <T,>() => answer as T
    });
    commands = new CommandRegistry();
    executed = [];
    for (const id of [CommandIDs.restoreBranch, CommandIDs.openWorkingCopy]) {
      commands.addCommand(id, {
        execute: () => {
          executed.push(id);
        }
      });
    }
    await act(async () => {
      root.render(
        <HistoryView model={model} trans={trans} commands={commands} />
      );
    });
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    model.dispose();
  });

  it('says when the branch was there already at this code', async () => {
    const doc = historyPath({ commit: SHA_C, path: 'demo/train.ipynb' });
    await act(async () => {
      model.remember(doc, { runName: 'bright-fox-1' });
      model.setCurrent(doc);
    });
    answer = {
      branch: 'exp/bright-fox-1',
      commit: SHA_A,
      checked_out: true,
      reason: null,
      copy: null,
      reused: true
    };
    await act(async () => {
      await model.restore(model.current!, 'branch', []);
    });
    expect(model.outcome?.reply.reused).toBe(true);
    expect(host.querySelector('.jp-Repro-History-outcome')?.textContent).toBe(
      'Switched to branch exp/bright-fox-1, which already held this code.'
    );
  });

  it('says nothing while no notebook as it was is active', () => {
    expect(host.textContent).toBe('');
  });

  it('says it is a historical copy and runs the two commands', async () => {
    const doc = historyPath({ commit: SHA_C, path: `demo/${HOSTILE}.ipynb` });
    await act(async () => {
      model.remember(doc, { runName: HOSTILE });
      model.setCurrent(doc);
    });
    expect(host.querySelector('.jp-Repro-History-title')?.textContent).toBe(
      'Historical copy (read-only)'
    );
    expect(host.querySelector('.jp-Repro-History-label')?.textContent).toBe(
      `${HOSTILE}.ipynb @ ccccccc`
    );
    expect(host.querySelector('.jp-Repro-History-what')?.textContent).toContain(
      'no kernel'
    );
    expect(host.querySelector('img')).toBeNull();
    await act(async () => {
      host
        .querySelector<HTMLButtonElement>('.jp-Repro-History-restoreBranch')!
        .click();
      host
        .querySelector<HTMLButtonElement>('.jp-Repro-History-workingCopy')!
        .click();
    });
    expect(executed).toEqual([
      CommandIDs.restoreBranch,
      CommandIDs.openWorkingCopy
    ]);
    // The outcome of a restore, as text.
    await act(async () => {
      await model.restore(model.current!, 'branch', []);
    });
    const outcome = host.querySelector('.jp-Repro-History-outcome');
    expect(outcome?.textContent).toBe(`Not switched: ${HOSTILE}`);
    expect(outcome?.getAttribute('data-branch')).toBe('exp/x');
    expect(host.querySelector('img')).toBeNull();
    await act(async () => model.setCurrent(null));
    expect(host.textContent).toBe('');
  });
});
