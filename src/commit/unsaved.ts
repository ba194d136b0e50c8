import { IChangedArgs } from '@jupyterlab/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IUnsavedChanges } from './model';

/**
 * An open document as {@link UnsavedDocuments} reads it (a notebook panel
 * fits).
 */
export interface IOpenDocument {
  readonly context: {
    /** The contents path (drive prefix included). */
    readonly path: string;
    readonly pathChanged: ISignal<unknown, string>;
    readonly model: {
      readonly dirty: boolean;
      readonly stateChanged: ISignal<unknown, IChangedArgs<unknown>>;
    };
  };
  readonly disposed: ISignal<unknown, void>;
}

/**
 * Which open documents have unsaved changes, by server path: the documents
 * come in through `added` (the notebook tracker's `widgetAdded`) and are
 * forgotten when disposed.
 */
export class UnsavedDocuments implements IUnsavedChanges, IDisposable {
  constructor(options: {
    added: ISignal<unknown, IOpenDocument>;
    /** The server path of a contents path (drive prefix removed). */
    localPath: (path: string) => string;
  }) {
    this._added = options.added;
    this._localPath = options.localPath;
    this._added.connect(this._onAdded, this);
  }

  get changed(): ISignal<this, string> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  has(path: string): boolean {
    for (const document of this._documents) {
      if (
        document.context.model.dirty &&
        this._localPath(document.context.path) === path
      ) {
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
    this._documents.clear();
    Signal.clearData(this);
  }

  private _onAdded(_: unknown, document: IOpenDocument): void {
    const context = document.context;
    const emit = () => {
      if (!this._isDisposed) {
        this._changed.emit(this._localPath(context.path));
      }
    };
    const onState = (__: unknown, change: IChangedArgs<unknown>) => {
      if (change.name === 'dirty') {
        emit();
      }
    };
    this._documents.add(document);
    context.model.stateChanged.connect(onState);
    context.pathChanged.connect(emit);
    document.disposed.connect(() => {
      this._documents.delete(document);
      context.model.stateChanged.disconnect(onState);
      context.pathChanged.disconnect(emit);
      emit();
    });
  }

  private _added: ISignal<unknown, IOpenDocument>;
  private _localPath: (path: string) => string;
  private _documents = new Set<IOpenDocument>();
  private _changed = new Signal<this, string>(this);
  private _isDisposed = false;
}
