import { WidgetTracker } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { ReproRequestError } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import {
  addCompareCommands,
  compareUrlArgs,
  compareUrlQuery,
  ICompareCommandOptions
} from '../compare/commands';
import { MAX_COMPARED } from '../compare/model';
import { AskRelease } from '../compare/release';
import { IReleaseReply } from '../compare/types';
import { CompareWidget } from '../compare/widget';
import { compareReply } from './compareFakes';
import { FakeServer, flush } from './snapshotFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const NB = 'nb/train.ipynb';

const RELEASE: IReleaseReply = {
  tag: 'v1',
  commit: 'c'.repeat(40),
  code: 'c'.repeat(40),
  snapshot: false,
  model_card: false,
  message: ''
};

let namespaces = 0;

describe('compare commands', () => {
  let server: FakeServer;
  let commands: CommandRegistry;
  let tracker: WidgetTracker<CompareWidget>;
  let opened: CompareWidget[];
  let activated: CompareWidget[];
  let notices: [string, string][];
  let selected: string[];
  let openResult: boolean;
  let cannotOpen: jest.Mock;
  let onReleased: jest.Mock;
  let picks: string[];
  let pickCalls: { runId: string; others: string[] }[];
  let releaseAnswers: AskRelease;

  function setup(overrides: Partial<ICompareCommandOptions> = {}): void {
    addCompareCommands({
      requester: server.requester,
      trans,
      commands,
      tracker,
      open: widget => {
        if (openResult) {
          opened.push(widget);
        }
        return openResult;
      },
      activate: widget => activated.push(widget),
      cannotOpen,
      selected: () => selected,
      followedPath: () => NB,
      contextRunId: () => null,
      describeRun: id => ({ runId: id, label: `run-${id}`, detail: '' }),
      otherRuns: id =>
        ['a', 'b', 'c']
          .filter(other => other !== id)
          .map(other => ({ runId: other, label: other, detail: '' })),
      notify: (kind, message) => notices.push([kind, message]),
      onReleased,
      askRelease: () => releaseAnswers,
      pick: async (run, others) => {
        pickCalls.push({ runId: run.runId, others: others.map(o => o.runId) });
        return picks;
      },
      ...overrides
    });
  }

  beforeEach(() => {
    server = new FakeServer();
    server.handlers['runs/compare'] = query =>
      compareReply({
        metrics: [],
        runs: query.getAll('run_id').map(id => ({
          ...compareReply().runs[0],
          run_id: id
        }))
      });
    server.handlers['runs/release'] = () => RELEASE;
    commands = new CommandRegistry();
    tracker = new WidgetTracker<CompareWidget>({
      namespace: `test-compare-${++namespaces}`
    });
    opened = [];
    activated = [];
    notices = [];
    selected = [];
    openResult = true;
    cannotOpen = jest.fn();
    onReleased = jest.fn();
    picks = [];
    pickCalls = [];
    releaseAnswers = async () => ({
      name: 'v1',
      message: '',
      modelCard: false
    });
    setup();
  });

  afterEach(() => {
    tracker.forEach(widget => widget.dispose());
    tracker.dispose();
  });

  describe('compare', () => {
    it('opens a comparison of the given runs of the followed notebook', async () => {
      const widget = (await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b']
      })) as CompareWidget;
      expect(widget).toBeInstanceOf(CompareWidget);
      expect(opened).toEqual([widget]);
      expect(widget.args).toEqual({ runIds: ['a', 'b'], path: NB });
      expect(tracker.has(widget)).toBe(true);
      await flush();
      const calls = server.callsTo('runs/compare');
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(calls[0].query.getAll('run_id')).toEqual(['a', 'b']);
      expect(calls[0].query.get('path')).toBe(NB);
      expect(notices).toEqual([]);
    });

    it('compares the selected runs when none are given', async () => {
      selected = ['x', 'y', 'z'];
      expect(commands.label(CommandIDs.compare, {})).toBe(
        'Compare Selected Runs (3)'
      );
      expect(commands.isEnabled(CommandIDs.compare, {})).toBe(true);
      const widget = (await commands.execute(
        CommandIDs.compare,
        {}
      )) as CompareWidget;
      expect(widget.model.runIds).toEqual(['x', 'y', 'z']);
    });

    it.each([
      [[], 0],
      [['a'], 1],
      [['a', 'a', ''], 1]
    ])(
      'refuses %j runs with a notice and opens nothing',
      async (runIds, count) => {
        expect(commands.isEnabled(CommandIDs.compare, { runIds })).toBe(false);
        const result = await commands.execute(CommandIDs.compare, { runIds });
        expect(result).toBeNull();
        expect(opened).toEqual([]);
        expect(tracker.size).toBe(0);
        expect(server.calls).toHaveLength(0);
        expect(notices).toEqual([
          [
            'warning',
            `Choose 2 to ${MAX_COMPARED} runs to compare (got ${count}).`
          ]
        ]);
      }
    );

    it(`refuses more than ${MAX_COMPARED} runs`, async () => {
      const runIds = Array.from(
        { length: MAX_COMPARED + 1 },
        (_, i) => `r${i}`
      );
      expect(commands.isEnabled(CommandIDs.compare, { runIds })).toBe(false);
      expect(await commands.execute(CommandIDs.compare, { runIds })).toBeNull();
      expect(opened).toEqual([]);
      expect(server.calls).toHaveLength(0);
      expect(notices[0][0]).toBe('warning');
      expect(notices[0][1]).toContain(`(got ${MAX_COMPARED + 1})`);

      const most = runIds.slice(0, MAX_COMPARED);
      expect(commands.isEnabled(CommandIDs.compare, { runIds: most })).toBe(
        true
      );
    });

    it('activates an open comparison of the same runs instead of a second one', async () => {
      const first = await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b', 'c']
      });
      const again = await commands.execute(CommandIDs.compare, {
        runIds: ['c', 'a', 'b']
      });
      expect(again).toBe(first);
      expect(opened).toHaveLength(1);
      expect(activated).toEqual([first]);
      expect(tracker.size).toBe(1);
    });

    it('opens another comparison for other runs or another notebook', async () => {
      await commands.execute(CommandIDs.compare, { runIds: ['a', 'b'] });
      await commands.execute(CommandIDs.compare, { runIds: ['a', 'c'] });
      await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b'],
        path: 'nb/other.ipynb'
      });
      await commands.execute(CommandIDs.compare, { runIds: ['a', 'b', 'c'] });
      expect(opened).toHaveLength(4);
      expect(activated).toEqual([]);
    });

    it('opens a new comparison once the old one is closed', async () => {
      const first = (await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b']
      })) as CompareWidget;
      first.dispose();
      const second = await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b']
      });
      expect(second).not.toBe(first);
      expect(opened).toHaveLength(2);
    });

    it('disposes the view and says so when the shell cannot open it', async () => {
      openResult = false;
      const result = await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b']
      });
      expect(result).toBeNull();
      expect(tracker.size).toBe(0);
      expect(cannotOpen).toHaveBeenCalledWith({ runIds: ['a', 'b'], path: NB });
    });
  });

  describe('compare-with', () => {
    it('compares the run with the picked ones', async () => {
      picks = ['c', 'a', 'b'];
      const widget = (await commands.execute(CommandIDs.compareWith, {
        runId: 'a'
      })) as CompareWidget;
      expect(pickCalls).toEqual([{ runId: 'a', others: ['b', 'c'] }]);
      expect(widget.model.runIds).toEqual(['a', 'c', 'b']);
      expect(widget.model.path).toBe(NB);
    });

    it('opens nothing when nothing is picked', async () => {
      picks = [];
      expect(
        await commands.execute(CommandIDs.compareWith, { runId: 'a' })
      ).toBeNull();
      expect(opened).toEqual([]);
      expect(notices).toEqual([]);
    });

    it('is disabled without a run', () => {
      expect(commands.isEnabled(CommandIDs.compareWith, {})).toBe(false);
      expect(commands.isEnabled(CommandIDs.compareWith, { runId: 'a' })).toBe(
        true
      );
    });
  });

  describe('release-run', () => {
    it('releases, tells the user and reloads the comparisons of the run', async () => {
      const widget = (await commands.execute(CommandIDs.compare, {
        runIds: ['a', 'b']
      })) as CompareWidget;
      await flush();
      const before = server.callsTo('runs/compare').length;
      const result = await commands.execute(CommandIDs.releaseRun, {
        runId: 'b',
        path: NB
      });
      expect(result).toEqual(RELEASE);
      expect(server.callsTo('runs/release')[0].body).toEqual({
        path: NB,
        run_id: 'b',
        name: 'v1',
        model_card: false
      });
      expect(notices).toEqual([
        ['success', 'Released run run-b as tag v1 at commit ccccccc.']
      ]);
      expect(onReleased).toHaveBeenCalledWith(RELEASE, 'b');
      expect(server.callsTo('runs/compare').length).toBe(before + 1);
      expect(widget.model.runIds).toContain('b');
    });

    it('does nothing when the dialog is cancelled', async () => {
      releaseAnswers = async () => null;
      expect(
        await commands.execute(CommandIDs.releaseRun, { runId: 'b', path: NB })
      ).toBeNull();
      expect(server.callsTo('runs/release')).toHaveLength(0);
      expect(notices).toEqual([]);
      expect(onReleased).not.toHaveBeenCalled();
    });

    it('rejects with a server failure (the failure reporter shows it)', async () => {
      server.handlers['runs/release'] = () => {
        throw new ReproRequestError('git is broken', 500, 'git-error');
      };
      const failure = await commands
        .execute(CommandIDs.releaseRun, { runId: 'b', path: NB })
        .catch(error => error);
      expect(failure.message).toBe('Cannot release the run: git is broken');
      expect(failure.status).toBe(500);
      expect(failure.reason).toBe('git-error');
      expect(notices).toEqual([]);
      expect(onReleased).not.toHaveBeenCalled();
    });
  });

  describe('compare-from-url', () => {
    it('round-trips the comparison of a URL and waits for the layout', async () => {
      let ready!: () => void;
      commands = new CommandRegistry();
      setup({ ready: new Promise<void>(resolve => (ready = resolve)) });
      const search =
        '?' +
        compareUrlQuery({ runIds: ['a', 'b'], path: NB, metrics: ['loss'] });
      const pending = commands.execute(CommandIDs.compareFromUrl, { search });
      await flush();
      expect(opened).toEqual([]);
      ready();
      const widget = (await pending) as CompareWidget;
      expect(widget.args).toEqual({
        runIds: ['a', 'b'],
        path: NB,
        metrics: ['loss']
      });
    });

    it('reads only well-formed comparisons', () => {
      expect(compareUrlArgs('')).toBeNull();
      expect(compareUrlArgs('?repro-compare=not-json')).toBeNull();
      expect(
        compareUrlArgs('?' + compareUrlQuery({ runIds: ['a'], path: NB }))
      ).toBeNull();
      expect(
        compareUrlArgs(
          '?repro-compare=' +
            encodeURIComponent(
              JSON.stringify({ runIds: ['a', 'b', 'a'], path: 3 })
            )
        )
      ).toEqual({ runIds: ['a', 'b'], path: null });
    });
  });
});
