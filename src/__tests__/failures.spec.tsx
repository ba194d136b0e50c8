/**
 * Every failure reaches the user (issue 23). Each command of CommandIDs runs
 * in a lab wired as index.ts wires it, against a server that answers every
 * request with a 4xx and a message once the command's preconditions are set
 * up: the message must show as a notification — or, for the commands whose
 * views show failures inline, in that view (and then in no notification).
 * A command added to CommandIDs without a case here fails the first test.
 */
import { Notification, WidgetTracker } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { act } from 'react';
import { createRoot } from 'react-dom/client';

import { addCommitCommands } from '../commit/commands';
import { SnapshotModel } from '../commit/model';
import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import {
  FailureReporter,
  INLINE_FAILURES,
  NOTIFICATION_MAX_LENGTH
} from '../common/notify';
import { addCompareCommands } from '../compare/commands';
import { IReleaseValues } from '../compare/release';
import { CompareWidget } from '../compare/widget';
import { addExportCommands } from '../export/commands';
import { ExportTargets } from '../export/model';
import { addHistoryCommands } from '../history/commands';
import { HistoryDrive } from '../history/drive';
import { HistoryModel } from '../history/model';
import { addRunsCommands } from '../runs/commands';
import { RunsModel } from '../runs/model';
import { RunDetails } from '../runs/RunDetails';
import { addReproduceCommands } from '../reproduce/commands';
import { ReproduceModel } from '../reproduce/model';
import { RunsView } from '../runs/RunsView';
import { addRunsTableCommands, RunsTableWidget } from '../runs/tableWidget';
import { addShareCommands } from '../runs/share';
import { addStatusCommands } from '../status/commands';
import { ReproModel } from '../status/model';
import { StatusView } from '../status/StatusView';
import { group, reply, run, SHA_A, SHA_C } from './runsFakes';
import { changesReply, file, statusReply } from './snapshotFakes';

// Node's require and __dirname, typed as far as used here (the project
// compiles without Node's types).
declare const require: (id: string) => any;
declare const __dirname: string;

const trans = nullTranslator.load('jupyterlab_repro');
const NB = 'proj/train.ipynb';
const PAYLOAD = '<img src=x onerror="window.__pwned=1">';

/** What the server says when it refuses `endpoint`. */
function refusal(endpoint: string): string {
  return `The server refused ${endpoint} ${PAYLOAD}`;
}

/**
 * A server that answers from handlers while the test sets things up, then
 * (after {@link refuse}) answers every request with a 409 and a message.
 */
class Server {
  calls: string[] = [];
  refusing = false;
  handlers: Record<string, (body: any) => unknown> = {
    status: () => statusReply(NB),
    changes: () =>
      changesReply([
        file('train.ipynb'),
        file('model.pt', {
          state: 'untracked',
          violation: {
            path: 'model.pt',
            kind: 'model weights',
            size: 100,
            rule: '*.pt',
            lfs_possible: true
          }
        })
      ]),
    diff: () => ({
      path: NB,
      from: 'HEAD',
      to: null,
      text: '',
      has_changes: false,
      summary: {}
    }),
    runs: () =>
      reply(
        [
          group(SHA_A, [run('r1'), run('r2')]),
          group(SHA_C, [run('r3')], { known: false })
        ],
        'page-2',
        NB
      ),
    'runs/notebook': () => ({
      path: NB,
      commit: SHA_A,
      snapshot: false,
      label: 'train.ipynb @ aaaaaaa',
      content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }
    })
  };

  requester = async <T,>(endpoint: string, init?: RequestInit): Promise<T> => {
    const name = endpoint.split('?')[0];
    this.calls.push(name);
    if (this.refusing) {
      throw new ReproRequestError(refusal(name), 409, 'refused', {
        message: refusal(name),
        reason: 'refused'
      });
    }
    const handler = this.handlers[name];
    if (!handler) {
      throw new ReproRequestError(`no handler for ${name}`, 404);
    }
    const body = init?.body ? JSON.parse(init.body as string) : null;
    return handler(body) as T;
  };

  /** From now on every request is refused. */
  refuse(): void {
    this.refusing = true;
    this.calls = [];
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
}

/** Wait (real time) until `check` passes. */
async function until(check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) {
      throw new Error('timed out');
    }
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 10));
    });
  }
}

