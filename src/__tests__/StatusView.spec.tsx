import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { StatusView } from '../status/StatusView';
import { ReproModel } from '../status/model';
import { IStatusReply } from '../tokens';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

function hostileReply(): IStatusReply {
  return {
    version: '1.0.0',
    path: `${HOSTILE}.ipynb`,
    kind: 'file',
    directory: '',
    reason: null,
    identity: { name: null, email: null, missing: true },
    repository: {
      root: '',
      contains_server_root: false,
      branch: HOSTILE,
      detached: false,
      has_commits: true,
      head: {
        sha: 'b'.repeat(40),
        short_sha: 'bbbbbbb',
        subject: HOSTILE,
        author_name: HOSTILE,
        author_email: 'x@example.com',
        authored_at: '2026-01-01T00:00:00+00:00',
        committed_at: '2026-01-01T00:00:00+00:00'
      },
      upstream: null,
      ahead: null,
      behind: null,
      changes: {
        staged: 1,
        unstaged: 1,
        untracked: 0,
        conflicted: 0,
        dirty: true
      },
      dirty: true,
      file_state: 'modified'
    }
  };
}

describe('StatusView', () => {
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

  it('renders server data as text, never as HTML', async () => {
    const requester: Requester = async <T,>() => hostileReply() as T;
    const model = new ReproModel({
      requester,
      version: '1.0.0',
      autoStart: false
    });
    const trans = nullTranslator.load('jupyterlab_repro');
    await act(async () => {
      root.render(
        <StatusView
          model={model}
          trans={trans}
          commands={new CommandRegistry()}
        />
      );
    });
    await act(async () => {
      model.setPath(`${HOSTILE}.ipynb`);
      await model.refresh();
    });
    expect(host.querySelector('img')).toBeNull();
    expect(
      host.querySelector('.jp-Repro-Status')?.getAttribute('data-state')
    ).toBe('ready');
    expect(
      host.querySelector('.jp-Repro-Status-headSubject')?.textContent
    ).toBe(HOSTILE);
    expect(host.querySelector('.jp-Repro-Status-branch')?.textContent).toBe(
      HOSTILE
    );
    expect(host.querySelector('.jp-Repro-Status-changes')?.textContent).toBe(
      '2 changed files'
    );
    // Identity missing: the form asks for it.
    expect(
      host.querySelector('.jp-Repro-Identity input[name="email"]')
    ).not.toBeNull();
    expect((window as any).__pwned).toBeUndefined();
    model.dispose();
  });

  async function renderStatus(reply: IStatusReply, path: string) {
    const requester: Requester = async <T,>() => reply as T;
    const model = new ReproModel({
      requester,
      version: '1.0.0',
      autoStart: false
    });
    const trans = nullTranslator.load('jupyterlab_repro');
    await act(async () => {
      root.render(
        <StatusView
          model={model}
          trans={trans}
          commands={new CommandRegistry()}
        />
      );
    });
    await act(async () => {
      model.setPath(path);
      await model.refresh();
    });
    return model;
  }

  const ABOVE_ROOT_NOTE =
    "The repository's root is above the server root: only files inside the server root are shown or changed.";

  function aboveRootReply(path: string): IStatusReply {
    const reply = hostileReply();
    return {
      ...reply,
      path,
      kind: 'directory',
      identity: { name: 'A', email: 'a@example.com', missing: false },
      repository: {
        ...reply.repository!,
        root: null,
        contains_server_root: true,
        branch: 'main'
      }
    };
  }

  it('says when the repository starts above the server root, and names no folder', async () => {
    const model = await renderStatus(aboveRootReply(''), '');
    expect(
      host.querySelector('.jp-Repro-Status')?.getAttribute('data-state')
    ).toBe('ready');
    const note = host.querySelector('.jp-Repro-Status-aboveRoot');
    expect(note?.textContent).toBe(ABOVE_ROOT_NOTE);
    expect(note?.children.length).toBe(0);
    // The server root is not called '/' (nor anything absolute) here.
    const header = host.querySelector('.jp-Repro-Status-path');
    expect(header?.textContent).toBe('');
    expect(header?.hasAttribute('title')).toBe(false);
    expect(host.querySelector('.jp-Repro-Status-branch')?.textContent).toBe(
      'main'
    );
    model.dispose();
  });

  it('shows the followed path relative to the server root above the root too', async () => {
    const model = await renderStatus(aboveRootReply('sub/dir'), 'sub/dir');
    expect(host.querySelector('.jp-Repro-Status-aboveRoot')?.textContent).toBe(
      ABOVE_ROOT_NOTE
    );
    expect(host.querySelector('.jp-Repro-Status-path')?.textContent).toBe(
      'sub/dir'
    );
    model.dispose();
  });

  it('has no above-root note when the repository is inside the server root', async () => {
    const reply = hostileReply();
    const model = await renderStatus(
      { ...reply, path: '', kind: 'directory' },
      ''
    );
    expect(
      host.querySelector('.jp-Repro-Status')?.getAttribute('data-state')
    ).toBe('ready');
    expect(host.querySelector('.jp-Repro-Status-aboveRoot')).toBeNull();
    expect(host.textContent).not.toContain('above the server root');
    expect(host.querySelector('.jp-Repro-Status-path')?.textContent).toBe('/');
    model.dispose();
  });

  it('offers to initialize a repository outside one', async () => {
    const requester: Requester = async <T,>() =>
      ({
        ...hostileReply(),
        repository: null,
        reason: 'not-a-repository'
      }) as T;
    const model = new ReproModel({
      requester,
      version: '1.0.0',
      autoStart: false
    });
    const onInit = jest.fn();
    const commands = new CommandRegistry();
    commands.addCommand(CommandIDs.init, { execute: () => onInit() });
    const trans = nullTranslator.load('jupyterlab_repro');
    await act(async () => {
      root.render(
        <StatusView model={model} trans={trans} commands={commands} />
      );
    });
    await act(async () => {
      await model.refresh();
    });
    const button = host.querySelector<HTMLButtonElement>(
      'button.jp-Repro-Status-init'
    );
    expect(button?.textContent).toBe('Initialize a repository here');
    act(() => button!.click());
    expect(onInit).toHaveBeenCalledTimes(1);
    model.dispose();
  });
});
