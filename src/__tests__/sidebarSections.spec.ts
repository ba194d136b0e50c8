import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { PathFollower } from '../status/follow';
import { ReproModel } from '../status/model';
import { ReproSidebar } from '../status/sidebar';
import { statusReply } from './snapshotFakes';

function section(label: string): Widget {
  const widget = new Widget();
  widget.title.label = label;
  return widget;
}

function makeSidebar(follower: PathFollower | null = null) {
  const model = new ReproModel({
    requester: async <T>() => statusReply('') as T,
    version: '1.0.0',
    autoStart: false
  });
  const sidebar = new ReproSidebar({
    model,
    trans: nullTranslator.load('jupyterlab_repro'),
    commands: new CommandRegistry(),
    follower,
    disposeModel: true
  });
  return { model, sidebar };
}

describe('the sidebar sections the feature plugins add', () => {
  it('shows them by their order, whatever order they come in', () => {
    const { sidebar } = makeSidebar();
    sidebar.addSection(section('Releases'), 1, { order: 30 });
    sidebar.addSection(section('Snapshot & commit'), 3, { order: 10 });
    sidebar.addSection(section('Runs'), 2, { order: 20 });
    expect(sidebar.widgets.map(w => w.title.label)).toEqual([
      'Repository',
      'Snapshot & commit',
      'Runs',
      'Releases'
    ]);
    sidebar.dispose();
  });

  it('appends a section without an order', () => {
    const { sidebar } = makeSidebar();
    sidebar.addSection(section('B'), 1, { order: 20 });
    sidebar.addSection(section('last'));
    sidebar.addSection(section('A'), 1, { order: 10 });
    expect(sidebar.widgets.map(w => w.title.label)).toEqual([
      'Repository',
      'A',
      'B',
      'last'
    ]);
    sidebar.dispose();
  });

  it('passes path sources to its follower and follows on demand', () => {
    const { model, sidebar } = makeSidebar();
    const follower = new PathFollower({
      target: model,
      current: () => 'widget',
      folder: () => null
    });
    const { sidebar: following } = makeSidebar(follower);
    const source = following.addPathSource(
      widget => (widget === 'widget' ? 'proj/x.ipynb' : undefined),
      10
    );
    following.follow();
    expect(model.path).toBe('proj/x.ipynb');
    source.dispose();
    expect(follower.choose()).toBeNull();
    // Without a follower, sources are accepted and ignored.
    expect(sidebar.addPathSource(() => 'y', 1).isDisposed).toBe(false);
    following.dispose();
    sidebar.dispose();
  });

  it('disposes its model last when it owns it', () => {
    const { model, sidebar } = makeSidebar();
    const order: string[] = [];
    sidebar.own({
      get isDisposed() {
        return false;
      },
      dispose: () => order.push(model.isDisposed ? 'after' : 'before')
    });
    sidebar.dispose();
    expect(order).toEqual(['before']);
    expect(model.isDisposed).toBe(true);
  });
});