/** The messages of the notifications shown now. */
function notified(): string[] {
  return Notification.manager.notifications.map(n => n.message);
}

/** The error notifications carrying the server's message for `endpoint`. */
function errorsAbout(endpoint: string): Notification.INotification[] {
  return Notification.manager.notifications.filter(
    n =>
      (n.type === 'error' || n.type === 'warning') &&
      n.message.includes(refusal(endpoint))
  );
}

/** A notebook panel as the export commands read it. */
function fakePanel(): any {
  const cell = {
    model: {
      type: 'code',
      id: 'c1',
      getMetadata: () => ['export']
    }
  };
  return {
    isDisposed: false,
    disposed: new Signal<any, void>({}),
    content: { widgets: [cell], isSelectedOrActive: () => true },
    context: {
      path: NB,
      ready: Promise.resolve(),
      pathChanged: new Signal<any, string>({}),
      save: async () => undefined,
      model: {
        dirty: false,
        nbformat: 4,
        nbformatMinor: 5,
        metadataChanged: new Signal<any, unknown>({}),
        getMetadata: () => ({
          export: { module: 'train.py', cells: 'export' }
        }),
        setMetadata: () => undefined
      }
    }
  };
}

/** Everything index.ts wires that the commands need, with fakes around it. */
class Lab {
  constructor() {
    const requester = this.server.requester;
    this.repro = new ReproModel({
      requester,
      version: '1.0.0',
      autoStart: false
    });
    this.snapshot = new SnapshotModel({
      requester,
      repro: this.repro,
      debounce: 0
    });
    this.runs = new RunsModel({ requester, autoStart: false });
    this.history = new HistoryModel({
      requester,
      trans,
      versionOf: path => this.drive.known(path)
    });
    this.drive = new HistoryDrive({ requester, trans });
    const commands = this.commands;
    this.reporter = new FailureReporter({ commands, trans });
    commands.addCommand('docmanager:open', {
      execute: args => {
        this.opened.push(args);
      }
    });
    commands.addCommand('terminal:create-new', {
      execute: args => {
        this.terminals.push(args);
      }
    });
    addStatusCommands(commands, {
      model: this.repro,
      trans,
      openSidebar: () => undefined
    });
    addCommitCommands(commands, {
      model: this.repro,
      snapshot: this.snapshot,
      trans,
      currentNotebook: () => NB,
      selectedNotebook: () => null,
      focusMessage: () => undefined
    });
    addRunsCommands(commands, {
      model: this.runs,
      trans,
      copy: () => undefined
    });
    addShareCommands(commands, { model: this.runs, requester, trans });
    addCompareCommands({
      requester,
      trans,
      commands,
      tracker: this.tracker,
      open: widget => {
        Widget.attach(widget, document.body);
        this.compared.push(widget);
        return true;
      },
      activate: () => undefined,
      selected: () => [],
      followedPath: () => NB,
      contextRunId: () => null,
      describeRun: runId => ({ runId, label: runId, detail: '' }),
      otherRuns: () => [{ runId: 'r2', label: 'r2', detail: '' }],
      pick: async () => ['r2'],
      askRelease: () => async (initial, error) => {
        this.releaseErrors.push(error);
        // The user tries once, reads the refusal, and cancels.
        return error === null
          ? ({ name: 'v1', message: '', modelCard: false } as IReleaseValues)
          : null;
      }
    });
    addRunsTableCommands({
      requester,
      trans,
      commands,
      tracker: this.tables,
      open: widget => {
        Widget.attach(widget, document.body);
        this.tableWidgets.push(widget);
        return true;
      },
      activate: () => undefined,
      defaultPath: () => NB,
      autoStart: false
    });
    this.reproductions = new ReproduceModel({ requester, autoStart: false });
    addReproduceCommands(commands, {
      model: this.reproductions,
      trans,
      contextRunId: () => null,
      followedPath: () => NB,
      show: () => undefined
    });
    addHistoryCommands(commands, {
      model: this.history,
      version: (path, commit) => this.drive.version(path, commit),
      trans,
      requester,
      openPaths: () => [],
      refreshStatus: async () => undefined
    });
    const panel = fakePanel();
    const notebooks: any = {
      widgetAdded: new Signal<any, any>({}),
      currentWidget: panel,
      find: (test: (p: any) => boolean) => (test(panel) ? panel : undefined)
    };
    addExportCommands(commands, {
      requester,
      trans,
      notebooks,
      localPath: path => path,
      saveFirst: async () => undefined,
      targets: this.targets,
      followedNotebook: () => NB
    });
    notebooks.widgetAdded.emit(panel);
  }

