import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { addCommitCommands } from '../commit/commands';
import { SnapshotModel } from '../commit/model';
import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { addHistoryCommands } from '../history/commands';
import { HistoryDrive } from '../history/drive';
import { HISTORY_FACTORY } from '../history/factory';
import { HistoryModel } from '../history/model';
import { addRunsCommands } from '../runs/commands';
import { RunsModel } from '../runs/model';
import { addStatusCommands } from '../status/commands';
import { ReproModel } from '../status/model';
import { group, reply, run, SHA_A } from './runsFakes';
import {
  FakeServer,
  flush,
  snapshotReply,
  standardServer
} from './snapshotFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const NB = 'proj/train.ipynb';

describe('status and commit commands', () => {
  let server: FakeServer;
  let commands: CommandRegistry;
  let repro: ReproModel;
  let snapshot: SnapshotModel;
  let openSidebar: jest.Mock;
  let focusMessage: jest.Mock;

  beforeEach(async () => {
    server = standardServer();
    commands = new CommandRegistry();
    repro = new ReproModel({
      requester: server.requester,
      version: '1.0.0',
      autoStart: false
    });
    snapshot = new SnapshotModel({
      requester: server.requester,
      repro,
      debounce: 0
    });
    openSidebar = jest.fn();
    focusMessage = jest.fn();
    addStatusCommands(commands, { model: repro, trans, openSidebar });
    addCommitCommands(commands, {
      model: repro,
      snapshot,
      trans,
      currentNotebook: () => NB,
      selectedNotebook: () => null,
      focusMessage
    });
    repro.setPath(NB);
    await flush();
  });

  afterEach(() => {
    snapshot.dispose();
    repro.dispose();
  });

  it('registers every command under its jupyterlab-repro id', () => {
    for (const id of [
      'jupyterlab-repro:open',
      'jupyterlab-repro:refresh',
      'jupyterlab-repro:init',
      'jupyterlab-repro:save-identity',
      'jupyterlab-repro:snapshot',
      'jupyterlab-repro:guardrail-fix'
    ]) {
      expect(commands.hasCommand(id)).toBe(true);
    }
  });

  it('open shows the sidebar, refresh reads the status again', async () => {
    await commands.execute(CommandIDs.open);
    expect(openSidebar).toHaveBeenCalledTimes(1);
    const before = server.callsTo('status').length;
    await commands.execute(CommandIDs.refresh);
    expect(server.callsTo('status')).toHaveLength(before + 1);
  });

  it('save-identity stores the identity and refreshes', async () => {
    server.handlers.identity = () => ({
      name: 'N',
      email: 'n@example.com',
      missing: false
    });
    expect(commands.isEnabled(CommandIDs.saveIdentity, {})).toBe(false);
    const args = { name: 'N', email: 'n@example.com' };
    expect(commands.isEnabled(CommandIDs.saveIdentity, args)).toBe(true);
    const before = server.callsTo('status').length;
    await commands.execute(CommandIDs.saveIdentity, args);
    expect(server.callsTo('identity')[0].body).toEqual({
      path: 'proj',
      name: 'N',
      email: 'n@example.com',
      scope: 'repository'
    });
    expect(server.callsTo('status')).toHaveLength(before + 1);
  });

  it('save-identity rejects with the server message', async () => {
    server.handlers.identity = () => {
      throw new ReproRequestError('bad e-mail', 400, 'invalid-request');
    };
    await expect(
      commands.execute(CommandIDs.saveIdentity, { name: 'N', email: 'x' })
    ).rejects.toThrow('bad e-mail');
  });

  it('guardrail-fix adds the rule of the named file to .gitignore', async () => {
    server.handlers['guardrails/fix'] = () => ({ added: ['*.pt'] });
    const args = { path: 'model.pt', action: 'gitignore' };
    expect(commands.isEnabled(CommandIDs.guardrailFix, args)).toBe(true);
    expect(commands.label(CommandIDs.guardrailFix, args)).toBe(
      'Add to .gitignore'
    );
    await commands.execute(CommandIDs.guardrailFix, args);
    expect(server.callsTo('guardrails/fix')[0].body).toEqual({
      path: NB,
      action: 'gitignore',
      rules: ['*.pt']
    });
  });

  it('guardrail-fix tracks with LFS, and refuses files without a violation', async () => {
    server.handlers['guardrails/fix'] = () => ({ tracked: ['*.pt'] });
    expect(
      commands.isEnabled(CommandIDs.guardrailFix, {
        path: 'config.yaml',
        action: 'gitignore'
      })
    ).toBe(false);
    await commands.execute(CommandIDs.guardrailFix, {
      path: 'config.yaml',
      action: 'gitignore'
    });
    expect(server.callsTo('guardrails/fix')).toHaveLength(0);
    await commands.execute(CommandIDs.guardrailFix, {
      path: 'model.pt',
      action: 'lfs'
    });
    expect(server.callsTo('guardrails/fix')[0].body.action).toBe('lfs');
  });

  it('snapshot commits with a message, else opens the form', async () => {
    await commands.execute(CommandIDs.snapshot, { source: 'sidebar' });
    expect(server.callsTo('snapshot')).toHaveLength(0);
    expect(openSidebar).toHaveBeenCalledTimes(1);
    expect(focusMessage).toHaveBeenCalledTimes(1);
    server.handlers.snapshot = () => snapshotReply();
    snapshot.setMessage('more trees');
    await commands.execute(CommandIDs.snapshot, { source: 'sidebar' });
    expect(server.callsTo('snapshot')[0].body.message).toBe('more trees');
  });
});

