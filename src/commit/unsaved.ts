import { IChangedArgs } from '@jupyterlab/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IUnsavedChanges } from './model';

/**
 * An open notebook as {@link UnsavedDocuments} reads it (a notebook panel
 * fits).
 */
export interface IOpenDocument {
  readonly context: {
    /** The contents path (drive prefix included). */
    readonly path: string;
    readonly pathChanged: ISignal<unknown, string>;
    /** Emitted after a save or a revert: the model is the file then. */
    readonly fileChanged: ISignal<unknown, unknown>;
    readonly ready: Promise<void>;
    readonly model: {
      readonly dirty: boolean;
      readonly stateChanged: ISignal<unknown, IChangedArgs<unknown>>;
      readonly contentChanged: ISignal<unknown, void>;
      readonly cells: Iterable<{
        readonly type: string;
        readonly sharedModel: { getSource(): string };
      }>;
    };
  };
  readonly disposed: ISignal<unknown, void>;
}

/**
 * What a snapshot commits of an open notebook: its cells' types and
 * sources. Outputs, execution counts and metadata (`language_info`, which
 * the kernel writes on start) are left out, as the commit leaves them out.
 */
export function committedCode(document: IOpenDocument): string {
  const parts: string[] = [];
  for (const cell of document.context.model.cells) {
    parts.push(cell.type, cell.sharedModel.getSource());
  }
  return parts.join('\u0000');
}

/** Milliseconds between an edit and comparing the code again. */
const SETTLE = 250;

/**
 * Which open notebooks hold code their saved file lacks, by server path: an
 * unsaved edit of a cell, a cell added, moved or deleted. Unsaved outputs or
 * metadata (the kernel's `language_info`) do not count: the commit strips
 * them. The notebooks come in through `added` (the notebook tracker's
 * `widgetAdded`) and are forgotten when disposed.
 */
export class UnsavedDocuments implements IUnsavedChanges, IDisposable {
  constructor(options: {
    added: ISignal<unknown, IOpenDocument>;
    /** The server path of a contents path (drive prefix removed). */
    localPath: (path: string) => string;
    /** Milliseconds between an edit and a new comparison (250). */
    settle?: number;
  }) {
    this._added = options.added;
    this._localPath = options.localPath;
    this._settle = options.settle ?? SETTLE;
    this._added.connect(this._onAdded, this);
  }

  /** Emitted with the server path of a notebook whose state changed. */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  has(path: string): boolean {
    for (const [document, state] of this._documents) {
      if (state.unsaved && this._localPath(document.context.path) === path) {
        return true;
      }
    }
    return false;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._added.disconnect(this._onAdded, this);
    for (const state of this._documents.values()) {
      state.stop();
    }
    this._documents.clear();
    Signal.clearData(this);
  }

  private _onAdded(_: unknown, document: IOpenDocument): void {
    const context = document.context;
    const state: IDocumentState = {
      saved: null,
      unsaved: false,
      timer: null,
      stop: () => undefined
    };
    // Compare the code with the saved file's; tell when the answer changes.
    const update = () => {
      if (state.timer !== null) {
        clearTimeout(state.timer);
        state.timer = null;
      }
      const unsaved =
        state.saved !== null &&
        context.model.dirty &&
        committedCode(document) !== state.saved;
      if (unsaved !== state.unsaved) {
        state.unsaved = unsaved;
        this._emit(context.path);
      }
    };
    const onSaved = () => {
      state.saved = committedCode(document);
      update();
    };
    const onState = (__: unknown, change: IChangedArgs<unknown>) => {
      if (change.name === 'dirty') {
        update();
      }
    };
    const onContent = () => {
      if (state.saved === null || !context.model.dirty) {
        return;
      }
      if (state.timer !== null) {
        clearTimeout(state.timer);
      }
      state.timer = setTimeout(update, this._settle);
    };
    const onPath = () => this._emit(context.path);
    state.stop = () => {
      if (state.timer !== null) {
        clearTimeout(state.timer);
      }
      context.fileChanged.disconnect(onSaved);
      context.model.stateChanged.disconnect(onState);
      context.model.contentChanged.disconnect(onContent);
      context.pathChanged.disconnect(onPath);
    };
    this._documents.set(document, state);
    context.fileChanged.connect(onSaved);
    context.model.stateChanged.connect(onState);
    context.model.contentChanged.connect(onContent);
    context.pathChanged.connect(onPath);
    void context.ready
      .then(() => {
        // Loaded: the model is the file (unless edited meanwhile).
        if (this._documents.has(document) && state.saved === null) {
          state.saved = committedCode(document);
          update();
        }
      })
      .catch(() => undefined);
    document.disposed.connect(() => {
      state.stop();
      this._documents.delete(document);
      if (state.unsaved) {
        this._emit(context.path);
      }
    });
  }

  private _emit(path: string): void {
    if (!this._isDisposed) {
      this._changed.emit(this._localPath(path));
    }
  }

  private _added: ISignal<unknown, IOpenDocument>;
  private _localPath: (path: string) => string;
  private _settle: number;
  private _documents = new Map<IOpenDocument, IDocumentState>();
  private _changed = new Signal<this, string>(this);
  private _isDisposed = false;
}

interface IDocumentState {
  /** The code of the saved file (null until the notebook is loaded). */
  saved: string | null;
  /** The last answer given. */
  unsaved: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  stop: () => void;
}