  /** The sidebar follows the notebook; its models have read what they show. */
  async follow(): Promise<void> {
    this.repro.setPath(NB);
    this.runs.setPath(NB);
    await act(async () => {
      await this.repro.refresh();
      await flush();
      await this.snapshot.reload();
      await this.runs.refresh();
      await flush();
    });
  }

  dispose(): void {
    this.compared.forEach(widget => widget.dispose());
    this.tracker.dispose();
    this.reporter.dispose();
    this.snapshot.dispose();
    this.runs.dispose();
    this.history.dispose();
    this.drive.dispose();
    this.repro.dispose();
  }

  server = new Server();
  commands = new CommandRegistry();
  reporter: FailureReporter;
  repro: ReproModel;
  snapshot: SnapshotModel;
  runs: RunsModel;
  history: HistoryModel;
  drive: HistoryDrive;
  targets = new ExportTargets();
  tracker = new WidgetTracker<CompareWidget>({
    namespace: `test-failures-${Math.random()}`
  });
  compared: CompareWidget[] = [];
  tables = new WidgetTracker<RunsTableWidget>({
    namespace: `test-failures-tables-${Math.random()}`
  });
  tableWidgets: RunsTableWidget[] = [];
  reproductions: ReproduceModel;
  opened: unknown[] = [];
  terminals: unknown[] = [];
  releaseErrors: (string | null)[] = [];
}

/** Each command's case: `notified` (a notification), `inline` (a view). */
type Case =
  | { kind: 'notified'; endpoint: string; run: (lab: Lab) => Promise<void> }
  | { kind: 'inline'; run: (lab: Lab, host: HTMLElement) => Promise<void> }
  | { kind: 'no-request'; run: (lab: Lab) => Promise<void> };

/** Run a command whose failure the reporter shows; never rejects. */
async function execute(lab: Lab, id: string, args = {}): Promise<void> {
  await act(async () => {
    await lab.commands.execute(id, args).catch(() => undefined);
    await flush();
  });
}

/** Accept the dialog showDialog opened (init asks first). */
async function acceptDialog(): Promise<void> {
  await until(() => !!document.querySelector('.jp-Dialog .jp-mod-accept'));
  await act(async () => {
    document
      .querySelector<HTMLButtonElement>('.jp-Dialog .jp-mod-accept')!
      .click();
    await flush();
  });
}

