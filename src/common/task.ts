import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IRequestFailure, toRequestFailure } from './api';

/**
 * One kind of pending work of a model (reading the status, previewing an
 * export, committing a snapshot …), so no model repeats busy flags, error
 * fields, sequence numbers, debounce timers and dispose checks.
 *
 * Every run gets a sequence number: only the latest run (not superseded by
 * a later run, {@link invalidate} or {@link dispose}) updates the model and
 * records its failure. {@link changed} is emitted when a run starts and
 * when one settles, so a model forwards it to its own signal.
 */
export class Task<
  F extends IRequestFailure = IRequestFailure
> implements IDisposable {
  constructor(options: Task.IOptions<F> = {}) {
    this._toFailure =
      options.toFailure ?? (toRequestFailure as (error: unknown) => F);
    this._debounce = options.debounce ?? 0;
  }

  /** Runs in flight, superseded ones included. */
  get busy(): boolean {
    return this._running > 0;
  }

  /** A run is scheduled, or the latest run has not settled yet. */
  get pending(): boolean {
    return this._timer !== null || this._unsettled !== null;
  }

  /** The failure of the latest run; null while it runs and after a success. */
  get error(): F | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Emitted when a run starts and when one settles (not after dispose). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Run an action (commit, write …). Resolves to its value or rejects with
   * its error, superseded or not; the error is also kept in {@link error}.
   */
  async run<T>(action: Task.Action<T>): Promise<T> {
    const outcome = await this._execute(action);
    if ('error' in outcome) {
      throw outcome.error;
    }
    return outcome.value;
  }

  /**
   * Read something the model shows. `apply` (or `fail`) is called only if
   * this is still the latest run when it settles: stale replies are
   * dropped. Never rejects.
   */
  async load<T>(
    action: Task.Action<T>,
    apply: (value: T) => void,
    fail?: (error: unknown) => void
  ): Promise<void> {
    await this._execute(action, apply, fail);
  }

  /**
   * Call `start` (which runs the task) after the debounce delay, replacing
   * a call already scheduled; at once when the delay is 0.
   */
  schedule(start: () => void): void {
    this._cancelTimer();
    if (this._isDisposed) {
      return;
    }
    if (this._debounce <= 0) {
      start();
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      start();
    }, this._debounce);
  }

  /**
   * What was asked is outdated: replies of runs in flight will be dropped,
   * a scheduled run is cancelled and the last error forgotten.
   */
  invalidate(): void {
    this._sequence++;
    this._unsettled = null;
    this._error = null;
    this._cancelTimer();
  }

  /** Forget the last error (the user changed what failed). */
  clearError(): void {
    this._error = null;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.invalidate();
    Signal.clearData(this);
  }

  private async _execute<T>(
    action: Task.Action<T>,
    apply?: (value: T) => void,
    fail?: (error: unknown) => void
  ): Promise<{ value: T } | { error: unknown }> {
    this._cancelTimer();
    const id = ++this._sequence;
    const isCurrent = () => id === this._sequence && !this._isDisposed;
    this._running++;
    this._unsettled = id;
    this._error = null;
    this._changed.emit();
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await action(isCurrent) };
    } catch (error) {
      outcome = { error };
    }
    this._running--;
    try {
      if (isCurrent()) {
        this._unsettled = null;
        if ('error' in outcome) {
          this._error = this._toFailure(outcome.error);
          fail?.(outcome.error);
        } else {
          apply?.(outcome.value);
        }
      }
    } finally {
      if (!this._isDisposed) {
        this._changed.emit();
      }
    }
    return outcome;
  }

  private _cancelTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _toFailure: (error: unknown) => F;
  private _debounce: number;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _sequence = 0;
  private _running = 0;
  private _unsettled: number | null = null;
  private _error: F | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace Task {
  /**
   * The work of one run; `isCurrent()` says whether it is still the
   * latest (a run of several requests can stop early when it is not).
   */
  export type Action<T> = (isCurrent: () => boolean) => Promise<T>;

  export interface IOptions<F extends IRequestFailure> {
    /** The failure a thrown error is recorded as (default {@link toRequestFailure}). */
    toFailure?: (error: unknown) => F;
    /** Milliseconds {@link Task.schedule} waits (default 0: no wait). */
    debounce?: number;
  }
}
