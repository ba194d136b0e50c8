import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, INoticeAction } from '../common/notify';
import { addHistoryCommands, RestoreChoice } from '../history/commands';
import { historyPath } from '../history/drive';
import { HistoryView } from '../history/HistoryView';
import { KeptOutputsOffer } from '../history/kept';
import { HistoryModel, IRunCode } from '../history/model';
import { keepUntouchedClean } from '../history/untouched';
import { RunsModel } from '../runs/model';
import { RunsView } from '../runs/RunsView';
import { IStatusReply } from '../tokens';
import { FakeServer, group, reply, run, SHA_A, SHA_C } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const NB = 'demo/train.ipynb';

/** A requester answering from a table, recording every call. */
class Server {
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

  last(): { endpoint: string; method: string; body: any } {
    return this.calls[this.calls.length - 1];
  }
}

/** A notebook document's context as keepUntouchedClean sees it. */
class FakeContext {
  isDisposed = false;
  disposed = new Signal<FakeContext, void>(this);
  content: any = {
    cells: [{ cell_type: 'code', source: 'lr = 0.1', outputs: [] }],
    metadata: { language_info: { name: 'python' } }
  };
  model = {
    context: this,
    _dirty: true, // a new document, until its content is loaded
    stateChanged: new Signal<any, { name: string; newValue?: unknown }>(this),
    get dirty(): boolean {
      return this._dirty;
    },
    set dirty(value: boolean) {
      const old = this._dirty;
      this._dirty = value;
      if (old !== value) {
        this.stateChanged.emit({ name: 'dirty', newValue: value });
      }
    },
    toJSON: () => JSON.parse(JSON.stringify(this.content))
  };

  /** What JupyterLab does when the kernel's info arrives. */
  kernelInfo(): void {
    this.content.metadata.language_info = {
      name: 'python',
      version: '3.11.2',
      mimetype: 'text/x-python'
    };
    this.model.dirty = true;
  }

  /** What the document context does once the file's content is in the model. */
  load(): void {
    this.model.dirty = false;
  }

  /** What JupyterLab does when the notebook is saved. */
  save(): void {
    this.model.dirty = false;
  }