const CASES: Record<string, Case> = {
  // status/
  [CommandIDs.open]: {
    kind: 'no-request',
    run: lab => execute(lab, CommandIDs.open)
  },
  [CommandIDs.refresh]: {
    // The header shows why the status cannot be read.
    kind: 'inline',
    run: async (lab, host) => {
      const root = createRoot(host);
      await act(async () => {
        root.render(
          <StatusView model={lab.repro} trans={trans} commands={lab.commands} />
        );
      });
      lab.server.refuse();
      await execute(lab, CommandIDs.refresh);
      expect(host.querySelector('[role="alert"]')?.textContent).toContain(
        refusal('status')
      );
      act(() => root.unmount());
    }
  },
  [CommandIDs.init]: {
    kind: 'notified',
    endpoint: 'init',
    run: async lab => {
      const done = lab.commands.execute(CommandIDs.init).catch(() => undefined);
      await acceptDialog();
      await act(async () => {
        await done;
        await flush();
      });
    }
  },
  [CommandIDs.saveIdentity]: {
    // The identity form shows the message under its fields.
    kind: 'inline',
    run: async (lab, host) => {
      lab.server.refusing = false;
      lab.server.handlers.status = () => {
        const status = statusReply(NB);
        status.identity = { name: null, email: null, missing: true } as any;
        return status;
      };
      await act(async () => {
        await lab.repro.refresh();
      });
      const root = createRoot(host);
      await act(async () => {
        root.render(
          <StatusView model={lab.repro} trans={trans} commands={lab.commands} />
        );
      });
      lab.server.refuse();
      const form = host.querySelector('form.jp-Repro-Identity')!;
      const set = (name: string, value: string) => {
        const input = form.querySelector<HTMLInputElement>(
          `input[name="${name}"]`
        )!;
        Object.getOwnPropertyDescriptor(
          HTMLInputElement.prototype,
          'value'
        )!.set!.call(input, value);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      };
      await act(async () => {
        set('name', 'Ann');
        set('email', 'ann@example.com');
      });
      await act(async () => {
        form.dispatchEvent(
          new Event('submit', { bubbles: true, cancelable: true })
        );
        await flush();
      });
      const alert = form.querySelector('[role="alert"]');
      expect(alert?.textContent).toBe(refusal('identity'));
      expect(alert?.querySelector('img')).toBeNull();
      act(() => root.unmount());
    }
  },

  // commit/
  [CommandIDs.snapshot]: {
    kind: 'notified',
    endpoint: 'snapshot',
    run: async lab => {
      lab.snapshot.setMessage('more trees');
      await execute(lab, CommandIDs.snapshot, { source: 'sidebar' });
      // The form says it too.
      expect(lab.snapshot.error?.message).toBe(refusal('snapshot'));
    }
  },
  [CommandIDs.guardrailFix]: {
    kind: 'notified',
    endpoint: 'guardrails/fix',
    run: lab =>
      execute(lab, CommandIDs.guardrailFix, {
        path: 'model.pt',
        action: 'gitignore'
      })
  },

  // export/
  [CommandIDs.exportCells]: {
    // The dialog shows why its preview (or the write) failed.
    kind: 'inline',
    run: async lab => {
      lab.server.refuse();
      let done!: Promise<unknown>;
      await act(async () => {
        done = lab.commands.execute(CommandIDs.exportCells);
        await flush();
      });
      await until(() => !!document.querySelector('.jp-Repro-Export-error'));
      expect(
        document.querySelector('.jp-Repro-Export-error')!.textContent
      ).toBe(refusal('export'));
      await act(async () => {
        document
          .querySelector<HTMLButtonElement>('.jp-Dialog .jp-mod-reject')!
          .click();
        await done;
      });
    }
  },
  [CommandIDs.reexport]: {
    kind: 'notified',
    endpoint: 'export',
    run: lab => execute(lab, CommandIDs.reexport, { path: NB })
  },

  // runs/
  [CommandIDs.runsRefresh]: {
    kind: 'inline',
    run: async (lab, host) => {
      const root = createRoot(host);
      await act(async () => {
        root.render(
          <RunsView model={lab.runs} trans={trans} commands={lab.commands} />
        );
      });
      lab.server.refuse();
      await execute(lab, CommandIDs.runsRefresh);
      expect(host.querySelector('[role="alert"]')?.textContent).toContain(
        refusal('runs')
      );
      act(() => root.unmount());
    }
  },
  [CommandIDs.runsLoadMore]: {
    kind: 'inline',
    run: async (lab, host) => {
      const root = createRoot(host);
      await act(async () => {
        root.render(
          <RunsView model={lab.runs} trans={trans} commands={lab.commands} />
        );
      });
      expect(lab.runs.hasMore).toBe(true);
      lab.server.refuse();
      await execute(lab, CommandIDs.runsLoadMore);
      expect(lab.server.calls).toEqual(['runs']);
      expect(host.querySelector('[role="alert"]')?.textContent).toContain(
        refusal('runs')
      );
      act(() => root.unmount());
    }
  },
  [CommandIDs.runsSort]: {
    kind: 'no-request',
    run: lab => execute(lab, CommandIDs.runsSort, { column: 'acc' })
  },
  [CommandIDs.runsShowDiff]: {
    // A run's details show why its code changes cannot be read.
    kind: 'inline',
    run: async (lab, host) => {
      const found = lab.runs.findRun('r1')!;
      const root = createRoot(host);
      await act(async () => {
        root.render(
          <RunDetails
            model={lab.runs}
            run={found.run}
            group={found.group}
            trans={trans}
            commands={lab.commands}
            disabled={false}
            canOpen={true}
            onOpen={() => undefined}
          />
        );
      });
      lab.server.refuse();
      await act(async () => {
        host
          .querySelector<HTMLButtonElement>('button.jp-Repro-Runs-showDiff')!
          .click();
        await flush();
      });
      await until(
        () => host.querySelector('.jp-Repro-Runs-diff [role="alert"]') !== null
      );
      expect(
        host.querySelector('.jp-Repro-Runs-diff [role="alert"]')!.textContent
      ).toBe(refusal('diff'));
      act(() => root.unmount());
    }
  },
  [CommandIDs.copyRunId]: {
    kind: 'no-request',
    run: lab => execute(lab, CommandIDs.copyRunId, { runId: 'r1' })
  },
  [CommandIDs.shareRunCode]: {
    kind: 'notified',
    endpoint: 'runs/share',
    run: async lab => {
      await execute(lab, CommandIDs.shareRunCode);
      // The fix: a terminal in the notebook's folder, for `git remote add`.
      const [notice] = errorsAbout('runs/share');
      const action = notice.options.actions?.find(
        a => a.label === 'Open a terminal'
      );
      expect(action).toBeDefined();
      action!.callback(new MouseEvent('click'));
      await flush();
      expect(lab.terminals).toEqual([{ cwd: 'proj' }]);
    }
  },
  [CommandIDs.fetchRunCode]: {
    kind: 'notified',
    endpoint: 'runs/fetch',
    run: lab => execute(lab, CommandIDs.fetchRunCode)
  },

  // compare/
  [CommandIDs.compare]: {
    // The comparison view shows why the runs cannot be compared.
    kind: 'inline',
    run: async lab => {
      lab.server.refuse();
      await execute(lab, CommandIDs.compare, { runIds: ['r1', 'r2'] });
      await expectComparisonSays(lab);
    }
  },
  [CommandIDs.compareWith]: {
    kind: 'inline',
    run: async lab => {
      lab.server.refuse();
      await execute(lab, CommandIDs.compareWith, { runId: 'r1' });
      await expectComparisonSays(lab);
    }
  },
  [CommandIDs.compareFromUrl]: {
    kind: 'inline',
    run: async lab => {
      lab.server.refuse();
      const search = `?repro-compare=${encodeURIComponent(
        JSON.stringify({ runIds: ['r1', 'r2'], path: NB })
      )}`;
      await execute(lab, CommandIDs.compareFromUrl, { search });
      await expectComparisonSays(lab);
    }
  },
  [CommandIDs.releaseRun]: {
    // A refused name: the release dialog opens again with the reason.
    kind: 'inline',
    run: async lab => {
      lab.server.refuse();
      await execute(lab, CommandIDs.releaseRun, { runId: 'r1', path: NB });
      expect(lab.server.calls).toEqual(['runs/release']);
      expect(lab.releaseErrors).toEqual([null, refusal('runs/release')]);
    }
  },

  // history/
  [CommandIDs.openAtCommit]: {
    // The runs section shows why the notebook as it was cannot open.
    kind: 'inline',
    run: async (lab, host) => {
      const root = createRoot(host);
      await act(async () => {
        root.render(
          <RunsView model={lab.runs} trans={trans} commands={lab.commands} />
        );
      });
      lab.server.refuse();
      await act(async () => {
        host
          .querySelector<HTMLButtonElement>(
            'button.jp-Repro-Runs-openNotebook'
          )!
          .click();
        await flush();
      });
      await until(() => !!host.querySelector('.jp-Repro-Runs-message'));
      expect(host.querySelector('.jp-Repro-Runs-message')!.textContent).toBe(
        refusal('runs/notebook')
      );
      act(() => root.unmount());
    }
  },
  [CommandIDs.restoreBranch]: {
    kind: 'notified',
    endpoint: 'runs/restore',
    run: async lab => {
      await openedAsItWas(lab);
      await execute(lab, CommandIDs.restoreBranch);
    }
  },
  [CommandIDs.openWorkingCopy]: {
    kind: 'notified',
    endpoint: 'runs/restore',
    run: async lab => {
      await openedAsItWas(lab);
      await execute(lab, CommandIDs.openWorkingCopy);
    }
  },
  [CommandIDs.runsTable]: {
    // The table shows why it cannot read the runs, in the table.
    kind: 'inline',
    run: async lab => {
      await execute(lab, CommandIDs.runsTable, { path: NB });
      const widget = lab.tableWidgets[lab.tableWidgets.length - 1];
      expect(widget).toBeDefined();
      lab.server.refuse();
      await act(async () => {
        await widget.model.refresh().catch(() => undefined);
        await flush();
      });
      await until(
        () => !!widget.node.querySelector('.jp-Repro-RunsTable-message')
      );
      expect(
        widget.node.querySelector('.jp-Repro-RunsTable-message')?.textContent
      ).toContain(refusal('runs'));
    }
  },
  // reproduce/
  [CommandIDs.reproduce]: {
    kind: 'notified',
    endpoint: 'runs/reproduce',
    run: lab =>
      execute(lab, CommandIDs.reproduce, { runId: 'r1', path: NB, ask: false })
  },
  [CommandIDs.reproduceCancel]: {
    kind: 'notified',
    endpoint: 'runs/reproduce',
    run: lab =>
      execute(lab, CommandIDs.reproduceCancel, {
        job: '0123456789abcdef0123456789abcdef'
      })
  },
  [CommandIDs.reproduceShow]: {
    kind: 'no-request',
    run: lab => execute(lab, CommandIDs.reproduceShow)
  },
  [CommandIDs.bringBackOutputs]: {
    kind: 'notified',
    endpoint: 'runs/kept-outputs',
    run: async lab => {
      await execute(lab, CommandIDs.bringBackOutputs, { path: NB });
    }
  }
};

