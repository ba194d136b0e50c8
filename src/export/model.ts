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
import { IExportTargets } from '../tokens';

/** The tag that marks cells for export (the server's default selection). */
export const EXPORT_TAG = 'export';
/** Cells tagged so form the module's `main()`; tag selectors pick them too. */
export const MAIN_TAG = 'main';

/**
 * What the notebook remembers in `metadata.jupyterlab_repro.export`.
 */
export interface IExportSettings {
  /** The module, relative to the notebook's folder. */
  module: string;
  /** The cell selector. */
  cells: string;
}

/**
 * `POST /jupyterlab-repro/export` body.
 */
export interface IExportRequest {
  path: string;
  output?: string;
  cells?: string;
  dry_run?: boolean;
  force?: boolean;
}

/**
 * `POST /jupyterlab-repro/export` reply.
 */
export interface IExportReply {
  path: string;
  /** The module, relative to the server root. */
  output: string;
  text: string;
  /** Unified diff against the existing file; empty when unchanged. */
  diff: string;
  selector: string;
  cells: number[];
  main_cells: number[];
  names: string[];
  written: boolean;
  changed: boolean;
  out_of_date: boolean;
  /** An existing file not written by export is in the way. */
  foreign: boolean;
  warnings: string[];
  settings: IExportSettings;
  /** Where the cells come from, as the module's header says it. */
  source: IExportSource;
}

/**
 * The `source` of an export reply: the notebook (relative to its
 * repository), the HEAD commit (12 hex digits) and whether git sees the
 * notebook file changed — also when only its outputs changed, which a
 * snapshot would not commit.
 */
export interface IExportSource {
  notebook: string;
  commit: string | null;
  dirty: boolean;
  /**
   * `committed`, `uncommitted`, `no-commits`, `no-repository`, `no-git`
   * (and `outputs-only` should the server tell that case apart itself).
   */
  state: string | null;
}

/**
 * The parts of a `GET changes` reply the export reads: how a changed
 * notebook is classed (`source`, `outputs-only`, `clean`, `invalid`).
 */
export interface IChangesClasses {
  files: { server_path: string | null; classification: string | null }[];
}

/**
 * Where the exported cells come from, in words: the notebook, its commit,
 * and whether the module holds code the commit lacks. A notebook git sees
 * as changed whose only changes are outputs (`classification`
 * `outputs-only` or `clean` in the changes reply) exports the commit's
 * code: it is not "uncommitted changes".
 */
export function sourceLabel(
  source: IExportSource,
  classification: string | null,
  trans: TranslationBundle
): string {
  const name = source.notebook;
  switch (source.state) {
    case 'no-git':
      return trans.__('From %1: git is not available, no commit.', name);
    case 'no-repository':
      return trans.__('From %1: not in a git repository, no commit.', name);
    case 'no-commits':
      return trans.__('From %1: the repository has no commits yet.', name);
  }
  const commit = (source.commit ?? '').slice(0, 12);
  const outputsOnly =
    source.state === 'outputs-only' ||
    classification === 'outputs-only' ||
    classification === 'clean';
  if (!source.dirty || source.state === 'committed') {
    return trans.__('From %1 at commit %2.', name, commit);
  }
  if (outputsOnly) {
    return trans.__(
      'From %1 at commit %2 (only outputs changed since: the code is the commit’s).',
      name,
      commit
    );
  }
  return trans.__(
    'From %1 at commit %2 with uncommitted changes.',
    name,
    commit
  );
}

/**
 * Which cells the dialog exports.
 */
export type ExportSelection = 'export' | 'selected' | 'all' | 'remembered';

/**
 * A cell of the open notebook, as the dialog needs it.
 */
export interface ICellInfo {
  type: string;
  /** The nbformat cell id; null when the notebook format has none. */
  id: string | null;
  tags: readonly string[];
  /** Selected, or the active cell. */
  selected: boolean;
}

/**
 * What the dialog knows about the notebook when it opens.
 */
