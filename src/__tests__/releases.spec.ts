import { Signal } from '@lumino/signaling';

import { ReproRequestError } from '../common/api';
import { ReleasesModel, releasesOf } from '../compare/releases';
import { ITag } from '../compare/types';
import { IReproModel } from '../tokens';
import { FakeServer } from './runsFakes';
import { markingTrans, HOSTILE_IMG } from './compareFakes';
import { statusReply } from './snapshotFakes';

function tag(name: string, overrides: Partial<ITag> = {}): ITag {
  return {
    name,
    commit: 'c'.repeat(40),
    annotated: true,
    tagger: 'Ann',
    date: '2026-01-02T10:00:00+00:00',
    subject: `Release ${name}`,
    body: '',
    release: {
      run_id: 'r'.repeat(32),
      run_name: `run-${name}`,
      'metric.accuracy': '0.93',
      'param.lr': '0.1',
      'metric.loss': '0.21',
      'metric.f1': '0.9',
      'metric.auc': '0.95'
    },
    ...overrides
  };
}

describe('releasesOf', () => {
  it('keeps the release tags in order with up to three metrics', () => {
    const releases = releasesOf([
      tag('v2'),
      tag('plain', { annotated: false, release: null }),
      tag('notes', { release: { note: 'no run' } }),
      tag('v1', { release: { run_id: 'x', 'metric.loss': '1' } })
    ]);
    expect(releases.map(r => r.tag)).toEqual(['v2', 'v1']);
    expect(releases[0]).toEqual({
      tag: 'v2',
      date: '2026-01-02T10:00:00+00:00',
      commit: 'c'.repeat(40),
      runId: 'r'.repeat(32),
      runName: 'run-v2',
      metrics: [
        ['accuracy', '0.93'],
        ['loss', '0.21'],
        ['f1', '0.9']
      ]
    });
    expect(releases[1].runName).toBeNull();
  });

  it('shows a release metric in four significant digits, text as it is', () => {
    const [release] = releasesOf([
      tag('v3', {
        release: {
          run_id: 'x',
          'metric.accuracy': '0.824444444444',
          'metric.loss': '1.07512345',
          'metric.note': 'n/a'
        }
      })
    ]);
    expect(release.metrics).toEqual([
      ['accuracy', '0.8244'],
      ['loss', '1.075'],
      ['note', 'n/a']
    ]);
  });
});

describe('ReleasesModel', () => {
  let server: FakeServer;
  let model: ReleasesModel;

  beforeEach(() => {
    server = new FakeServer();
    model = new ReleasesModel({ requester: server.requester });
  });

  afterEach(() => model.dispose());

  it('starts idle and asks nothing', () => {
    expect(model.state).toBe('idle');
    expect(server.calls).toHaveLength(0);
  });

  it('lists the release tags of a path: loading → ready', async () => {
    model.setPath('nb/实验 1.ipynb');
    expect(model.state).toBe('loading');
    expect(server.calls[0].endpoint).toBe(
      `tags?path=${encodeURIComponent('nb/实验 1.ipynb')}`
    );
    await server.answer(0, { tags: [tag('v1'), tag('x', { release: null })] });
    expect(model.state).toBe('ready');
    expect(model.releases.map(r => r.tag)).toEqual(['v1']);
  });

  it('is empty when no tag is a release', async () => {
    model.setPath('nb/a.ipynb');
    await server.answer(0, { tags: [tag('x', { release: null })] });
    expect(model.state).toBe('empty');
    expect(model.releases).toEqual([]);
  });

  it('reports the server message, or its own translated one', async () => {
    model.setPath('nb/a.ipynb');
    await server.fail(0, new ReproRequestError('not a repository', 400));
    expect(model.state).toBe('error');
    expect(model.message).toBe('not a repository');

    const other = new ReleasesModel({
      requester: server.requester,
      trans: markingTrans()
    });
    other.setPath('nb/a.ipynb');
    await server.fail(1, 'weird');
    expect(other.message).toBe('«Cannot list the release tags.»');
    other.dispose();
  });

  it('drops the reply of a path no longer followed', async () => {
    model.setPath('one/a.ipynb');
    model.setPath('two/b.ipynb');
    await server.answer(1, { tags: [tag('two')] });
    await server.answer(0, { tags: [tag('one')] });
    expect(model.path).toBe('two/b.ipynb');
    expect(model.releases.map(r => r.tag)).toEqual(['two']);
  });

  it('goes idle for no path and forgets the releases', async () => {
    model.setPath('nb/a.ipynb');
    await server.answer(0, { tags: [tag('v1')] });
    model.setPath(null);
    expect(model.state).toBe('idle');
    expect(model.releases).toEqual([]);
    await server.answer(0, { tags: [tag('late')] });
    expect(model.releases).toEqual([]);
  });

  it('keeps the list while refreshing the same path', async () => {
    model.setPath('nb/a.ipynb');
    await server.answer(0, { tags: [tag('v1')] });
    void model.refresh();
    expect(model.state).toBe('ready');
    expect(model.releases).toHaveLength(1);
    await server.answer(1, { tags: [tag('v2'), tag('v1')] });
    expect(model.releases.map(r => r.tag)).toEqual(['v2', 'v1']);
  });

  it('keeps hostile tag fields as plain strings', async () => {
    model.setPath('nb/a.ipynb');
    await server.answer(0, {
      tags: [
        tag(HOSTILE_IMG, {
          release: {
            run_id: 'x',
            run_name: HOSTILE_IMG,
            [`metric.${HOSTILE_IMG}`]: '1'
          }
        })
      ]
    });
    expect(model.releases[0].runName).toBe(HOSTILE_IMG);
    expect(model.releases[0].metrics).toEqual([[HOSTILE_IMG, '1']]);
  });
});

describe('ReleasesModel following the repository', () => {
  class FakeRepro {
    state = 'ready';
    path = 'proj/train.ipynb';
    status = statusReply('proj/train.ipynb');
    stateChanged = new Signal<this, void>(this);
  }

  it('lists the followed repository, again only when HEAD moves', async () => {
    const server = new FakeServer();
    const repro = new FakeRepro();
    const model = new ReleasesModel({
      requester: server.requester,
      repro: repro as unknown as IReproModel
    });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0].endpoint).toBe(
      `tags?path=${encodeURIComponent('proj/train.ipynb')}`
    );
    await server.answer(0, { tags: [tag('v1')] });

    // Another notebook of the same repository, same HEAD: nothing to read.
    repro.path = 'proj/other.ipynb';
    repro.status = statusReply('proj/other.ipynb');
    repro.stateChanged.emit();
    expect(server.calls).toHaveLength(1);

    // A new commit: read again.
    repro.status = statusReply('proj/other.ipynb');
    repro.status.repository!.head!.sha = 'f'.repeat(40);
    repro.stateChanged.emit();
    expect(server.calls).toHaveLength(2);

    // Out of any repository: idle.
    repro.path = 'elsewhere/x.ipynb';
    repro.status = statusReply('elsewhere/x.ipynb', false);
    repro.stateChanged.emit();
    expect(model.state).toBe('idle');

    model.dispose();
    repro.stateChanged.emit();
    expect(server.calls).toHaveLength(2);
  });
});
