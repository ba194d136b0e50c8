import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IRequestFailure,
  ReproRequestError,
  Requester,
  toRequestFailure
} from '../common/api';
import { Task } from '../common/task';
import { IReproModel, IStatusReply } from '../tokens';

/**
 * Conventional-commit types the server accepts.
 */
export const COMMIT_TYPES = [
  'feat',
  'fix',
  'exp',
  'refactor',
  'docs',
  'chore'
] as const;

export type CommitType = (typeof COMMIT_TYPES)[number];

/**
 * Git's convention for a commit's subject line: at most this many
 * characters (longer ones are cut in `git log --oneline`, shortlogs and
 * most tools); the rest belongs in the body.
 */
export const SUBJECT_LIMIT = 72;

/**
 * From this length on the form counts the subject's characters.
 */
export const SUBJECT_COUNT_FROM = 50;

/**
 * The subject line the server makes of a message and type: the message's
 * words on one line, `type: ` in front unless it already starts with that
 * type (`exp:`, `exp(tuning)!:`), as the server's `commit/message.py` does.
 */
export function subjectLine(message: string, type: CommitType): string {
  const subject = message.split(/\s+/).filter(Boolean).join(' ');
  if (subject === '') {
    return '';
  }
  // The types are plain words: no escaping needed.
  return new RegExp(`^${type}(\\([^)]*\\))?!?:`).test(subject)
    ? subject
    : `${type}: ${subject}`;
}

/**
 * A subject line cut to `limit` characters at a word boundary (anywhere
 * when one word is longer): `[kept, rest]`, `rest` empty when it fits.
 */
export function splitSubject(
  subject: string,
  limit = SUBJECT_LIMIT
): [string, string] {
  if (subject.length <= limit) {
    return [subject, ''];
  }
  const space = subject.lastIndexOf(' ', limit);
  const cut = space > 0 ? space : limit;
  return [subject.slice(0, cut).replace(/\s+$/, ''), subject.slice(cut).trim()];
}

/**
 * Where the snapshot section stands.
 */
export type SnapshotState =
  'idle' | 'loading' | 'ready' | 'busy' | 'error' | 'not-repository';

export type Classification = 'source' | 'outputs-only' | 'clean' | 'invalid';

export type FileState =
  'modified' | 'added' | 'deleted' | 'renamed' | 'untracked' | 'conflicted';

/**
 * Why the server refuses to commit a file.
 */
export interface IViolation {
  path: string;
  kind: string;
  size: number;
  /** The .gitignore rule that would exclude it. */
  rule: string;
  lfs_possible: boolean;
}

export interface IChangedFile {
  /** Relative to the repository. */
  path: string;
  /** Relative to the server root; null when outside it. */
  server_path: string | null;
  state: FileState;
  staged: boolean;
  notebook: boolean;
  classification: Classification | null;
  size: number | null;
  violation: IViolation | null;
  error: string | null;
  orig_path: string | null;
}

/**
 * `GET /jupyterlab-repro/changes` reply.
 */
export interface IChangesReply {
  /** The repository's root relative to the server root; null when above it. */
  root: string | null;
  /**
   * The repository's root lies above the server root: only the files inside
   * the server root are listed (and may be committed).
   */
  above_root: boolean;
  files: IChangedFile[];
  max_file_mb: number;
  lfs_available: boolean;
}

/**
 * `GET /jupyterlab-repro/diff` reply (the parts the sidebar reads).
 */
export interface IDiffReply {
  path: string;
  from: string | null;
  to: string | null;
  text: string;
  has_changes: boolean;
  summary: Record<string, number>;
}

/**
 * `POST /jupyterlab-repro/snapshot` body.
 */
export interface ISnapshotRequest {
  path: string;
  message: string;
  type: CommitType;
  body?: string;
  files: string[];
  tag?: string;
  branch?: string;
  clear_outputs: boolean;
}

export interface INotebookSnapshot {
  path: string;
  changed_in_commit: boolean;
  outputs_removed: number;
  warnings: string[];
}

/**
 * `POST /jupyterlab-repro/snapshot` reply.
 */
