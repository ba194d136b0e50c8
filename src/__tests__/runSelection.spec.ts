import { ReproRequestError } from '../common/api';
import { RunsModel } from '../runs/model';
import { MAX_SELECTED, RunSelection } from '../runs/selection';
import { FakeServer, group, reply, run, SHA_A, SHA_B } from './runsFakes';

describe('RunSelection', () => {
  let server: FakeServer;
  let runs: RunsModel;
  let selection: RunSelection;
  let changes: number;

  const ids = Array.from({ length: 12 }, (_, i) => `r${i}`);

  async function follow(path: string, runIds: string[]): Promise<void> {
    runs.setPath(path);
    await server.answer(
      server.calls.length - 1,
      reply(
        [
          group(
            SHA_A,
            runIds.map(id => run(id))
          )
        ],
        null,
        path
      )
    );
  }

  beforeEach(async () => {
    server = new FakeServer();
    runs = new RunsModel({ requester: server.requester, autoStart: false });
    selection = new RunSelection(runs);
    changes = 0;
    selection.changed.connect(() => changes++);
    await follow('nb/train.ipynb', ids);
    changes = 0;
  });

  afterEach(() => {
    selection.dispose();
    runs.dispose();
  });

  it('toggles runs in the order they were ticked', () => {
    selection.toggle('r3');
    selection.toggle('r1');
    selection.toggle('r2');
    expect(selection.ids).toEqual(['r3', 'r1', 'r2']);
    expect(selection.size).toBe(3);
    expect(selection.has('r1')).toBe(true);
    selection.toggle('r1');
    expect(selection.ids).toEqual(['r3', 'r2']);
    expect(selection.has('r1')).toBe(false);
    expect(changes).toBe(4);
  });

  it('hands out copies of its ids', () => {
    selection.toggle('r1');
    const got = selection.ids;
    got.push('r2');
    expect(selection.ids).toEqual(['r1']);
  });

  it(`caps at ${MAX_SELECTED} runs`, () => {
    expect(MAX_SELECTED).toBe(10);
    for (const id of ids.slice(0, MAX_SELECTED)) {
      expect(selection.add(id)).toBe(true);
    }
    expect(selection.full).toBe(true);
    changes = 0;
    selection.toggle('r10');
    expect(selection.add('r11')).toBe(false);
    expect(selection.size).toBe(MAX_SELECTED);
    expect(selection.has('r10')).toBe(false);
    expect(changes).toBe(0);
    // A selected run can still be added (no-op) or unticked.
    expect(selection.add('r0')).toBe(true);
    expect(changes).toBe(0);
    selection.toggle('r0');
    expect(selection.full).toBe(false);
    selection.toggle('r10');
    expect(selection.ids[MAX_SELECTED - 1]).toBe('r10');
  });

  it('clears', () => {
    selection.toggle('r1');
    selection.toggle('r2');
    changes = 0;
    selection.clear();
    expect(selection.ids).toEqual([]);
    expect(changes).toBe(1);
  });

  it('is forgotten when another notebook is followed', async () => {
    selection.toggle('r1');
    selection.toggle('r2');
    changes = 0;
    runs.setPath('nb/other.ipynb');
    expect(selection.ids).toEqual([]);
    expect(changes).toBe(1);
    await server.answer(
      server.calls.length - 1,
      reply([group(SHA_B, [run('r1')])], null, 'nb/other.ipynb')
    );
    expect(selection.ids).toEqual([]);
  });

  it('keeps runs while they are read again and drops those gone', async () => {
    selection.toggle('r1');
    selection.toggle('r2');
    selection.toggle('r3');
    changes = 0;
    void runs.refresh();
    expect(selection.ids).toEqual(['r1', 'r2', 'r3']);
    await server.answer(
      server.calls.length - 1,
      reply([group(SHA_A, [run('r3'), run('r1')])])
    );
    expect(selection.ids).toEqual(['r1', 'r3']);
    expect(changes).toBe(1);
  });

  it('keeps the selection when reading the runs fails', async () => {
    selection.toggle('r1');
    void runs.refresh();
    await server.fail(
      server.calls.length - 1,
      new ReproRequestError('MLflow is down', 503)
    );
    expect(selection.ids).toEqual(['r1']);
  });

  it('drops every run when none is listed any more', async () => {
    selection.toggle('r1');
    void runs.refresh();
    await server.answer(server.calls.length - 1, reply([]));
    expect(runs.state).toBe('empty');
    expect(selection.ids).toEqual([]);
  });

  it('stops following the runs once disposed', async () => {
    selection.toggle('r1');
    selection.dispose();
    expect(selection.isDisposed).toBe(true);
    runs.setPath('nb/other.ipynb');
    expect(selection.ids).toEqual(['r1']);
    selection.dispose();
  });
});
