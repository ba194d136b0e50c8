import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { RunsModel } from './model';

/** Most runs that can be selected (what one comparison takes). */
export const MAX_SELECTED = 10;

/**
 * The runs ticked in the runs panel (for "Compare (N)"), in the order they
 * were ticked. Forgotten when another notebook is followed; runs that are no
 * longer listed drop out.
 */
export class RunSelection implements IDisposable {
  constructor(model: RunsModel) {
    this._model = model;
    this._path = model.path;
    model.stateChanged.connect(this._onRunsChanged, this);
  }

  /** The selected run ids, in the order they were selected. */
  get ids(): string[] {
    return [...this._ids];
  }

  get size(): number {
    return this._ids.length;
  }

  /** Whether no more runs can be selected. */
  get full(): boolean {
    return this._ids.length >= MAX_SELECTED;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get changed(): ISignal<RunSelection, void> {
    return this._changed;
  }

  has(runId: string): boolean {
    return this._ids.includes(runId);
  }

  /** Select or unselect a run; a full selection takes no more. */
  toggle(runId: string): void {
    if (this.has(runId)) {
      this._set(this._ids.filter(id => id !== runId));
    } else if (!this.full) {
      this._set([...this._ids, runId]);
    }
  }

  /** Select a run (nothing if it is selected or the selection is full). */
  add(runId: string): boolean {
    if (this.has(runId)) {
      return true;
    }
    if (this.full) {
      return false;
    }
    this._set([...this._ids, runId]);
    return true;
  }

  clear(): void {
    this._set([]);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._model.stateChanged.disconnect(this._onRunsChanged, this);
    Signal.clearData(this);
  }

  private _onRunsChanged(): void {
    if (this._model.path !== this._path) {
      this._path = this._model.path;
      this.clear();
      return;
    }
    // Keep the selection while the runs are read again; drop runs that are
    // gone once they are read.
    if (this._model.state === 'ready' || this._model.state === 'empty') {
      const kept = this._ids.filter(id => this._model.findRun(id) !== null);
      if (kept.length !== this._ids.length) {
        this._set(kept);
      }
    }
  }

  private _set(ids: string[]): void {
    this._ids = ids;
    this._changed.emit();
  }

  private _model: RunsModel;
  private _path: string | null;
  private _ids: string[] = [];
  private _isDisposed = false;
  private _changed = new Signal<RunSelection, void>(this);
}