/** The notebook as run r1's commit held it is open (and refused from now). */
async function openedAsItWas(lab: Lab): Promise<void> {
  lab.server.refusing = false;
  await act(async () => {
    await lab.commands.execute(CommandIDs.openAtCommit, {
      path: NB,
      commit: SHA_A,
      runId: 'r1',
      runName: 'run-r1'
    });
  });
  // The lab makes the opened document the current one.
  lab.history.setCurrent((lab.opened[lab.opened.length - 1] as any).path);
  expect(lab.history.current).not.toBeNull();
  lab.server.refuse();
}

async function expectComparisonSays(lab: Lab): Promise<void> {
  expect(lab.compared).toHaveLength(1);
  const node = lab.compared[0].node;
  await until(() => !!node.querySelector('.jp-Repro-Compare-message'));
  expect(node.querySelector('.jp-Repro-Compare-message')!.textContent).toBe(
    refusal('runs/compare')
  );
}

describe('every command tells the user when it fails', () => {
  let lab: Lab;
  let host: HTMLDivElement;

  beforeEach(async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    Notification.dismiss();
    host = document.createElement('div');
    document.body.appendChild(host);
    lab = new Lab();
    await lab.follow();
  });

  afterEach(() => {
    act(() => lab.dispose());
    host.remove();
    document.querySelectorAll('.jp-Dialog').forEach(node => node.remove());
    Notification.dismiss();
    expect((window as any).__pwned).toBeUndefined();
  });

  it('has a case for every command id, and the lab registers each', () => {
    const ids: string[] = Object.values(CommandIDs);
    expect(ids.length).toBeGreaterThan(20);
    expect(Object.keys(CASES).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect(lab.commands.hasCommand(id)).toBe(true);
    }
    // The commands the reporter leaves alone all have an inline case.
    for (const id of INLINE_FAILURES) {
      expect(CASES[id].kind).toBe('inline');
    }
  });

  for (const [id, test] of Object.entries(CASES)) {
    if (test.kind === 'notified') {
      it(`${id}: the server's message is notified`, async () => {
        lab.server.refuse();
        await test.run(lab);
        expect(lab.server.calls).toContain(test.endpoint);
        const shown = errorsAbout(test.endpoint);
        expect(shown).toHaveLength(1);
        expect(shown[0].type).toBe('error');
        // Whole: no notification cuts it.
        expect(shown[0].message.length).toBeLessThanOrEqual(
          NOTIFICATION_MAX_LENGTH
        );
      });
    } else if (test.kind === 'inline') {
      it(`${id}: the view shows the server's message, no notification repeats it`, async () => {
        await test.run(lab, host);
        expect(
          notified().filter(message => message.includes('refused'))
        ).toEqual([]);
      });
    } else {
      it(`${id}: asks the server nothing, so nothing can fail there`, async () => {
        lab.server.refuse();
        await test.run(lab);
        expect(lab.server.calls).toEqual([]);
        expect(
          Notification.manager.notifications.filter(n => n.type === 'error')
        ).toEqual([]);
      });
    }
  }
});

