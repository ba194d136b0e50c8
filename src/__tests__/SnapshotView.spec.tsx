import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { addGuardrailFixCommand, hookOutputBody } from '../commit/commands';
import { CommandIDs } from '../common/commandIds';
import { diffLineClass } from '../common/DiffPreview';
import { SnapshotView, truncateLines } from '../commit/SnapshotView';
import { ReproModel } from '../status/model';
import { SnapshotModel } from '../commit/model';
import {
  changesReply,
  DIFF_TEXT,
  FakeServer,
  file,
  flush,
  snapshotReply,
  standardServer
} from './snapshotFakes';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const NB = 'proj/train.ipynb';

describe('SnapshotView', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let repro: ReproModel;
  let model: SnapshotModel;
  let onCommit: jest.Mock;
  let commands: CommandRegistry;
  const trans = nullTranslator.load('jupyterlab_repro');

  async function render(path = NB): Promise<void> {
    await act(async () => {
      root.render(
        <SnapshotView model={model} trans={trans} commands={commands} />
      );
    });
    await act(async () => {
      repro.setPath(path);
      await flush();
    });
  }

  function q<T extends Element = HTMLElement>(selector: string): T | null {
    return host.querySelector<T>(selector);
  }

  function type(input: HTMLInputElement, value: string): void {
    // React tracks the value itself: set it through the native setter.
    const setter = Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!;
    setter.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  beforeEach(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
    server = standardServer();
    repro = new ReproModel({
      requester: server.requester,
      version: '1.0.0',
      autoStart: false
    });
    model = new SnapshotModel({
      requester: server.requester,
      repro,
      debounce: 0
    });
    onCommit = jest.fn();
    commands = new CommandRegistry();
    commands.addCommand(CommandIDs.snapshot, { execute: () => onCommit() });
    addGuardrailFixCommand(commands, { snapshot: model, trans });
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    model.dispose();
    repro.dispose();
  });

  it('shows files with classification badges and the diff in a read-only editor', async () => {
    await render();
    const section = q('.jp-Repro-Snapshot')!;
    expect(section.getAttribute('data-state')).toBe('ready');

    const rows = host.querySelectorAll('.jp-Repro-Snapshot-file');
    expect(Array.from(rows).map(r => r.getAttribute('data-path'))).toEqual([
      'train.ipynb', // the followed notebook comes first
      'config.yaml',
      'other.ipynb',
      'model.pt'
    ]);
    const badge = (path: string) =>
      q(`.jp-Repro-Snapshot-file[data-path="${path}"] .jp-Repro-Snapshot-badge`)
        ?.textContent;
    expect(badge('train.ipynb')).toBe('source changes');
    expect(badge('other.ipynb')).toBe('outputs only');
    expect(badge('config.yaml')).toBeUndefined();
    expect(
      q('.jp-Repro-Snapshot-file[data-path="other.ipynb"]')?.getAttribute(
        'data-classification'
      )
    ).toBe('outputs-only');
    expect(
      q('.jp-Repro-Snapshot-file[data-path="config.yaml"]')?.getAttribute(
        'data-classification'
      )
    ).toBe('none');

    // The followed notebook is always included; weights cannot be ticked.
    const check = (path: string) =>
      q<HTMLInputElement>(
        `.jp-Repro-Snapshot-file[data-path="${path}"] input[type="checkbox"]`
      )!;
    expect(check('train.ipynb').checked).toBe(true);
    expect(check('train.ipynb').disabled).toBe(true);
    expect(check('model.pt').disabled).toBe(true);
    expect(check('config.yaml').disabled).toBe(false);
    act(() => check('config.yaml').click());
    expect(model.ticked.has('config.yaml')).toBe(true);

    // Guardrail row with both fixes (LFS is available and possible).
    const weights = q('.jp-Repro-Snapshot-file[data-path="model.pt"]')!;
    expect(weights.textContent).toContain('model weights');
    expect(weights.textContent).toContain('50.0 MB');
    expect(
      weights.querySelector('.jp-Repro-Snapshot-gitignore')
    ).not.toBeNull();
    expect(weights.querySelector('.jp-Repro-Snapshot-lfs')).not.toBeNull();

    const diff = q('.jp-Repro-Snapshot-diff')!;
    expect(diff.querySelector('.cm-content')).not.toBeNull();
    expect(
      diff.querySelector('.cm-content')?.getAttribute('contenteditable')
    ).toBe('false');
    expect(diff.textContent).toContain('"n_estimators": 50,');
    expect(diff.querySelector('.jp-mod-added')?.textContent).toBe(
      '+    "n_estimators": 50,'
    );
    expect(diff.querySelector('.jp-mod-removed')?.textContent).toBe(
      '-    "n_estimators": 30,'
    );
  });

  it('renders hostile names, diff text and messages as text', async () => {
    server.handlers.changes = () =>
      changesReply([
        file('train.ipynb'),
        file(`${HOSTILE}.txt`, {
          error: HOSTILE,
          violation: {
            path: HOSTILE,
            kind: HOSTILE,
            size: 1,
            rule: HOSTILE,
            lfs_possible: false
          }
        })
      ]);
    server.handlers.diff = () => ({
      path: NB,
      from: 'HEAD',
      to: null,
      text: `## cell 0 (code) modified\n+${HOSTILE}\n`,
      has_changes: true,
      summary: {}
    });
    server.handlers.snapshot = () =>
      snapshotReply({ message: `exp: ${HOSTILE}\n` });
    await render();
    await act(async () => {
      model.setMessage(HOSTILE);
      await model.snapshot();
    });
    expect(q('img')).toBeNull();
    expect((window as any).__pwned).toBeUndefined();
    expect(
      q(`.jp-Repro-Snapshot-file[data-path='${HOSTILE}.txt']`)?.textContent
    ).toContain(HOSTILE);
    expect(q('.jp-Repro-Snapshot-lfs')).toBeNull(); // lfs_possible false
    expect(q('.jp-Repro-Snapshot-resultSubject')?.textContent).toBe(
      `exp: ${HOSTILE}`
    );
  });

  it('shows the hook output as preformatted text', async () => {
    await render();
    const { ReproRequestError } = await import('../common/api');
    server.handlers.snapshot = () => {
      throw new ReproRequestError('hook failed', 422, 'hook-rejected', {
        output: `${HOSTILE}\nline 2`
      });
    };
    await act(async () => {
      model.setMessage('x');
      await model.snapshot().catch(() => undefined);
    });
    expect(q('.jp-Repro-Snapshot-error')?.getAttribute('role')).toBe('alert');
    expect(q('pre.jp-Repro-Snapshot-hookOutput')?.textContent).toBe(
      `${HOSTILE}\nline 2`
    );
    expect(q('img')).toBeNull();
  });

  it('submits from the message with Enter and only with a message', async () => {
    await render();
    const input = q<HTMLInputElement>('input.jp-Repro-Snapshot-message')!;
    const button = q<HTMLButtonElement>('button.jp-Repro-Snapshot-commit')!;
    // Enabled: an empty message is explained, not silently ignored.
    expect(button.disabled).toBe(false);
    expect(q('.jp-Repro-Snapshot-hint')).toBeNull();
    act(() => {
      input.form!.requestSubmit();
    });
    expect(onCommit).not.toHaveBeenCalled();
    const hint = q('.jp-Repro-Snapshot-hint');
    expect(hint?.textContent).toContain('commit message');
    expect(hint?.getAttribute('role')).toBe('alert');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(hint?.id);

    act(() => type(input, 'more trees'));
    expect(model.message).toBe('more trees');
    expect(q('.jp-Repro-Snapshot-hint')).toBeNull();
    expect(input.hasAttribute('aria-invalid')).toBe(false);
    expect(button.disabled).toBe(false);
    act(() => {
      input.form!.requestSubmit();
    });
    expect(onCommit).toHaveBeenCalledTimes(1);

    expect(q<HTMLSelectElement>('select.jp-Repro-Snapshot-type')?.value).toBe(
      'exp'
    );
    expect(
      q<HTMLInputElement>('input.jp-Repro-Snapshot-clearOutputs')?.checked
    ).toBe(false);
    expect(q('input.jp-Repro-Snapshot-tag')).not.toBeNull();
    expect(q('input.jp-Repro-Snapshot-branch')).not.toBeNull();
  });

  it('marks the section and the button busy during a snapshot', async () => {
    await render();
    let release: (value: unknown) => void = () => undefined;
    server.handlers.snapshot = () =>
      new Promise(resolve => {
        release = resolve;
      });
    let done: Promise<unknown> = Promise.resolve();
    await act(async () => {
      model.setMessage('slow');
      done = model.snapshot();
      await flush();
    });
    expect(q('.jp-Repro-Snapshot')?.getAttribute('data-state')).toBe('busy');
    const button = q<HTMLButtonElement>('button.jp-Repro-Snapshot-commit')!;
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-busy')).toBe('true');
    await act(async () => {
      release(snapshotReply());
      await done;
    });
    expect(q('.jp-Repro-Snapshot')?.getAttribute('data-state')).toBe('ready');
    expect(q('.jp-Repro-Snapshot-resultSha')?.textContent).toBe('ccccccc');
  });

  it('says when the repository starts above the server root', async () => {
    server.handlers.changes = () => ({
      ...changesReply([file('train.ipynb')]),
      root: null,
      above_root: true
    });
    await render();
    expect(q('.jp-Repro-Snapshot')?.getAttribute('data-state')).toBe('ready');
    const note = q('.jp-Repro-Snapshot-aboveRoot');
    expect(note?.textContent).toBe(
      "The repository's root is above the server root: only files inside the server root are shown or changed."
    );
    expect(note?.children.length).toBe(0);
    // The files inside the server root are still listed.
    expect(
      q('.jp-Repro-Snapshot-file[data-path="train.ipynb"]')
    ).not.toBeNull();
  });

  it('has no above-root note in a repository inside the server root', async () => {
    await render();
    expect(q('.jp-Repro-Snapshot')?.getAttribute('data-state')).toBe('ready');
    expect(q('.jp-Repro-Snapshot-aboveRoot')).toBeNull();
    expect(host.textContent).not.toContain('above the server root');
  });

  it('asks for a notebook when a folder is followed', async () => {
    await render('proj');
    expect(q('.jp-Repro-Snapshot')?.getAttribute('data-state')).toBe('ready');
    expect(q('form.jp-Repro-Snapshot-form')).toBeNull();
    expect(q('.jp-Repro-Snapshot-diff')).toBeNull();
  });

  it('cuts long diffs to the configured number of lines', async () => {
    const long = Array.from({ length: 30 }, (_, i) => `+line ${i}`).join('\n');
    server.handlers.diff = () => ({
      path: NB,
      from: 'HEAD',
      to: null,
      text: `${long}\n`,
      has_changes: true,
      summary: {}
    });
    model.setDefaults({ maxDiffLines: 10 });
    await render();
    expect(q('.jp-Repro-Snapshot-diff')?.textContent).toContain('+line 9');
    expect(q('.jp-Repro-Snapshot-diff')?.textContent).not.toContain('+line 10');
    expect(q('.jp-Repro-Snapshot-preview')?.textContent).toContain(
      '20 more lines not shown.'
    );
  });
});

