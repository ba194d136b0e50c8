/**
 * The snapshot form says what it will do (issue 23): a subject longer than
 * git's 72 characters is counted and warned about, its overflow moves to
 * the body; the preview says when it lacks unsaved edits and saves first to
 * show what the commit will contain.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import {
  IUnsavedChanges,
  SnapshotModel,
  splitSubject,
  SUBJECT_LIMIT,
  subjectLine
} from '../commit/model';
import { SnapshotView } from '../commit/SnapshotView';
import { IOpenDocument, UnsavedDocuments } from '../commit/unsaved';
import { ReproModel } from '../status/model';
import {
  changesReply,
  FakeServer,
  file,
  flush,
  standardServer
} from './snapshotFakes';

const trans = nullTranslator.load('jupyterlab_repro');
const NB = 'proj/train.ipynb';
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

/** The 2,255-character subject of the issue: words, no line break. */
const LONG = Array.from(
  { length: 451 },
  (_, i) => `w${String(i).padStart(3, '0')}`
).join(' ');

/** Open notebooks with unsaved changes, as the test says. */
class Unsaved implements IUnsavedChanges {
  dirty = new Set<string>();
  changed = new Signal<this, string>(this);
  has(path: string): boolean {
    return this.dirty.has(path);
  }
  set(path: string, dirty: boolean): void {
    if (dirty) {
      this.dirty.add(path);
    } else {
      this.dirty.delete(path);
    }
    this.changed.emit(path);
  }
}

describe('subject lines', () => {
  it('are the message on one line with the type in front, as the server makes them', () => {
    expect(subjectLine('more  trees\n', 'exp')).toBe('exp: more trees');
    expect(subjectLine('exp(tuning): lr', 'exp')).toBe('exp(tuning): lr');
    expect(subjectLine('exp!: lr', 'exp')).toBe('exp!: lr');
    expect(subjectLine('fix: lr', 'exp')).toBe('exp: fix: lr');
    expect(subjectLine('   ', 'exp')).toBe('');
  });

  it('are cut at a word, or anywhere in one long word', () => {
    expect(splitSubject('exp: short')).toEqual(['exp: short', '']);
    const [kept, rest] = splitSubject(`exp: ${LONG}`);
    expect(kept.length).toBeLessThanOrEqual(SUBJECT_LIMIT);
    expect(kept.endsWith(' ')).toBe(false);
    expect(`${kept} ${rest}`).toBe(`exp: ${LONG}`);
    expect(splitSubject('x'.repeat(100))).toEqual([
      'x'.repeat(72),
      'x'.repeat(28)
    ]);
  });
});