export interface INotebookInfo {
  /** Server path of the notebook. */
  path: string;
  cells: readonly ICellInfo[];
  /** `metadata.jupyterlab_repro.export`, if it is there. */
  remembered: IExportSettings | null;
}

/**
 * A failed export or preview, with what the server said.
 */
export type IExportError = IRequestFailure;

const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The selector for the selected code cells: `id:a,id:b` when every one has
 * an id, else their 1-based numbers counted over all cells (`1,3-5`).
 * Null when no code cell is selected.
 */
export function selectedCellsSelector(
  cells: readonly ICellInfo[]
): string | null {
  const chosen = cells
    .map((cell, index) => ({ cell, number: index + 1 }))
    .filter(({ cell }) => cell.selected && cell.type === 'code');
  if (chosen.length === 0) {
    return null;
  }
  if (chosen.every(({ cell }) => cell.id !== null && CELL_ID.test(cell.id))) {
    return chosen.map(({ cell }) => `id:${cell.id}`).join(',');
  }
  return compressNumbers(chosen.map(({ number }) => number));
}

/**
 * `[1, 3, 4, 5]` → `1,3-5`.
 */
export function compressNumbers(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = 0;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1] + 1) {
      continue;
    }
    const first = sorted[start];
    const last = sorted[i - 1];
    parts.push(first === last ? `${first}` : `${first}-${last}`);
    start = i;
  }
  return parts.join(',');
}

/**
 * How many code cells the `export` selector picks (tagged `export` or `main`).
 */
export function countTagged(cells: readonly ICellInfo[]): number {
  return cells.filter(
    cell =>
      cell.type === 'code' &&
      (cell.tags.includes(EXPORT_TAG) || cell.tags.includes(MAIN_TAG))
  ).length;
}

const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del ' +
    'elif else except finally for from global if import in is lambda nonlocal ' +
    'not or pass raise return try while with yield'
  ).split(' ')
);

/**
 * A valid, importable module name from any file stem: `Train Model-v2` →
 * `train_model_v2`; never empty, never a keyword, never starting with a digit.
 */
export function moduleName(stem: string): string {
  let name = stem
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') {
    name = 'module';
  }
  if (/^[0-9]/.test(name)) {
    name = `nb_${name}`;
  }
  if (PYTHON_KEYWORDS.has(name) || PYTHON_KEYWORDS.has(stem)) {
    name = `${name}_`;
  }
  return name;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The notebook "Re-export" acts on by default: the sidebar's followed path
 * when it is a notebook, else null.
 */
export function followedNotebook(path: string): string | null {
  return path.endsWith('.ipynb') ? path : null;
}

/**
 * The default module beside the notebook: `a/Train v2.ipynb` → `a/train_v2.py`.
 */
export function defaultModulePath(notebook: string): string {
  const folder = dirname(notebook);
  const stem = basename(notebook).replace(/\.ipynb$/i, '');
  const file = `${moduleName(stem)}.py`;
  return folder === '' ? file : `${folder}/${file}`;
}

/**
 * A path relative to the notebook's folder (the metadata's `module`) as a
 * server path; null when it leaves the server root or is absolute.
 */