  edit(source = 'lr = 0.2'): void {
    this.content.cells[0].source = source;
    this.model.dirty = true;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

describe('restoring a run from the runs section', () => {
  let server: Server;
  let commands: CommandRegistry;
  let model: HistoryModel;
  let notices: [string, string, INoticeAction[] | undefined][];
  let asked: string[];
  let choice: RestoreChoice;
  let reloaded: string[][];
  let refreshed: number;
  let opened: any[];
  let contextRun: IRunCode | null;

  const RUN: IRunCode = {
    path: NB,
    commit: SHA_C,
    runId: 'r1',
    runName: 'swift-owl-7',
    unsaved: false,
    uncommitted: true
  };

  beforeEach(() => {
    server = new Server();
    model = new HistoryModel({ requester: server.requester, trans });
    commands = new CommandRegistry();
    notices = [];
    asked = [];
    choice = 'branch';
    reloaded = [];
    refreshed = 0;
    opened = [];
    contextRun = RUN;
    commands.addCommand('docmanager:open', {
      execute: args => {
        opened.push(args);
        return {};
      }
    });
    addHistoryCommands(commands, {
      model,
      version: async () => {
        throw new Error('not used');
      },
      trans,
      requester: server.requester,
      openPaths: () => ['demo/unsaved.ipynb'],
      refreshStatus: async () => {
        refreshed++;
      },
      contextRun: () => contextRun,
      ask: async document => {
        asked.push(document.label);
        return choice;
      },
      reload: async paths => {
        reloaded.push(paths);
      },
      notify: {
        success: m => notices.push(['success', m, undefined]),
        warning: m => notices.push(['warning', m, undefined])
      }
    });
  });

  afterEach(() => model.dispose());

  it('"Restore…" on the run right-clicked asks, switches, says where the outputs are', async () => {
    server.answers['runs/restore'] = () => ({
      branch: 'exp/swift-owl-7',
      commit: SHA_A,
      checked_out: true,
      reason: null,
      copy: null,
      reused: false,
      changed_files: [NB, 'demo/prep.ipynb'],
      carried_outputs: ['demo/prep.ipynb'],
      kept_outputs: {
        commit: SHA_A,
        ref: 'stash@{0}',
        branch: 'main',
        files: [NB],
        message: 'jupyterlab-repro: outputs of train.ipynb before restoring run'
      }
    });
    const menu = { source: 'run' };
    expect(commands.label(CommandIDs.restoreBranch, menu)).toBe('Restore…');
    expect(commands.label(CommandIDs.restoreBranch)).toBe('Restore as Branch');
    expect(commands.isEnabled(CommandIDs.restoreBranch, menu)).toBe(true);
    await commands.execute(CommandIDs.restoreBranch, menu);
    expect(asked).toEqual(['train.ipynb @ ccccccc']);
    expect(server.last()).toEqual({
      endpoint: 'runs/restore',
      method: 'POST',
      body: {
        path: NB,
        commit: SHA_C,
        mode: 'branch',
        name: 'swift-owl-7',
        run_id: 'r1',
        open_paths: ['demo/unsaved.ipynb']
      }
    });
    expect(refreshed).toBe(1);
    // The open notebooks without unsaved work show the branch.
    expect(reloaded).toEqual([[NB, 'demo/prep.ipynb']]);
    expect(notices).toHaveLength(1);
    const [kind, text] = notices[0];
    expect(kind).toBe('success');
    expect(text).toBe(
      'Switched to branch exp/swift-owl-7. prep.ipynb keeps its outputs (they came from this code). Outputs of train.ipynb kept in stash@{0}: back on main, the lab offers them (or git stash pop).'
    );
  });

  it('does nothing without a run under the pointer, or when cancelled', async () => {
    contextRun = null;
    expect(
      commands.isEnabled(CommandIDs.restoreBranch, { source: 'run' })
    ).toBe(false);
    await commands.execute(CommandIDs.restoreBranch, { source: 'run' });
    contextRun = RUN;
    choice = null;
    await commands.execute(CommandIDs.restoreBranch, { source: 'run' });
    expect(server.calls).toEqual([]);
    expect(notices).toEqual([]);
  });

  it('a refusal shows the server sentence and offers a working copy', async () => {
    const sentence = `Not switched to exp/swift-owl-7: ${HOSTILE} has changes of its own (not only outputs). Nothing was changed.`;
    server.answers['runs/restore'] = body => {
      if (body.mode === 'copy') {
        return {
          branch: null,
          commit: SHA_C,
          checked_out: false,
          reason: null,
          copy: 'demo/train-swift-owl-7.ipynb',
          reused: false
        };
      }
      throw new ReproRequestError(sentence, 409, 'restore-refused');
    };
    // The command rejects; the failure reporter shows it with its actions.
    const failure = await commands
      .execute(CommandIDs.restoreBranch, { ...RUN })
      .then(
        () => null,
        (error: unknown) => error
      );
    expect(refreshed).toBe(0);
    expect(notices).toEqual([]);
    expect(failure).toBeInstanceOf(CommandFailure);
    const { message, actions } = failure as CommandFailure;
    expect(message).toContain(sentence);
    expect(actions.map((a: INoticeAction) => a.label)).toEqual([
      'Open a working copy'
    ]);
    actions[0].callback();
    await settle();
    expect(server.last().body).toEqual({
      path: NB,
      commit: SHA_C,
      mode: 'copy',
      name: 'swift-owl-7',
      run_id: 'r1'
    });
    expect(opened[opened.length - 1]).toEqual({
      path: 'demo/train-swift-owl-7.ipynb'
    });
  });

  it('a working copy is written by the server and opened', async () => {
    choice = 'copy';
    server.answers['runs/restore'] = () => ({
      branch: null,
      commit: SHA_C,
      checked_out: false,
      reason: null,
      copy: 'demo/train-swift-owl-7.ipynb',
      reused: false
    });
    await commands.execute(CommandIDs.restoreBranch, { source: 'run' });
    expect(server.last().body.mode).toBe('copy');
    await settle();
    // Opened as any notebook is (index.ts keeps every notebook clean of
    // kernel facts alone: see keepUntouchedClean below).
    expect(opened).toEqual([{ path: 'demo/train-swift-owl-7.ipynb' }]);
  });

  it('bring-back-outputs posts, reloads the notebooks and says so', async () => {
    server.answers['runs/kept-outputs'] = () => ({
      commit: SHA_A,
      ref: 'stash@{0}',
      branch: 'main',
      files: [NB],
      message: 'm',
      ready: true,
      reason: null
    });
    await commands.execute(CommandIDs.bringBackOutputs, {
      path: NB,
      commit: SHA_A
    });
    expect(server.last()).toEqual({
      endpoint: 'runs/kept-outputs',
      method: 'POST',
      body: { path: NB, commit: SHA_A }
    });
    expect(reloaded).toEqual([[NB]]);
    expect(refreshed).toBe(1);
    expect(notices).toEqual([
      ['success', `Brought back the outputs of ${NB}.`, undefined]
    ]);
    server.answers['runs/kept-outputs'] = () => {
      throw new ReproRequestError(
        `${NB} changed since its outputs were kept`,
        409,
        'restore-refused'
      );
    };
    await expect(
      commands.execute(CommandIDs.bringBackOutputs, { path: NB })
    ).rejects.toThrow('changed since its outputs were kept');
    expect(notices).toHaveLength(1);
  });
});

describe('keepUntouchedClean', () => {
  it('lowers the flag the kernel facts raise, even before the context is ready', async () => {
    const context = new FakeContext();
    keepUntouchedClean(context as any); // when the document is created
    context.load();
    context.kernelInfo(); // the kernel answered before `ready`
    await settle();
    expect(context.model.dirty).toBe(false);
  });

  it('keeps the flag of a real change, with or without kernel facts after it', async () => {
    const context = new FakeContext();
    keepUntouchedClean(context as any);
    context.load();
    context.edit();
    await settle();
    expect(context.model.dirty).toBe(true);
    context.kernelInfo();
    await settle();
    expect(context.model.dirty).toBe(true);
  });

  it('compares with the content as last saved, not as first opened', async () => {
    const context = new FakeContext();
    keepUntouchedClean(context as any);
    context.load();
    context.edit('lr = 0.3');
    context.save();
    context.content.metadata.language_info.version = '3.12.1'; // another kernel
    context.model.dirty = true;
    await settle();
    expect(context.model.dirty).toBe(false);
    context.edit('lr = 0.4');
    await settle();
    expect(context.model.dirty).toBe(true);
  });

  it('does nothing before the content is loaded, nor once disposed', async () => {
    const context = new FakeContext();
    keepUntouchedClean(context as any);
    context.kernelInfo(); // still the empty new document: nothing to compare with
    await settle();
    expect(context.model.dirty).toBe(true);
    context.load();
    context.isDisposed = true;
    context.disposed.emit();
    context.kernelInfo();
    await settle();
    expect(context.model.dirty).toBe(true);
  });
});

describe('KeptOutputsOffer', () => {
  it('offers kept outputs once, when the branch they belong to is back', async () => {
    const server = new Server();
    const commands = new CommandRegistry();
    const executed: any[] = [];
    commands.addCommand(CommandIDs.bringBackOutputs, {
      execute: args => {
        executed.push(args);
      }
    });
    const changed = new Signal<unknown, void>({});
    const status = {
      stateChanged: changed,
      path: NB,
      status: null as IStatusReply | null
    };
    const at = (branch: string) => {
      status.status = {
        path: NB,
        repository: { root: 'demo', branch, head: { sha: SHA_A } }
      } as unknown as IStatusReply;
      changed.emit();
    };
    let ready = false;
    server.answers['runs/kept-outputs'] = () => ({
      kept: [
        {
          commit: SHA_C,
          ref: 'stash@{0}',
          branch: 'main',
          files: [NB],
          message: 'jupyterlab-repro: outputs of train.ipynb',
          ready,
          reason: ready ? null : 'switch back to main'
        }
      ]
    });
    const prompts: string[] = [];
    const offer = new KeptOutputsOffer({
      requester: server.requester,
      trans,
      commands,
      status,
      prompt: (message, bringBack) => {
        prompts.push(message);
        bringBack();
      }
    });
    at('main');
    await settle();
    expect(server.calls).toEqual([]); // the lab just started here: no switch
    at('exp/swift-owl-7');
    await settle();
    expect(server.calls.map(c => c.endpoint)).toEqual([
      'runs/kept-outputs?path=demo%2Ftrain.ipynb'
    ]);
    expect(prompts).toEqual([]); // not their code
    ready = true;
    at('main');
    await settle();
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toBe(
      'Outputs of train.ipynb were kept aside (stash@{0}) when a run was restored. Bring them back?'
    );
    expect(executed).toEqual([{ path: NB, commit: SHA_C }]);
    at('exp/other');
    await settle();
    at('main');
    await settle();
    expect(prompts).toHaveLength(1); // offered once
    offer.dispose();
  });
});

describe('the notebook as it was says what its run had', () => {
  let host: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
  });

  it.each([
    [{ unsaved: false, uncommitted: true }, 'with its uncommitted changes'],
    [{ unsaved: true, uncommitted: false }, 'with cells that ran unsaved'],
    [
      { unsaved: true, uncommitted: true },
      'with its unsaved and uncommitted changes'
    ],
    [{}, 'with the changes its commit lacks']
  ])('%j: %s', async (flags, expected) => {
    const doc = historyPath({ commit: SHA_C, path: NB });
    const model = new HistoryModel({
      requester: async <T,>() => ({}) as T,
      versionOf: () => ({
        path: NB,
        commit: SHA_C,
        snapshot: true,
        label: 'train.ipynb @ ccccccc',
        content: {}
      })
    });
    const commands = new CommandRegistry();
    await act(async () => {
      model.remember(doc, { runName: 'swift-owl-7', ...flags });
      model.setCurrent(doc);
      root.render(
        <HistoryView model={model} trans={trans} commands={commands} />
      );
    });
    const text = host.querySelector('.jp-Repro-History-what')?.textContent;
    expect(text).toContain(
      `The code run swift-owl-7 ran (snapshot ccccccc, ${expected}).`
    );
    if (!(flags as { unsaved?: boolean }).unsaved) {
      expect(text).not.toContain('unsaved');
    }
    model.dispose();
  });
});