export interface ISnapshotReply {
  committed: boolean;
  message: string;
  commit: string | null;
  short_sha: string | null;
  parent: string | null;
  branch: string | null;
  tag: string | null;
  files: string[];
  notebooks: INotebookSnapshot[];
  hook_output: string;
  reason: 'nothing-to-commit' | null;
  working_copy_cleared: string[];
}

/**
 * A failed snapshot or guardrail fix, with what the server said.
 */
export interface ISnapshotError extends IRequestFailure {
  /** With `reason` guardrail: what was refused. */
  violations: IViolation[];
  /** Hook output (hook-rejected), shown as preformatted text. */
  output: string | null;
}

export type GuardrailAction = 'gitignore' | 'lfs';

export interface ISnapshotDefaults {
  commitType?: CommitType;
  clearOutputs?: boolean;
  maxDiffLines?: number;
}

/**
 * Which open notebooks hold code their saved file lacks (the lab's
 * documents; see `UnsavedDocuments`).
 */
export interface IUnsavedChanges {
  /** The open notebook at this server path has unsaved code. */
  has(path: string): boolean;
  /** Emitted with the server path of a document whose state changed. */
  readonly changed: ISignal<unknown, string>;
}

/**
 * Options to build a {@link SnapshotModel}.
 */
export interface ISnapshotModelOptions {
  requester: Requester;
  /** The sidebar model: its path is the notebook (or folder) followed. */
  repro: IReproModel;
  /** Save the open document at this server path if it has unsaved changes. */
  saveFirst?: (path: string) => Promise<void>;
  /**
   * Reload the open document at this server path from disk. It reports its
   * own failures: a rejection is ignored so the snapshot still completes.
   */
  revert?: (path: string) => Promise<void>;
  /**
   * Which open notebooks have unsaved changes: with it, the preview says
   * when it lacks them and can save first to show them.
   */
  unsaved?: IUnsavedChanges;
  /** Milliseconds to wait before reloading after a status change (400). */
  debounce?: number;
  /** Translates the messages the model writes itself. */
  trans?: TranslationBundle;
}

/**
 * The "Snapshot & commit" form and what it shows: the changed files of the
 * followed notebook's repository, the output-blind diff of that notebook,
 * the files ticked to go with it, and the commit message. No DOM.
 */
export class SnapshotModel implements IDisposable {
  constructor(options: ISnapshotModelOptions) {
    this._requester = options.requester;
    this._repro = options.repro;
    this._saveFirst = options.saveFirst ?? (async () => undefined);
    this._revert = options.revert ?? (async () => undefined);
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._load = new Task({ debounce: options.debounce ?? 400 });
    this._unsaved = options.unsaved ?? null;
    this._unsaved?.changed.connect(this._onUnsavedChanged, this);
    this._load.changed.connect(this._emit, this);
    this._action.changed.connect(this._emit, this);
    this._saving.changed.connect(this._emit, this);
    this._repro.stateChanged.connect(this._onReproChanged, this);
    this._onReproChanged();
  }

  get state(): SnapshotState {
    return this._action.busy ? 'busy' : this._state;
  }

  get busy(): boolean {
    return this._action.busy;
  }

  /** The followed notebook (server path), or null when a folder is followed. */
  get notebookPath(): string | null {
    return this._path.endsWith('.ipynb') ? this._path : null;
  }

  get changes(): IChangesReply | null {
    return this._changes;
  }

  get files(): readonly IChangedFile[] {
    return this._changes?.files ?? [];
  }

  /** The followed notebook's entry in the changed files, if it changed. */
  get notebookFile(): IChangedFile | null {
    const notebook = this.notebookPath;
    return this.files.find(f => f.server_path === notebook) ?? null;
  }

  get diff(): IDiffReply | null {
    return this._diff;
  }

  /** Why the diff could not be shown (e.g. the notebook is invalid). */
  get diffError(): string | null {
    return this._diffError;
  }

  /** Why the changes could not be read (state 'error'). */
  get loadError(): string | null {
    return this._loadError;
  }

  /** The last failed snapshot or guardrail fix; cleared by the next try. */
  get error(): ISnapshotError | null {
    return this._action.error;
  }