describe('the failure reporter', () => {
  let commands: CommandRegistry;
  let reporter: FailureReporter;

  beforeEach(() => {
    Notification.dismiss();
    commands = new CommandRegistry();
    reporter = new FailureReporter({ commands, trans });
  });

  afterEach(() => {
    reporter.dispose();
    Notification.dismiss();
  });

  it('reports a failure once when one command runs another', async () => {
    const error = new ReproRequestError('git is busy elsewhere', 409, 'x');
    commands.addCommand('jupyterlab-repro:inner', {
      execute: () => Promise.reject(error)
    });
    commands.addCommand('jupyterlab-repro:outer', {
      execute: () => commands.execute('jupyterlab-repro:inner')
    });
    await commands.execute('jupyterlab-repro:outer').catch(() => undefined);
    await flush();
    expect(notified()).toEqual(['git is busy elsewhere']);
  });

  it("leaves other extensions' commands alone, and stops when disposed", async () => {
    commands.addCommand('other:fail', {
      execute: () => {
        throw new Error('not ours');
      }
    });
    commands.addCommand('jupyterlab-repro:fail', {
      execute: () => {
        throw new Error('ours');
      }
    });
    await commands.execute('other:fail').catch(() => undefined);
    await flush();
    expect(notified()).toEqual([]);
    reporter.dispose();
    await commands.execute('jupyterlab-repro:fail').catch(() => undefined);
    await flush();
    expect(notified()).toEqual([]);
  });

  it('offers the fix the server reason names', async () => {
    commands.addCommand(CommandIDs.open, { execute: () => undefined });
    commands.addCommand('jupyterlab-repro:commit', {
      execute: () =>
        Promise.reject(
          new ReproRequestError(
            'Tell git who you are.',
            409,
            'identity-missing'
          )
        )
    });
    const opened = jest.fn();
    commands.commandExecuted.connect((_, args) => {
      if (args.id === CommandIDs.open) {
        opened();
      }
    });
    await commands.execute('jupyterlab-repro:commit').catch(() => undefined);
    await flush();
    const [notice] = Notification.manager.notifications;
    expect(notice.message).toBe('Tell git who you are.');
    expect(notice.options.autoClose).toBe(false);
    const action = notice.options.actions!.find(
      a => a.label === 'Set identity'
    )!;
    action.callback(new MouseEvent('click'));
    expect(opened).toHaveBeenCalledTimes(1);
  });

  it('shows "git busy" as a warning that goes away', async () => {
    commands.addCommand('jupyterlab-repro:busy', {
      execute: () =>
        Promise.reject(
          new ReproRequestError(
            'Another git operation is running.',
            409,
            'git-busy'
          )
        )
    });
    await commands.execute('jupyterlab-repro:busy').catch(() => undefined);
    await flush();
    const [notice] = Notification.manager.notifications;
    expect(notice.type).toBe('warning');
    expect(notice.options.autoClose).toBe(10000);
  });
});

describe('notifications', () => {
  const fs: {
    readdirSync(
      dir: string,
      options: { withFileTypes: true }
    ): {
      name: string;
      isDirectory(): boolean;
    }[];
    readFileSync(file: string, encoding: 'utf-8'): string;
  } = require('fs');
  const path: {
    join(...parts: string[]): string;
    resolve(...parts: string[]): string;
    relative(from: string, to: string): string;
  } = require('path');
  const SRC = path.resolve(__dirname, '..');

  function sources(dir: string): string[] {
    const files: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__tests__') {
          files.push(...sources(full));
        }
      } else if (/\.tsx?$/.test(entry.name)) {
        files.push(full);
      }
    }
    return files;
  }

  it('all go through notify() (a long message keeps its full text)', () => {
    const direct: string[] = [];
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file);
      if (rel === path.join('common', 'notify.ts')) {
        continue;
      }
      const text = fs.readFileSync(file, 'utf-8');
      if (
        /Notification\.(emit|error|warning|info|success|promise)\(|showErrorMessage\(/.test(
          text
        )
      ) {
        direct.push(rel);
      }
    }
    expect(direct).toEqual([]);
  });
});