describe('the snapshot form and preview', () => {
  let host: HTMLDivElement;
  let root: Root;
  let server: FakeServer;
  let repro: ReproModel;
  let model: SnapshotModel;
  let unsaved: Unsaved;
  let saved: string[];
  let commands: CommandRegistry;

  const q = <T extends Element = HTMLElement>(selector: string) =>
    host.querySelector<T>(selector);

  function type(input: HTMLInputElement, value: string): void {
    Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  async function render(): Promise<void> {
    await act(async () => {
      root.render(
        <SnapshotView model={model} trans={trans} commands={commands} />
      );
    });
    await act(async () => {
      repro.setPath(NB);
      await flush();
    });
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
    unsaved = new Unsaved();
    saved = [];
    model = new SnapshotModel({
      requester: server.requester,
      repro,
      debounce: 0,
      unsaved,
      saveFirst: async path => {
        saved.push(path);
        unsaved.set(path, false);
      }
    });
    commands = new CommandRegistry();
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    model.dispose();
    repro.dispose();
    expect((window as any).__pwned).toBeUndefined();
  });

  describe('a long subject', () => {
    it('is counted from 50 characters, warned about past 72', async () => {
      await render();
      const input = q<HTMLInputElement>('input.jp-Repro-Snapshot-message')!;
      act(() => type(input, 'more trees'));
      expect(q('.jp-Repro-Snapshot-counter')).toBeNull();
      // "exp: " + 45 characters: 50.
      act(() => type(input, 'x'.repeat(45)));
      expect(q('.jp-Repro-Snapshot-counter')!.textContent).toBe('50/72');
      expect(q('.jp-Repro-Snapshot-subjectWarning')).toBeNull();
      act(() => type(input, 'x'.repeat(67)));
      expect(q('.jp-Repro-Snapshot-counter')!.textContent).toBe('72/72');
      expect(q('.jp-Repro-Snapshot-subjectWarning')).toBeNull();
      act(() => type(input, 'x'.repeat(68)));
      expect(q('.jp-Repro-Snapshot-counter')!.textContent).toBe('73/72');
      expect(q('.jp-Repro-Snapshot-subjectWarning')!.textContent).toContain(
        "Longer than git's 72 characters"
      );
      expect(input.classList.contains('jp-mod-long')).toBe(true);
      expect(input.getAttribute('aria-describedby')).toBe(
        q('.jp-Repro-Snapshot-subjectInfo')!.id
      );
    });

    it('moves what is over 72 characters to the front of the body', async () => {
      await render();
      const input = q<HTMLInputElement>('input.jp-Repro-Snapshot-message')!;
      act(() => model.setBody('why: the old one overfits'));
      act(() => type(input, LONG));
      expect(q('.jp-Repro-Snapshot-counter')!.textContent).toBe(
        `${LONG.length + 5}/72`
      );
      act(() => q<HTMLButtonElement>('.jp-Repro-Snapshot-moveToBody')!.click());
      expect(model.subject.length).toBeLessThanOrEqual(SUBJECT_LIMIT);
      expect(model.subjectTooLong).toBe(false);
      expect(model.message.startsWith('w000 w001')).toBe(true);
      expect(`${model.message} ${model.body.split('\n\n')[0]}`).toBe(LONG);
      expect(model.body.endsWith('\n\nwhy: the old one overfits')).toBe(true);
      expect(q('.jp-Repro-Snapshot-subjectWarning')).toBeNull();
      expect(
        q<HTMLTextAreaElement>('textarea.jp-Repro-Snapshot-body')!.value
      ).toBe(model.body);
    });

    it('keeps a typed type prefix when it moves the rest', () => {
      model.setMessage(`exp: ${LONG}`);
      model.moveOverflowToBody();
      expect(model.message.startsWith('exp: w000')).toBe(true);
      expect(model.subject).toBe(model.message);
    });

    it('puts the lines after the first of a paste into the body', async () => {
      await render();
      const input = q<HTMLInputElement>('input.jp-Repro-Snapshot-message')!;
      act(() => type(input, 'lr: '));
      input.setSelectionRange(4, 4);
      const paste = new Event('paste', { bubbles: true, cancelable: true });
      (paste as any).clipboardData = {
        getData: () => `0.01 beats 0.001\r\n\r\nAccuracy ${HOSTILE}\n`
      };
      act(() => {
        input.dispatchEvent(paste);
      });
      expect(paste.defaultPrevented).toBe(true);
      expect(model.message).toBe('lr: 0.01 beats 0.001');
      expect(model.body).toBe(`Accuracy ${HOSTILE}`);
      expect(
        q<HTMLTextAreaElement>('textarea.jp-Repro-Snapshot-body')!.value
      ).toBe(`Accuracy ${HOSTILE}`);
    });

    it('leaves a one-line paste to the input', async () => {
      await render();
      const input = q<HTMLInputElement>('input.jp-Repro-Snapshot-message')!;
      const paste = new Event('paste', { bubbles: true, cancelable: true });
      (paste as any).clipboardData = { getData: () => 'one line\n' };
      act(() => {
        input.dispatchEvent(paste);
      });
      expect(paste.defaultPrevented).toBe(false);
    });

    it('shows the committed subject whole on hover', async () => {
      server.handlers.snapshot = () => ({
        committed: true,
        message: `exp: ${LONG}\n`,
        commit: 'c'.repeat(40),
        short_sha: 'ccccccc',
        parent: null,
        branch: 'main',
        tag: null,
        files: [],
        notebooks: [],
        hook_output: '',
        reason: null,
        working_copy_cleared: []
      });
      await render();
      act(() => model.setMessage(LONG));
      await act(async () => {
        await model.snapshot();
      });
      const subject = q('.jp-Repro-Snapshot-resultSubject')!;
      expect(subject.getAttribute('title')).toBe(`exp: ${LONG}`);
    });
  });

  describe('the preview', () => {
    it('says it shows the saved notebook', async () => {
      await render();
      expect(
        q('.jp-Repro-Snapshot-preview .jp-Repro-Snapshot-heading')!.textContent
      ).toBe('Changes in train.ipynb as saved (outputs ignored)');
      expect(q('.jp-Repro-Snapshot-unsaved')).toBeNull();
    });

    it('says when it lacks unsaved edits, and saves first to show them', async () => {
      await render();
      // Saved: the notebook is as in the last commit.
      server.handlers.changes = () => changesReply([]);
      await act(async () => {
        await model.reload();
      });
      expect(q('.jp-Repro-Snapshot-preview')!.textContent).toContain(
        'has no changes since the last commit'
      );
      act(() => unsaved.set(NB, true));
      const note = q('.jp-Repro-Snapshot-unsaved')!;
      expect(note.textContent).toContain(
        'train.ipynb has unsaved changes: the changes and preview below are of the saved notebook; a snapshot saves first.'
      );
      expect(
        q('.jp-Repro-Snapshot-preview')!.classList.contains('jp-mod-stale')
      ).toBe(true);
      // Saving writes the edit: now the notebook differs from HEAD.
      server.handlers.changes = () => changesReply([file('train.ipynb')]);
      server.handlers.diff = () => ({
        path: NB,
        from: 'HEAD',
        to: null,
        text: `## cell 2 (code) modified\n@@ -1 +1 @@\n-lr = 0.001\n+lr = 0.01 # ${HOSTILE}\n`,
        has_changes: true,
        summary: { modified: 1 }
      });
      const before = server.callsTo('diff').length;
      await act(async () => {
        q<HTMLButtonElement>('.jp-Repro-Snapshot-savePreview')!.click();
        await flush();
      });
      expect(saved).toEqual([NB]);
      expect(server.callsTo('diff').length).toBeGreaterThan(before);
      expect(q('.jp-Repro-Snapshot-unsaved')).toBeNull();
      expect(q('.jp-Repro-Snapshot-saved')!.textContent).toBe(
        'train.ipynb was saved to show what will be committed.'
      );
      expect(q('.jp-Repro-Snapshot-diff')!.textContent).toContain(
        `+lr = 0.01 # ${HOSTILE}`
      );
      // Edited again: the preview lacks it again.
      act(() => unsaved.set(NB, true));
      expect(q('.jp-Repro-Snapshot-saved')).toBeNull();
      expect(q('.jp-Repro-Snapshot-unsaved')).not.toBeNull();
    });

    it('shows why it could not save', async () => {
      model.dispose();
      model = new SnapshotModel({
        requester: server.requester,
        repro,
        debounce: 0,
        unsaved,
        saveFirst: async () => {
          throw new Error(`disk full ${HOSTILE}`);
        }
      });
      await render();
      act(() => unsaved.set(NB, true));
      await act(async () => {
        q<HTMLButtonElement>('.jp-Repro-Snapshot-savePreview')!.click();
        await flush();
      });
      expect(q('.jp-Repro-Snapshot-unsaved [role="alert"]')!.textContent).toBe(
        `Cannot save train.ipynb: disk full ${HOSTILE}`
      );
      expect(q('.jp-Repro-Snapshot-savePreview')).not.toBeNull();
    });

    it('ignores other notebooks', async () => {
      await render();
      act(() => unsaved.set('proj/other.ipynb', true));
      expect(model.hasUnsavedChanges).toBe(false);
      expect(q('.jp-Repro-Snapshot-unsaved')).toBeNull();
    });
  });
});