export function resolveModule(notebook: string, module: string): string | null {
  if (module === '' || module.startsWith('/') || module.includes('\\')) {
    return null;
  }
  const parts = dirname(notebook).split('/').filter(Boolean);
  for (const part of module.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      if (parts.length === 0) {
        return null;
      }
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.length === 0 ? null : parts.join('/');
}

/**
 * `metadata.jupyterlab_repro.export` from a notebook's `jupyterlab_repro`
 * metadata, when it has the expected shape.
 */
export function readSettings(metadata: unknown): IExportSettings | null {
  if (!isObject(metadata) || !isObject(metadata['export'])) {
    return null;
  }
  const { module, cells } = metadata['export'];
  if (typeof module !== 'string' || module === '') {
    return null;
  }
  return { module, cells: typeof cells === 'string' ? cells : EXPORT_TAG };
}

/**
 * The `jupyterlab_repro` metadata with `export` set to `settings`, other
 * keys kept.
 */
export function withSettings(
  metadata: unknown,
  settings: IExportSettings
): Record<string, unknown> {
  const base = isObject(metadata) ? metadata : {};
  return {
    ...base,
    export: { module: settings.module, cells: settings.cells }
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const toExportError: (error: unknown) => IExportError = toRequestFailure;

/**
 * Export with what the notebook remembers (module and cells), no dialog.
 */
export async function reexport(
  requester: Requester,
  path: string,
  options: {
    saveFirst?: (path: string) => Promise<void>;
    remember?: (path: string, settings: IExportSettings) => Promise<void>;
  } = {}
): Promise<IExportReply> {
  await options.saveFirst?.(path);
  const reply = await requester<IExportReply>('export', {
    method: 'POST',
    body: JSON.stringify({ path } as IExportRequest)
  });
  await options.remember?.(path, reply.settings);
  return reply;
}

/**
 * Options to build an {@link ExportModel}.
 */
export interface IExportModelOptions {
  requester: Requester;
  notebook: INotebookInfo;
  /** The selection to start with; else the remembered one, else `export`. */
  selection?: ExportSelection;
  /** Save the open notebook if it has unsaved changes (the server reads the file). */
  saveFirst?: (path: string) => Promise<void>;
  /** Store the settings of a successful export in the notebook's metadata. */
  remember?: (path: string, settings: IExportSettings) => Promise<void>;
  /** Milliseconds between the last change and the preview request (300). */
  debounce?: number;
  /** Translates the messages the model writes itself. */
  trans?: TranslationBundle;
}

/**
 * The "Export cells to module" dialog's state: which cells, which file,
 * the dry-run preview (module text, diff, warnings) and the write. No DOM.
 */
export class ExportModel implements IDisposable {
  constructor(options: IExportModelOptions) {
    this._requester = options.requester;
    this._notebook = options.notebook;
    this._saveFirst = options.saveFirst ?? (async () => undefined);
    this._remember = options.remember ?? (async () => undefined);
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._previewTask = new Task({ debounce: options.debounce ?? 300 });
    this._previewTask.changed.connect(this._emit, this);
    this._exportTask.changed.connect(this._emit, this);
    this._selectedSelector = selectedCellsSelector(options.notebook.cells);
    this._taggedCount = countTagged(options.notebook.cells);

    const remembered = options.notebook.remembered;
    const path = options.notebook.path;
    this._output =
      (remembered && resolveModule(path, remembered.module)) ??
      defaultModulePath(path);
    let selection: ExportSelection = EXPORT_TAG;
    const cells = remembered?.cells.trim() ?? '';
    if (cells.toLowerCase() === 'all') {
      selection = 'all';
    } else if (cells !== '' && cells.toLowerCase() !== EXPORT_TAG) {
      this._rememberedSelector = cells;
      selection = 'remembered';
    }
    if (options.selection && this.isAvailable(options.selection)) {
      selection = options.selection;
    }
    this._selection = selection;
  }

  get notebookPath(): string {
    return this._notebook.path;
  }

  get selection(): ExportSelection {
    return this._selection;
  }

  /** Server path of the module to write. */
  get output(): string {
    return this._output;
  }

  get force(): boolean {
    return this._force;
  }

  /** Code cells tagged `export` (or `main`) in the open notebook. */
  get taggedCount(): number {
    return this._taggedCount;
  }

  /** The selector of the notebook's selected code cells, if any. */
  get selectedSelector(): string | null {
    return this._selectedSelector;
  }

  /** A remembered selector other than `export` and `all`, if any. */
  get rememberedSelector(): string | null {
    return this._rememberedSelector;
  }

  /** The selector string the request sends. */
  get selector(): string {
    switch (this._selection) {
      case 'all':
        return 'all';
      case 'selected':
        return this._selectedSelector ?? EXPORT_TAG;
      case 'remembered':
        return this._rememberedSelector ?? EXPORT_TAG;
      default:
        return EXPORT_TAG;
    }
  }

  /** The last dry run for the current choices; null while it is loading. */
  get preview(): IExportReply | null {
    return this._preview;
  }

  /**
   * How the changes reply classes the notebook when git sees it changed
   * (`outputs-only`, `source` …), read with the preview; else null.
   */
  get sourceClassification(): string | null {
    return this._sourceClassification;
  }

  /** Where the cells come from, in words ({@link sourceLabel}). */
  get sourceLabel(): string | null {
    const preview = this._preview;
    return preview
      ? sourceLabel(preview.source, this._sourceClassification, this._trans)
      : null;
  }

  /** Why the preview failed (e.g. a cell is not Python). */
  get previewError(): IExportError | null {
    return this._previewTask.error;
  }

  /** A preview is scheduled or on its way. */
  get previewLoading(): boolean {
    return this._previewTask.pending;
  }

  /** Why the last export failed; cleared by the next change or try. */
  get error(): IExportError | null {
    return this._exportTask.error;
  }

  get busy(): boolean {
    return this._exportTask.busy;
  }

  get lastResult(): IExportReply | null {
    return this._lastResult;
  }

  /** The target is an existing file that export did not write. */
  get foreign(): boolean {
    return this._preview?.foreign === true;
  }

  /**
   * The Export button may write now: a preview without errors, not busy,
   * and a foreign file only with "Overwrite" ticked.
   */
  get canExport(): boolean {
    return (
      !this.busy &&
      !this.previewLoading &&
      this._preview !== null &&
      this.previewError === null &&
      this._output.trim() !== '' &&
      (!this._preview.foreign || this._force)
    );
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<ExportModel, void> {
    return this._stateChanged;
  }

  /** Whether a selection can be chosen for this notebook. */
  isAvailable(selection: ExportSelection): boolean {
    switch (selection) {
      case 'selected':
        return this._selectedSelector !== null;
      case 'remembered':
        return this._rememberedSelector !== null;
      default:
        return true;
    }
  }

  setSelection(selection: ExportSelection): void {
    if (!this.isAvailable(selection) || selection === this._selection) {
      return;
    }
    this._selection = selection;
    this._changed();
  }

  setOutput(output: string): void {
    if (output === this._output) {
      return;
    }
    this._output = output;
    this._force = false;
    this._changed();
  }

  setForce(force: boolean): void {
    this._force = force;
    this._exportTask.clearError();
    this._stateChanged.emit();
  }

  /**
   * The request for the current choices.
   */
  request(dryRun: boolean): IExportRequest {
    const request: IExportRequest = {
      path: this._notebook.path,
      output: this._output.trim().replace(/^\/+/, ''),
      cells: this.selector
    };
    if (dryRun) {
      request.dry_run = true;
    } else if (this._force) {
      request.force = true;
    }
    return request;
  }

  /**
   * Save the notebook if needed, then preview (the dialog calls this once
   * it opens; later changes preview after the debounce). A failed save is
   * shown as the preview's error.
   */
  async start(): Promise<void> {
    const path = this._notebook.path;
    await this._runPreview(() => this._saveFirst(path));
  }

  /**
   * Ask the server for a dry run now; replies to superseded requests are
   * dropped.
   */
  async refreshPreview(): Promise<void> {
    await this._runPreview();
  }

  /**
   * Save the notebook if needed, write the module, remember the settings in
   * the notebook. Throws {@link ReproRequestError} on a refusal; {@link error}
   * keeps it for the view.
   */
  async export(): Promise<IExportReply> {
    if (this.busy) {
      throw new Error(this._trans.__('An export is already running.'));
    }
    const request = this.request(false);
    return this._exportTask.run(async () => {
      try {
        await this._saveFirst(request.path);
        const reply = await this._requester<IExportReply>('export', {
          method: 'POST',
          body: JSON.stringify(request)
        });
        this._lastResult = reply;
        await this._remember(request.path, reply.settings);
        return reply;
      } catch (caught) {
        if (toExportError(caught).reason === 'foreign-file') {
          // The file appeared since the preview: show the overwrite choice.
          void this.refreshPreview();
        }
        throw caught;
      }
    });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._previewTask.dispose();
    this._exportTask.dispose();
    Signal.clearData(this);
  }

  /**
   * How the changes reply classes the notebook, when git sees it changed:
   * whether its changes are only outputs (null when unknown).
   */
  private async _classify(source: IExportSource): Promise<string | null> {
    if (!source.dirty || source.state !== 'uncommitted') {
      return null;
    }
    const path = this._notebook.path;
    try {
      const changes = await this._requester<IChangesClasses>(
        `changes?path=${encodeURIComponent(path)}`
      );
      return (
        changes.files.find(file => file.server_path === path)?.classification ??
        null
      );
    } catch {
      // The header then says what git says: uncommitted changes.
      return null;
    }
  }

  private async _runPreview(before?: () => Promise<void>): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const request = this.request(true);
    await this._previewTask.load(
      async () => {
        if (before) {
          await before();
        }
        if (request.output === '') {
          throw new ReproRequestError(
            this._trans.__('Choose the module file to write.'),
            0,
            'invalid-request'
          );
        }
        const preview = await this._requester<IExportReply>('export', {
          method: 'POST',
          body: JSON.stringify(request)
        });
        return {
          preview,
          classification: await this._classify(preview.source)
        };
      },
      ({ preview, classification }) => {
        this._preview = preview;
        this._sourceClassification = classification;
      },
      () => {
        this._preview = null;
      }
    );
  }

  /** A choice changed: the preview is outdated, a new one is scheduled. */
  private _changed(): void {
    this._exportTask.clearError();
    this._preview = null;
    this._previewTask.invalidate();
    this._previewTask.schedule(() => void this.refreshPreview());
    this._stateChanged.emit();
  }

  private _emit(): void {
    this._stateChanged.emit();
  }

  private _requester: Requester;
  private _notebook: INotebookInfo;
  private _saveFirst: (path: string) => Promise<void>;
  private _remember: (path: string, settings: IExportSettings) => Promise<void>;
  private _trans: TranslationBundle;
  /** Dry runs: debounced after a change, superseded replies dropped. */
  private _previewTask: Task;
  /** The write; its failure is {@link error}. */
  private _exportTask = new Task();
  private _selection: ExportSelection;
  private _selectedSelector: string | null;
  private _rememberedSelector: string | null = null;
  private _taggedCount: number;
  private _output: string;
  private _force = false;
  private _preview: IExportReply | null = null;
  private _sourceClassification: string | null = null;
  private _lastResult: IExportReply | null = null;
  private _isDisposed = false;
  private _stateChanged = new Signal<ExportModel, void>(this);
}

/**
 * The module each open notebook remembers (server paths), for the sidebar's
 * "Re-export" action. The app keeps it up to date from the notebooks'
 * metadata; views listen to {@link changed}.
 */
export class ExportTargets implements IExportTargets {
  /** The remembered module of the notebook at `path`, as a server path. */
  get(path: string | null): string | null {
    return path === null ? null : (this._targets.get(path) ?? null);
  }

  /**
   * Record what the notebook at `path` remembers (`jupyterlab_repro`
   * metadata); null or no `export` entry forgets it.
   */
  update(path: string, metadata: unknown): void {
    const settings = readSettings(metadata);
    const target = settings ? resolveModule(path, settings.module) : null;
    if (this.get(path) === target) {
      return;
    }
    if (target === null) {
      this._targets.delete(path);
    } else {
      this._targets.set(path, target);
    }
    this._changed.emit();
  }

  forget(path: string): void {
    if (this._targets.delete(path)) {
      this._changed.emit();
    }
  }

  get changed(): ISignal<ExportTargets, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _targets = new Map<string, string>();
  private _isDisposed = false;
  private _changed = new Signal<ExportTargets, void>(this);
}