  get lastResult(): ISnapshotReply | null {
    return this._lastResult;
  }

  get message(): string {
    return this._message;
  }

  get commitType(): CommitType {
    return this._commitType;
  }

  get body(): string {
    return this._body;
  }

  get tag(): string {
    return this._tag;
  }

  /** The branch name after `exp/`. */
  get branch(): string {
    return this._branch;
  }

  get clearOutputs(): boolean {
    return this._clearOutputs;
  }

  get maxDiffLines(): number {
    return this._maxDiffLines;
  }

  /**
   * The followed notebook has edits that are not saved yet: the preview
   * (the saved file against HEAD) lacks them; the commit saves first.
   */
  get hasUnsavedChanges(): boolean {
    const notebook = this.notebookPath;
    return notebook !== null && (this._unsaved?.has(notebook) ?? false);
  }

  /** The preview was saved first ({@link saveAndPreview}) and is current. */
  get savedForPreview(): boolean {
    return this._savedForPreview && !this.hasUnsavedChanges;
  }

  /** {@link saveAndPreview} is saving the notebook or reading the preview. */
  get previewing(): boolean {
    return this._saving.busy;
  }

  /** Why {@link saveAndPreview} could not save (shown with the preview). */
  get previewError(): string | null {
    return this._saving.error?.message ?? null;
  }

  /** The subject line the commit would get (see {@link subjectLine}). */
  get subject(): string {
    return subjectLine(this._message, this._commitType);
  }

  /** The subject is longer than git's convention ({@link SUBJECT_LIMIT}). */
  get subjectTooLong(): boolean {
    return this.subject.length > SUBJECT_LIMIT;
  }

  /** Repository-relative paths of the files ticked to go with the notebook. */
  get ticked(): ReadonlySet<string> {
    return this._ticked;
  }

  /** True when the button may commit now. */
  get canSnapshot(): boolean {
    return (
      this.state === 'ready' &&
      this.notebookPath !== null &&
      this._message.trim().length > 0
    );
  }

  /**
   * True when the form may be submitted: ready, with a notebook. An empty
   * message is then explained ({@link requireMessage}), not ignored.
   */
  get canSubmit(): boolean {
    return this.state === 'ready' && this.notebookPath !== null;
  }

  /**
   * Why the last submit did nothing (an empty message), shown beside the
   * message field until the message changes; null otherwise.
   */
  get messageHint(): string | null {
    return this._messageHint;
  }