describe('UnsavedDocuments', () => {
  /** A notebook as the tracker gives it, with cells the test edits. */
  function notebook(path: string, sources: string[]) {
    const cells = sources.map(first => {
      const cell = {
        type: 'code',
        source: first,
        sharedModel: { getSource: (): string => cell.source }
      };
      return cell;
    });
    let loaded!: () => void;
    const model = {
      dirty: false,
      cells,
      stateChanged: new Signal<any, any>({}),
      contentChanged: new Signal<any, void>({})
    };
    return {
      cells,
      model,
      loaded: () => loaded(),
      /** The model changed: dirty, and the content signal. */
      edit(change: () => void) {
        change();
        if (!model.dirty) {
          model.dirty = true;
          model.stateChanged.emit({
            name: 'dirty',
            oldValue: false,
            newValue: true
          });
        }
        model.contentChanged.emit();
      },
      save() {
        model.dirty = false;
        this.document.context.fileChanged.emit({});
        model.stateChanged.emit({
          name: 'dirty',
          oldValue: true,
          newValue: false
        });
      },
      document: {
        context: {
          path,
          pathChanged: new Signal<any, string>({}),
          fileChanged: new Signal<any, unknown>({}),
          ready: new Promise<void>(resolve => (loaded = resolve)),
          model
        },
        disposed: new Signal<any, void>({})
      }
    };
  }

  let added: Signal<any, IOpenDocument>;
  let unsaved: UnsavedDocuments;
  let changed: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    added = new Signal<any, IOpenDocument>({});
    unsaved = new UnsavedDocuments({
      added,
      localPath: path => path.replace(/^RTC:/, '')
    });
    changed = [];
    unsaved.changed.connect((_, path) => changed.push(path));
  });

  afterEach(() => {
    unsaved.dispose();
    jest.useRealTimers();
  });

  it('tells code the saved file lacks, by server path, once edits settle', async () => {
    const nb = notebook('RTC:proj/train.ipynb', ['lr = 0.1', 'fit()']);
    added.emit(nb.document);
    nb.loaded();
    await Promise.resolve();
    expect(unsaved.has('proj/train.ipynb')).toBe(false);

    // The first edit makes the notebook dirty: compared at once.
    nb.edit(() => (nb.cells[0].source = 'lr = 0.01'));
    expect(unsaved.has('proj/train.ipynb')).toBe(true);
    expect(changed).toEqual(['proj/train.ipynb']);

    // Typed back: the code is the saved one again, though still "dirty";
    // later edits are compared once typing settles.
    nb.edit(() => (nb.cells[0].source = 'lr = 0.1'));
    expect(unsaved.has('proj/train.ipynb')).toBe(true);
    jest.advanceTimersByTime(300);
    expect(nb.model.dirty).toBe(true);
    expect(unsaved.has('proj/train.ipynb')).toBe(false);

    nb.edit(() => (nb.cells[1].source = 'fit(epochs=3)'));
    jest.advanceTimersByTime(300);
    expect(unsaved.has('proj/train.ipynb')).toBe(true);
    nb.save();
    expect(unsaved.has('proj/train.ipynb')).toBe(false);
    expect(changed).toHaveLength(4);
  });

  it('does not count what the commit strips (the kernel writing language_info)', async () => {
    const nb = notebook('proj/train.ipynb', ['lr = 0.1']);
    added.emit(nb.document);
    nb.loaded();
    await Promise.resolve();
    nb.edit(() => undefined); // metadata only: dirty, same code
    jest.advanceTimersByTime(300);
    expect(nb.model.dirty).toBe(true);
    expect(unsaved.has('proj/train.ipynb')).toBe(false);
    expect(changed).toEqual([]);
  });

  it('forgets a closed notebook, and everything once disposed', async () => {
    const nb = notebook('proj/a.ipynb', ['x = 1']);
    added.emit(nb.document);
    nb.loaded();
    await Promise.resolve();
    nb.edit(() => (nb.cells[0].source = 'x = 2'));
    jest.advanceTimersByTime(300);
    expect(unsaved.has('proj/a.ipynb')).toBe(true);
    nb.document.disposed.emit();
    expect(unsaved.has('proj/a.ipynb')).toBe(false);
    expect(changed).toEqual(['proj/a.ipynb', 'proj/a.ipynb']);
    unsaved.dispose();
    const other = notebook('proj/b.ipynb', ['y']);
    added.emit(other.document);
    other.loaded();
    await Promise.resolve();
    other.edit(() => (other.cells[0].source = 'z'));
    jest.advanceTimersByTime(300);
    expect(unsaved.has('proj/b.ipynb')).toBe(false);
  });
});