describe('guardrail fixes and hook output', () => {
  it('offers the fixes of a violation and ticks the changed .gitignore', async () => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    const host = document.createElement('div');
    document.body.appendChild(host);
    const root = createRoot(host);
    const server = standardServer();
    const repro = new ReproModel({
      requester: server.requester,
      version: '1.0.0',
      autoStart: false
    });
    const model = new SnapshotModel({
      requester: server.requester,
      repro,
      debounce: 0
    });
    const trans = nullTranslator.load('jupyterlab_repro');
    const commands = new CommandRegistry();
    addGuardrailFixCommand(commands, { snapshot: model, trans });
    await act(async () => {
      root.render(
        <SnapshotView model={model} trans={trans} commands={commands} />
      );
    });
    await act(async () => {
      repro.setPath(NB);
      await flush();
    });
    server.handlers['guardrails/fix'] = () => ({ added: ['*.pt'] });
    server.handlers.changes = () =>
      changesReply([file('train.ipynb'), file('.gitignore')]);
    await act(async () => {
      host
        .querySelector<HTMLButtonElement>(
          '.jp-Repro-Snapshot-file[data-path="model.pt"] .jp-Repro-Snapshot-gitignore'
        )!
        .click();
      await flush();
    });
    expect(server.callsTo('guardrails/fix')[0].body).toEqual({
      path: NB,
      action: 'gitignore',
      rules: ['*.pt']
    });
    expect(
      host.querySelector<HTMLInputElement>(
        '.jp-Repro-Snapshot-file[data-path=".gitignore"] input'
      )?.checked
    ).toBe(true);
    expect(host.querySelector('[data-path="model.pt"]')).toBeNull();
    act(() => root.unmount());
    host.remove();
    model.dispose();
    repro.dispose();
  });

  it('puts hook output in a <pre> as text', () => {
    const body = hookOutputBody('rejected', `${HOSTILE}\nE501`);
    expect(body.node.querySelector('img')).toBeNull();
    expect(body.node.querySelector('p')?.textContent).toBe('rejected');
    expect(body.node.querySelector('pre')?.textContent).toBe(
      `${HOSTILE}\nE501`
    );
  });
});

describe('diff helpers', () => {
  it('classes diff lines', () => {
    expect(diffLineClass('+x')).toContain('jp-mod-added');
    expect(diffLineClass('-x')).toContain('jp-mod-removed');
    expect(diffLineClass('@@ -1 +1 @@')).toContain('jp-mod-hunk');
    expect(diffLineClass('## cell 1 (code) modified')).toContain('jp-mod-cell');
    expect(diffLineClass(' context')).toBeNull();
  });

  it('truncates text by lines', () => {
    expect(truncateLines(DIFF_TEXT, 100).omitted).toBe(0);
    expect(truncateLines('a\nb\nc\n', 2)).toEqual({ text: 'a\nb', omitted: 1 });
  });
});