  /**
   * True when there is a message to commit with; else the field gets a
   * hint saying why nothing happened.
   */
  requireMessage(): boolean {
    if (this._message.trim() !== '') {
      return true;
    }
    this._messageHint = this._trans.__(
      'Write a commit message first: what changed, e.g. "more trees".'
    );
    this._stateChanged.emit();
    return false;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<SnapshotModel, void> {
    return this._stateChanged;
  }

  /**
   * Whether a changed file may be ticked: not the followed notebook, no
   * guardrail violation, inside the server root, not conflicted or invalid.
   */
  isTickable(file: IChangedFile): boolean {
    return (
      file.server_path !== null &&
      file.server_path !== this.notebookPath &&
      file.violation === null &&
      file.state !== 'conflicted' &&
      file.classification !== 'invalid'
    );
  }

  setTicked(path: string, ticked: boolean): void {
    const file = this.files.find(f => f.path === path);
    if (ticked && (!file || !this.isTickable(file))) {
      return;
    }
    if (ticked) {
      this._ticked.add(path);
    } else {
      this._ticked.delete(path);
    }
    this._stateChanged.emit();
  }

  setMessage(message: string): void {
    this._message = message;
    if (message.trim() !== '') {
      this._messageHint = null;
    }
    this._stateChanged.emit();
  }

  /**
   * Put text the user pasted into the message at `start`–`end`: its first
   * line goes into the message, the other lines (a subject and a body
   * pasted at once) to the front of the body, as git reads a message.
   * Returns the cursor position after the pasted line.
   */
  pasteMessage(text: string, start: number, end: number): number {
    const lines = text.replace(/\r\n?/g, '\n').split('\n');
    const first = lines[0];
    const rest = lines.slice(1).join('\n').trim();
    const message =
      this._message.slice(0, start) + first + this._message.slice(end);
    if (rest !== '') {
      this._body = this._body.trim() === '' ? rest : `${rest}\n\n${this._body}`;
    }
    this.setMessage(message);
    return start + first.length;
  }

  /**
   * Move what makes the subject longer than {@link SUBJECT_LIMIT} to the
   * front of the body, cut at a word. Returns whether anything moved.
   */
  moveOverflowToBody(): boolean {
    const subject = this.subject;
    if (subject.length <= SUBJECT_LIMIT) {
      return false;
    }
    const [kept, rest] = splitSubject(subject);
    // The type prefix is the server's to add: keep the message without it.
    const prefix = `${this._commitType}: `;
    const message =
      kept.startsWith(prefix) && !this._message.trim().startsWith(prefix)
        ? kept.slice(prefix.length)
        : kept;
    this._body = this._body.trim() === '' ? rest : `${rest}\n\n${this._body}`;
    this.setMessage(message);
    return true;
  }

  setCommitType(type: CommitType): void {
    if (!COMMIT_TYPES.includes(type)) {
      return;
    }
    this._commitType = type;
    this._stateChanged.emit();
  }

  setBody(body: string): void {
    this._body = body;
    this._stateChanged.emit();
  }

  setTag(tag: string): void {
    this._tag = tag;
    this._stateChanged.emit();
  }

  setBranch(branch: string): void {
    this._branch = branch;
    this._stateChanged.emit();
  }

  setClearOutputs(clear: boolean): void {
    this._clearOutputs = clear;
    this._stateChanged.emit();
  }

  /**
   * Apply the user's settings. The commit type and clear-outputs box take
   * the new defaults unless the user is typing a message.
   */
  setDefaults(defaults: ISnapshotDefaults): void {
    if (defaults.commitType && COMMIT_TYPES.includes(defaults.commitType)) {
      this._defaultType = defaults.commitType;
      if (this._message === '') {
        this._commitType = defaults.commitType;
      }
    }
    if (defaults.clearOutputs !== undefined) {
      this._defaultClear = defaults.clearOutputs;
      if (this._message === '') {
        this._clearOutputs = defaults.clearOutputs;
      }
    }
    if (defaults.maxDiffLines !== undefined) {
      this._maxDiffLines = Math.max(10, Math.floor(defaults.maxDiffLines));
    }
    this._stateChanged.emit();
  }

  /**
   * Read the changed files and the followed notebook's diff now. Replies to
   * superseded requests are dropped.
   */
  async reload(): Promise<void> {
    if (this._isDisposed || !this._repositoryKnown()) {
      this._load.invalidate();
      return;
    }
    const path = this._path;
    const notebook = this.notebookPath;
    if (this._changes === null) {
      this._state = 'loading';
    }
    await this._load.load(
      async isCurrent => {
        const changes = await this._requester<IChangesReply>(
          `changes?path=${encodeURIComponent(path)}`
        );
        let diff: IDiffReply | null = null;
        let diffError: string | null = null;
        const entry = changes.files.find(f => f.server_path === notebook);
        if (notebook && entry && isCurrent()) {
          if (entry.classification === 'invalid') {
            diffError =
              entry.error ?? this._trans.__('The notebook cannot be read.');
          } else if (entry.classification === 'source') {
            try {
              diff = await this._requester<IDiffReply>(
                `diff?path=${encodeURIComponent(notebook)}`
              );
            } catch (error) {
              diffError = toRequestFailure(error).message;
            }
          }
        }
        return { changes, diff, diffError };
      },
      ({ changes, diff, diffError }) => {
        this._changes = changes;
        this._diff = diff;
        this._diffError = diffError;
        this._loadError = null;
        this._state = 'ready';
        this._pruneTicks();
      },
      error => {
        this._changes = null;
        this._diff = null;
        this._diffError = null;
        if (
          error instanceof ReproRequestError &&
          error.reason === 'not-a-repository'
        ) {
          this._state = 'not-repository';
          this._loadError = null;
        } else {
          this._state = 'error';
          this._loadError = toRequestFailure(error).message;
        }
      }
    );
  }

  /**
   * Save the followed notebook as the commit will, then read the changes
   * and its diff again: the preview then shows what a snapshot commits.
   * A failed save is kept in {@link previewError}.
   */
  async saveAndPreview(): Promise<void> {
    const notebook = this.notebookPath;
    if (notebook === null || this._isDisposed) {
      return;
    }
    await this._saving
      .run(async () => {
        await this._saveFirst(notebook);
        this._savedForPreview = true;
        // (The save refreshes the header too: the lab refreshes on saves.)
        await this.reload();
      })
      .catch(() => undefined);
  }

  /**
   * Save, then commit the followed notebook (outputs cleared in the commit)
   * with the ticked files. Throws {@link ReproRequestError} on a refusal;
   * {@link error} keeps it for the view.
   */
  async snapshot(): Promise<ISnapshotReply> {
    const notebook = this.notebookPath;
    if (notebook === null) {
      throw new Error(this._trans.__('Open a notebook to snapshot it.'));
    }
    const message = this._message.trim();
    if (message === '') {
      throw new Error(this._trans.__('Write a commit message first.'));
    }
    if (this._action.busy) {
      throw new Error(this._trans.__('A snapshot is already running.'));
    }
    const files = this.files
      .filter(f => this._ticked.has(f.path) && this.isTickable(f))
      .map(f => f.server_path as string);
    const request: ISnapshotRequest = {
      path: notebook,
      message,
      type: this._commitType,
      files,
      clear_outputs: this._clearOutputs
    };
    if (this._body.trim() !== '') {
      request.body = this._body.trim();
    }
    if (this._tag.trim() !== '') {
      request.tag = this._tag.trim();
    }
    const branch = this._branch.trim().replace(/^exp\//, '');
    if (branch !== '') {
      request.branch = `exp/${branch}`;
    }
    const root = this._changes?.root ?? null;

    return this._action.run(async () => {
      for (const path of [notebook, ...files]) {
        await this._saveFirst(path);
      }
      const reply = await this._requester<ISnapshotReply>('snapshot', {
        method: 'POST',
        body: JSON.stringify(request)
      });
      this._lastResult = reply;
      if (reply.committed) {
        this._message = '';
        this._body = '';
        this._tag = '';
        this._branch = '';
        this._ticked.clear();
        this._savedForPreview = false;
        this._commitType = this._defaultType;
        this._clearOutputs = this._defaultClear;
      }
      if (request.clear_outputs && root !== null) {
        for (const rel of reply.working_copy_cleared ?? []) {
          const path = root === '' ? rel : `${root}/${rel}`;
          await this._revert(path).catch(() => undefined);
        }
      }
      await this._repro.refresh();
      await this.reload();
      return reply;
    });
  }

  /**
   * Resolve a guardrail violation: add its rule to `.gitignore`, or track
   * it with Git LFS; the changed `.gitignore`/`.gitattributes` are ticked.
   */
  async fixGuardrail(
    file: IChangedFile,
    action: GuardrailAction
  ): Promise<void> {
    const violation = file.violation;
    if (!violation || this._action.busy) {
      return;
    }
    await this._action.run(async () => {
      await this._requester('guardrails/fix', {
        method: 'POST',
        body: JSON.stringify({
          path: this._path,
          action,
          rules: [violation.rule]
        })
      });
      this._autoTick.add(action === 'lfs' ? '.gitattributes' : '.gitignore');
      await this._repro.refresh();
      await this.reload();
    });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._load.dispose();
    this._action.dispose();
    this._saving.dispose();
    this._unsaved?.changed.disconnect(this._onUnsavedChanged, this);
    this._repro.stateChanged.disconnect(this._onReproChanged, this);
    Signal.clearData(this);
  }

  private _emit(): void {
    this._stateChanged.emit();
  }

  private _onUnsavedChanged(_: unknown, path: string): void {
    if (path !== this.notebookPath) {
      return;
    }
    if (this.hasUnsavedChanges) {
      // Edited again since the preview was saved.
      this._savedForPreview = false;
    }
    this._stateChanged.emit();
  }

  private _onReproChanged(): void {
    const repro = this._repro;
    if (repro.path !== this._path) {
      this._path = repro.path;
      this._load.invalidate();
      this._action.clearError();
      this._changes = null;
      this._diff = null;
      this._diffError = null;
      this._loadError = null;
      this._lastResult = null;
      this._messageHint = null;
      this._savedForPreview = false;
      this._saving.clearError();
      this._ticked.clear();
      this._state = 'idle';
      this._seenStatus = null;
      this._stateChanged.emit();
    }
    if (repro.state === 'not-repository') {
      if (this._state !== 'not-repository') {
        this._load.invalidate();
        this._changes = null;
        this._diff = null;
        this._state = 'not-repository';
        this._stateChanged.emit();
      }
      return;
    }
    if (!this._repositoryKnown()) {
      if (repro.state !== 'loading' && this._state !== 'idle') {
        this._load.invalidate();
        this._changes = null;
        this._diff = null;
        this._state = 'idle';
        this._stateChanged.emit();
      }
      return;
    }
    if (!repro.busy && repro.status !== this._seenStatus) {
      this._seenStatus = repro.status;
      this._schedule();
    }
  }

  /** The sidebar model says the followed path is in a repository. */
  private _repositoryKnown(): boolean {
    const state = this._repro.state;
    return state === 'ready' || state === 'no-commits';
  }

  private _schedule(): void {
    if (this._changes === null && this._state !== 'loading') {
      this._state = 'loading';
      this._stateChanged.emit();
    }
    this._load.schedule(() => void this.reload());
  }

  private _pruneTicks(): void {
    const tickable = new Set(
      this.files.filter(f => this.isTickable(f)).map(f => f.path)
    );
    for (const path of [...this._ticked]) {
      if (!tickable.has(path)) {
        this._ticked.delete(path);
      }
    }
    for (const path of this._autoTick) {
      if (tickable.has(path)) {
        this._ticked.add(path);
      }
    }
    this._autoTick.clear();
  }

  private _requester: Requester;
  private _repro: IReproModel;
  private _saveFirst: (path: string) => Promise<void>;
  private _revert: (path: string) => Promise<void>;
  private _trans: TranslationBundle;
  /** Reading the changes and the diff (debounced after status changes). */
  private _load: Task;
  /** Snapshot and guardrail fixes: one at a time, their failure kept. */
  private _action = new Task<ISnapshotError>({ toFailure: toSnapshotError });
  /** "Save and preview": the save and the reload after it. */
  private _saving = new Task();
  private _unsaved: IUnsavedChanges | null;
  private _savedForPreview = false;
  private _path = '\0';
  private _seenStatus: IStatusReply | null = null;
  private _state: SnapshotState = 'idle';
  private _changes: IChangesReply | null = null;
  private _diff: IDiffReply | null = null;
  private _diffError: string | null = null;
  private _loadError: string | null = null;
  private _lastResult: ISnapshotReply | null = null;
  private _message = '';
  private _messageHint: string | null = null;
  private _defaultType: CommitType = 'exp';
  private _commitType: CommitType = 'exp';
  private _body = '';
  private _tag = '';
  private _branch = '';
  private _defaultClear = false;
  private _clearOutputs = false;
  private _maxDiffLines = 400;
  private _ticked = new Set<string>();
  private _autoTick = new Set<string>();
  private _isDisposed = false;
  private _stateChanged = new Signal<SnapshotModel, void>(this);
}

/**
 * The view's form of a failure, with the server's extra fields.
 */
export function toSnapshotError(error: unknown): ISnapshotError {
  const body =
    error instanceof ReproRequestError
      ? (error.body ?? {})
      : ({} as Record<string, unknown>);
  return {
    ...toRequestFailure(error),
    violations: Array.isArray(body['violations'])
      ? (body['violations'] as IViolation[])
      : [],
    output:
      typeof body['output'] === 'string' ? (body['output'] as string) : null
  };
}
