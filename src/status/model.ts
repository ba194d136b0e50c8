import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ReproRequestError, Requester } from '../common/api';
import { Task } from '../common/task';
import { IReproModel, IStatusReply, StatusState } from '../tokens';

/**
 * Options to build a {@link ReproModel}.
 */
export interface IReproModelOptions {
  /** Sends requests to the server extension. */
  requester: Requester;
  /** The frontend's own version, compared with the server's. */
  version: string;
  /** Seconds between status polls while the page is visible (default 30). */
  refreshInterval?: number;
  /** Start polling at once (default true; tests turn it off). */
  autoStart?: boolean;
  /** Translates the messages the model writes itself. */
  trans?: TranslationBundle;
}

/**
 * Repository status of the followed path, refreshed on demand and on a slow
 * poll that stands by while the page is hidden.
 */
export class ReproModel implements IReproModel {
  constructor(options: IReproModelOptions) {
    this._requester = options.requester;
    this._version = options.version;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this._reading.changed.connect(this._emit, this);
    this._writing.changed.connect(this._emit, this);
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: this._frequency(options.refreshInterval ?? 30),
      name: 'jupyterlab-repro:status',
      standby: 'when-hidden',
      auto: false
    });
    if (options.autoStart ?? true) {
      void this._poll.start();
    }
  }

  get state(): StatusState {
    return this._state;
  }

  get path(): string {
    return this._path;
  }

  get status(): IStatusReply | null {
    return this._status;
  }

  get message(): string | null {
    return this._message;
  }

  get busy(): boolean {
    return this._reading.busy || this._writing.busy;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get stateChanged(): ISignal<IReproModel, void> {
    return this._stateChanged;
  }

  /**
   * Follow another notebook or folder (a server path, '' for the root).
   */
  setPath(path: string): void {
    if (path === this._path && this._status !== null) {
      return;
    }
    this._path = path;
    this._stateChanged.emit();
    void this.refresh();
  }

  /**
   * Change the poll interval (seconds).
   */
  setRefreshInterval(seconds: number): void {
    this._poll.frequency = this._frequency(seconds);
  }

  /**
   * Read the status of the followed path now. Replies to superseded
   * requests (the path changed meanwhile) are dropped.
   */
  async refresh(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const path = this._path;
    if (this._status === null || this._status.path !== path) {
      this._state = 'loading';
    }
    await this._reading.load(
      () =>
        this._requester<IStatusReply>(
          `status?path=${encodeURIComponent(path)}`
        ),
      reply => this._applyReply(reply),
      error => this._applyError(error)
    );
  }

  /**
   * Create a repository (with an ML .gitignore and a first commit) in the
   * followed folder. Throws with the server's message on failure.
   */
  async initRepository(identity?: {
    name: string;
    email: string;
  }): Promise<void> {
    const directory = this._status?.directory ?? this._path;
    await this._mutate<IStatusReply>('init', {
      path: directory,
      ...(identity ?? {})
    });
    await this.refresh();
  }

  /**
   * Store a git identity: in the repository when there is one, else globally.
   */
  async setIdentity(name: string, email: string): Promise<void> {
    const scope = this._status?.repository ? 'repository' : 'global';
    await this._mutate('identity', {
      path: this._status?.directory ?? this._path,
      name,
      email,
      scope
    });
    await this.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this._reading.dispose();
    this._writing.dispose();
    Signal.clearData(this);
  }

  private _mutate<T>(endpoint: string, body: unknown): Promise<T> {
    return this._writing.run(() =>
      this._requester<T>(endpoint, {
        method: 'POST',
        body: JSON.stringify(body)
      })
    );
  }

  private _emit(): void {
    this._stateChanged.emit();
  }

  private _applyReply(reply: IStatusReply): void {
    this._status = reply;
    if (reply.version !== this._version) {
      this._state = 'version-mismatch';
      this._message = this._trans.__(
        "The server extension is version %1 but this page runs version %2. Reinstall jupyterlab_repro in the server's environment, restart the server and reload the page.",
        reply.version,
        this._version
      );
      return;
    }
    this._message = null;
    if (reply.repository === null) {
      this._state = 'not-repository';
    } else if (!reply.repository.has_commits) {
      this._state = 'no-commits';
    } else {
      this._state = 'ready';
    }
  }

  private _applyError(error: unknown): void {
    this._status = null;
    if (
      error instanceof ReproRequestError &&
      error.status === 404 &&
      error.reason === null
    ) {
      this._state = 'server-missing';
      this._message = this._trans.__(
        "The jupyterlab_repro server extension is not running. Install it in the server's environment (pip install jupyterlab_repro), check 'jupyter server extension list', then restart the server."
      );
      return;
    }
    this._state = 'error';
    this._message =
      error instanceof Error
        ? error.message
        : this._trans.__('Unknown error reading status.');
  }

  private _frequency(seconds: number) {
    const interval = Math.max(5, seconds) * 1000;
    return { interval, backoff: true, max: Math.max(interval, 300 * 1000) };
  }

  private _requester: Requester;
  private _version: string;
  private _trans: TranslationBundle;
  /** Status reads: a reply for a path no longer followed is dropped. */
  private _reading = new Task();
  /** init and identity writes. */
  private _writing = new Task();
  private _poll: Poll;
  private _path = '';
  private _state: StatusState = 'loading';
  private _status: IStatusReply | null = null;
  private _message: string | null = null;
  private _isDisposed = false;
  private _stateChanged = new Signal<IReproModel, void>(this);
}
