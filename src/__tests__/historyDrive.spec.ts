import { nullTranslator } from '@jupyterlab/translation';

import { ReproRequestError } from '../common/api';
import {
  fetchNotebookVersion,
  HISTORY_DRIVE,
  HistoryDrive,
  historyPath,
  parseHistoryPath,
  readOnlyNotebook
} from '../history/drive';
import { FakeServer, flush, SHA_A, SHA_C } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

const NOTEBOOK = {
  cells: [
    {
      cell_type: 'code',
      id: 'model',
      metadata: { tags: ['export'] },
      source: 'params = {"n_estimators": 20}',
      outputs: [],
      execution_count: null
    },
    { cell_type: 'markdown', id: 'intro', metadata: {}, source: '# Wine' }
  ],
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
  nbformat: 4,
  nbformat_minor: 5
};

function version(commit = SHA_C, snapshot = true) {
  return {
    path: 'demo/train.ipynb',
    commit,
    snapshot,
    label: `train.ipynb @ ${commit.slice(0, 7)}`,
    content: NOTEBOOK
  };
}

const DOC = `${SHA_C}/demo/train.ipynb @ ccccccc (read-only)`;

describe('history paths', () => {
  it('name the version like its tab: the notebook @ the short sha (read-only)', () => {
    expect(
      historyPath({ commit: SHA_C, path: 'demo/train.ipynb' }, trans)
    ).toBe(`${HISTORY_DRIVE}:${DOC}`);
    expect(historyPath({ commit: SHA_A, path: 'train.ipynb' }, trans)).toBe(
      `ReproHistory:${SHA_A}/train.ipynb @ aaaaaaa (read-only)`
    );
  });

  it('give back the commit and the notebook, with or without the drive', () => {
    expect(parseHistoryPath(`ReproHistory:${DOC}`)).toEqual({
      commit: SHA_C,
      path: 'demo/train.ipynb'
    });
    expect(parseHistoryPath(DOC)).toEqual({
      commit: SHA_C,
      path: 'demo/train.ipynb'
    });
    // A name with " @ " in it keeps it; the last short sha counts.
    expect(
      parseHistoryPath(`${SHA_A}/a @ b.ipynb @ aaaaaaa (schreibgeschützt)`)
    ).toEqual({ commit: SHA_A, path: 'a @ b.ipynb' });
  });

  it('are nothing else', () => {
    expect(parseHistoryPath('demo/train.ipynb')).toBeNull();
    expect(parseHistoryPath(`${SHA_C}/demo`)).toBeNull();
    expect(parseHistoryPath(`${SHA_C}/train.ipynb @ aaaaaaa`)).toBeNull();
    expect(parseHistoryPath('not-a-sha/train.ipynb @ aaaaaaa')).toBeNull();
  });
});

describe('fetchNotebookVersion', () => {
  it('reads GET runs/notebook and writes nothing', async () => {
    const server = new FakeServer();
    const done = fetchNotebookVersion(
      server.requester,
      'demo/train.ipynb',
      SHA_C,
      trans
    );
    expect(server.calls[0].endpoint).toBe(
      `runs/notebook?path=demo%2Ftrain.ipynb&commit=${SHA_C}`
    );
    expect(server.calls[0].init).toBeUndefined();
    await server.answer(0, version());
    await expect(done).resolves.toEqual(version());
  });

  it('says when the server has no such route', async () => {
    const server = new FakeServer();
    const done = fetchNotebookVersion(server.requester, 'x.ipynb', SHA_A);
    await server.fail(0, new ReproRequestError('404 Not Found', 404, null));
    await expect(done).rejects.toThrow('not available in this version');
  });

  it("passes the server's own errors through", async () => {
    const server = new FakeServer();
    const done = fetchNotebookVersion(server.requester, 'x.ipynb', SHA_A);
    await server.fail(
      0,
      new ReproRequestError(
        'x.ipynb does not exist at aaaaaaa.',
        400,
        'invalid'
      )
    );
    await expect(done).rejects.toThrow('does not exist');
  });

  it('refuses a reply without a notebook', async () => {
    const server = new FakeServer();
    const done = fetchNotebookVersion(server.requester, 'x.ipynb', SHA_A);
    await server.answer(0, { path: 'x.ipynb', commit: SHA_A, content: null });
    await expect(done).rejects.toThrow('did not send');
  });
});