describe('the runs section', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let model: RunsModel;
  let commands: CommandRegistry;
  let executed: [string, any][];

  beforeEach(async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    server = new FakeServer();
    model = new RunsModel({ requester: server.requester, autoStart: false });
    commands = new CommandRegistry();
    executed = [];
    commands.addCommand(CommandIDs.restoreBranch, {
      execute: args => {
        executed.push([CommandIDs.restoreBranch, args]);
      }
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

  async function load(answer: unknown): Promise<void> {
    await act(async () => {
      model.setPath('nb/train.ipynb');
      await server.answer(server.calls.length - 1, answer);
    });
  }

  it('says where runs may be when the notebook folder holds another store', async () => {
    await load({ ...reply([]), other_stores: [`nb/${HOSTILE}/mlflow.db`] });
    const empty = host.querySelector('.jp-Repro-Runs-empty');
    expect(empty?.classList.contains('jp-mod-otherStore')).toBe(true);
    expect(empty?.textContent).toContain(
      `Runs of this notebook may be in nb/${HOSTILE}/mlflow.db, which this lab does not read (it reads sqlite:///mlflow.db).`
    );
    expect(empty?.textContent).not.toContain('No runs for this notebook yet.');
    expect(host.querySelector('img')).toBeNull();
  });

  it('says "No runs" when there is no other store', async () => {
    await load({ ...reply([]), other_stores: [] });
    expect(host.querySelector('.jp-Repro-Runs-empty')?.textContent).toContain(
      'No runs for this notebook yet.'
    );
  });

  it('"Restore…" in a run\'s details runs the restore command with the run\'s code', async () => {
    const snapshotRun = run('r1', {
      run_name: 'swift-owl-7',
      dirty: true,
      unsaved: false,
      tags: { 'repro.notebook': 'train.ipynb', 'repro.snapshot': SHA_C }
    });
    await load(
      reply([group(SHA_C, [snapshotRun], { snapshot: true, parent: SHA_A })])
    );
    await act(async () => {
      host.querySelector<HTMLElement>('.jp-Repro-Runs-toggle')!.click();
    });
    const button = host.querySelector<HTMLButtonElement>(
      '.jp-Repro-Runs-restore'
    );
    expect(button?.textContent).toBe('Restore…');
    await act(async () => button!.click());
    expect(executed).toEqual([
      [
        CommandIDs.restoreBranch,
        {
          path: 'nb/train.ipynb',
          commit: SHA_C,
          runId: 'r1',
          runName: 'swift-owl-7',
          unsaved: false,
          uncommitted: true
        }
      ]
    ]);
  });
});