describe('runs commands', () => {
  let commands: CommandRegistry;
  let model: RunsModel;
  let calls: { endpoint: string; init?: RequestInit }[];
  let answers: Record<string, unknown>;
  let opened: unknown[];

  beforeEach(async () => {
    calls = [];
    answers = {};
    opened = [];
    const requester = async <T>(endpoint: string, init?: RequestInit) => {
      calls.push({ endpoint, init });
      const name = endpoint.split('?')[0];
      if (!(name in answers)) {
        throw new ReproRequestError('404 Not Found', 404, null);
      }
      return answers[name] as T;
    };
    answers['runs'] = reply([group(SHA_A, [run('r1')])], 'next-1');
    model = new RunsModel({ requester, autoStart: false });
    commands = new CommandRegistry();
    commands.addCommand('docmanager:open', {
      execute: args => {
        opened.push(args);
      }
    });
    addRunsCommands(commands, { model, trans });
    const drive = new HistoryDrive({ requester, trans });
    addHistoryCommands(commands, {
      model: new HistoryModel({ requester, trans }),
      version: (path, commit) => drive.version(path, commit),
      trans,
      openPaths: () => [],
      refreshStatus: async () => undefined
    });
  });

  afterEach(() => {
    model.dispose();
  });

  it('runs-refresh reads the runs again, once a notebook is followed', async () => {
    expect(commands.isEnabled(CommandIDs.runsRefresh)).toBe(false);
    await commands.execute(CommandIDs.runsRefresh);
    expect(calls).toHaveLength(0);
    model.setPath('nb/train.ipynb');
    await flush();
    expect(commands.isEnabled(CommandIDs.runsRefresh)).toBe(true);
    await commands.execute(CommandIDs.runsRefresh);
    expect(calls).toHaveLength(2);
    expect(calls[1].endpoint).toContain('path=nb%2Ftrain.ipynb');
  });

  it('runs-load-more asks for the next page', async () => {
    expect(commands.isEnabled(CommandIDs.runsLoadMore)).toBe(false);
    model.setPath('nb/train.ipynb');
    await flush();
    expect(commands.isEnabled(CommandIDs.runsLoadMore)).toBe(true);
    answers['runs'] = reply([group(SHA_A, [run('r2')])]);
    await commands.execute(CommandIDs.runsLoadMore);
    expect(calls[1].endpoint).toContain('page_token=next-1');
    expect(model.runCount).toBe(2);
    expect(commands.isEnabled(CommandIDs.runsLoadMore)).toBe(false);
  });

  // Replaced: it asked the old POST runs/notebook for a file written
  // beside the notebook; now it reads the version and opens it read-only.
  it('open-at-commit reads the version (writing nothing), then opens it read-only', async () => {
    answers['runs/notebook'] = {
      path: 'nb/train.ipynb',
      commit: SHA_A,
      snapshot: false,
      label: 'train.ipynb @ aaaaaaa',
      content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }
    };
    const args = { path: 'nb/train.ipynb', commit: SHA_A };
    expect(commands.isEnabled(CommandIDs.openAtCommit, args)).toBe(true);
    await commands.execute(CommandIDs.openAtCommit, args);
    expect(calls[0].endpoint).toBe(
      `runs/notebook?path=nb%2Ftrain.ipynb&commit=${SHA_A}`
    );
    expect(calls[0].init?.method ?? 'GET').toBe('GET');
    expect(opened).toEqual([
      {
        path: `ReproHistory:${SHA_A}/nb/train.ipynb @ aaaaaaa (read-only)`,
        factory: HISTORY_FACTORY,
        kernelPreference: {
          shouldStart: false,
          canStart: false,
          autoStartDefault: false
        }
      }
    ]);
  });

  it('open-at-commit rejects without a commit, asking nothing', async () => {
    const args = { path: 'nb/train.ipynb', commit: null };
    expect(commands.isEnabled(CommandIDs.openAtCommit, args)).toBe(false);
    await expect(
      commands.execute(CommandIDs.openAtCommit, args)
    ).rejects.toThrow('no commit');
    expect(calls).toHaveLength(0);
    expect(opened).toHaveLength(0);
  });
});