describe('HistoryDrive', () => {
  let server: FakeServer;
  let drive: HistoryDrive;

  beforeEach(() => {
    server = new FakeServer();
    drive = new HistoryDrive({ requester: server.requester, trans });
  });

  afterEach(() => drive.dispose());

  it('answers the notebook as it was, read-only, its cells not editable', async () => {
    const got = drive.get(DOC, {
      type: 'notebook',
      format: 'json',
      content: true
    });
    expect(server.query(0).get('commit')).toBe(SHA_C);
    expect(server.query(0).get('path')).toBe('demo/train.ipynb');
    await server.answer(0, version());
    const model = await got;
    expect(model.writable).toBe(false);
    expect(model.type).toBe('notebook');
    expect(model.format).toBe('json');
    expect(model.name).toBe('train.ipynb @ ccccccc (read-only)');
    expect(model.path).toBe(DOC);
    const cells = model.content.cells;
    expect(cells.map((c: any) => c.source)).toEqual([
      'params = {"n_estimators": 20}',
      '# Wine'
    ]);
    expect(cells[0].metadata).toEqual({
      tags: ['export'],
      editable: false,
      deletable: false
    });
    expect(drive.known(`ReproHistory:${DOC}`)?.snapshot).toBe(true);
  });

  it('reads each version once', async () => {
    const first = drive.get(DOC, { content: false });
    await server.answer(0, version());
    expect((await first).content).toBeNull();
    await drive.get(DOC, { content: true });
    expect(server.calls).toHaveLength(1);
  });

  it('asks again after a failed read', async () => {
    const first = drive.get(DOC);
    await server.fail(0, new ReproRequestError('MLflow hangs', 504, 'timeout'));
    await expect(first).rejects.toThrow('MLflow hangs');
    const second = drive.get(DOC);
    await server.answer(1, version());
    await expect(second).resolves.toBeTruthy();
  });

  it('has nothing but notebooks as they were (404, what Save As looks for)', async () => {
    await expect(drive.get('demo/train.ipynb')).rejects.toMatchObject({
      response: { status: 404 }
    });
    await expect(drive.get(DOC, { type: 'directory' })).rejects.toMatchObject({
      response: { status: 404 }
    });
    expect(server.calls).toHaveLength(0);
  });

  it('refuses every write with a clear message, asking the server nothing', async () => {
    const readOnly = /read-only historical copy: nothing is written/;
    await expect(
      drive.save(DOC, { type: 'notebook', format: 'json', content: NOTEBOOK })
    ).rejects.toThrow(readOnly);
    await expect(drive.save(DOC)).rejects.toMatchObject({
      response: { status: 403 }
    });
    await expect(drive.rename(DOC, `${SHA_C}/demo/x.ipynb`)).rejects.toThrow(
      readOnly
    );
    await expect(drive.delete(DOC)).rejects.toThrow(readOnly);
    await expect(drive.copy(DOC, 'demo')).rejects.toThrow(readOnly);
    await expect(drive.newUntitled({ path: 'demo' })).rejects.toThrow(
      'read-only'
    );
    await expect(drive.createCheckpoint(DOC)).rejects.toThrow(readOnly);
    await expect(drive.restoreCheckpoint(DOC, '1')).rejects.toThrow(readOnly);
    await expect(drive.getDownloadUrl(DOC)).rejects.toThrow(readOnly);
    await expect(drive.listCheckpoints(DOC)).resolves.toEqual([]);
    await flush();
    expect(server.calls).toHaveLength(0);
  });

  it('can hand the notebook to a text view', async () => {
    const got = drive.get(DOC, { format: 'text', type: 'file' });
    await server.answer(0, version());
    const model = await got;
    expect(model.format).toBe('text');
    expect(JSON.parse(model.content).cells).toHaveLength(2);
  });
});

describe('readOnlyNotebook', () => {
  it('leaves the notebook it was given alone', () => {
    const copy = readOnlyNotebook(NOTEBOOK);
    expect((NOTEBOOK.cells[0].metadata as any).editable).toBeUndefined();
    expect((copy.cells as any)[1].metadata).toEqual({
      editable: false,
      deletable: false
    });
  });
});
