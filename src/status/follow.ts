import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { ReproPathSource } from '../tokens';

/**
 * What one kind of main-area widget says the sidebar should follow: a
 * server path; `null` when the widget is its kind but names no path yet
 * (the path stays what it was); `undefined` when the widget is not its kind
 * (the next source is asked).
 */
export type PathSource = ReproPathSource;

/**
 * Which path the sidebar follows. The sources are asked in rank order about
 * the current main-area widget (while `followNotebook` is on): a notebook
 * as it was (the notebook it is a version of), a comparison or the runs
 * table (their notebook), the Reproductions view (the notebook of its
 * newest job), a console on a notebook's kernel (that notebook), the active
 * notebook. The first that knows the widget decides; when none does (or
 * following is off), the file browser's folder is followed.
 */
export class PathFollower implements IDisposable {
  constructor(options: {
    /** Where the path goes (the sidebar model). */
    target: { setPath(path: string): void; readonly isDisposed: boolean };
    /** The current main-area widget. */
    current: () => unknown;
    /** The file browser's folder (server path), null without a browser. */
    folder: () => string | null;
  }) {
    this._options = options;
  }

  /** Follow the main area's widget (setting `followActiveNotebook`). */
  get followNotebook(): boolean {
    return this._followNotebook;
  }
  set followNotebook(value: boolean) {
    this._followNotebook = value;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask `source` about the current widget; lower ranks are asked first
   * (equal ranks in the order added). Disposing the result removes it.
   */
  addSource(source: PathSource, rank: number): IDisposable {
    const entry = { source, rank, order: this._order++ };
    this._sources.push(entry);
    this._sources.sort((a, b) => a.rank - b.rank || a.order - b.order);
    return new DisposableDelegate(() => {
      const at = this._sources.indexOf(entry);
      if (at >= 0) {
        this._sources.splice(at, 1);
      }
    });
  }

  /**
   * Call `watcher` with the current widget every time the path is chosen,
   * whether or not the widget is followed (e.g. to say which version of a
   * notebook is shown, or to follow a view's own changes). Disposing the
   * result removes it.
   */
  addWatcher(watcher: (widget: unknown) => void): IDisposable {
    this._watchers.push(watcher);
    return new DisposableDelegate(() => {
      const at = this._watchers.indexOf(watcher);
      if (at >= 0) {
        this._watchers.splice(at, 1);
      }
    });
  }

  /**
   * The path to follow now: a server path, or null to keep the one
   * followed.
   */
  choose(): string | null {
    const current = this._options.current();
    for (const watcher of [...this._watchers]) {
      watcher(current);
    }
    if (this._followNotebook) {
      for (const { source } of this._sources) {
        const path = source(current);
        if (path !== undefined) {
          return path;
        }
      }
    }
    return this._options.folder();
  }

  /** Move the target to the path to follow now. */
  follow(): void {
    if (this._isDisposed || this._options.target.isDisposed) {
      return;
    }
    const path = this.choose();
    if (path !== null) {
      this._options.target.setPath(path);
    }
  }

  dispose(): void {
    this._isDisposed = true;
    this._sources = [];
    this._watchers = [];
  }

  private _options: {
    target: { setPath(path: string): void; readonly isDisposed: boolean };
    current: () => unknown;
    folder: () => string | null;
  };
  private _sources: { source: PathSource; rank: number; order: number }[] = [];
  private _watchers: ((widget: unknown) => void)[] = [];
  private _order = 0;
  private _followNotebook = true;
  private _isDisposed = false;
}
