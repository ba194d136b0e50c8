// The reproductions the server runs, as the lab follows them: start, cancel,
// and a poll while one runs. The jobs live on the server, so a reloaded page
// finds them with the first refresh. No DOM.
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { Requester } from '../common/api';
import { Task } from '../common/task';
import { IReproductionInfo, IReproductions } from '../tokens';
import { IJob, IJobsReply, IReproduceOptions, Verdict } from './types';

const ENDPOINT = 'runs/reproduce';

export interface IReproduceModelOptions {
  requester: Requester;
  /** Milliseconds between two reads while a job runs (default 1000). */
  interval?: number;
  /** Read the jobs at once and poll while one runs (default true). */
  autoStart?: boolean;
}

/**
 * Where a job's runs are (the path to compare them at, the notebook the
 * sidebar follows): the path it was asked for, else `fallback` (a job
 * started without a path, over REST), else the server root.
 */
export function pathOf(job: IJob, fallback: string | null): string {
  return job.path || fallback || '';
}

/** A job as other features see it ({@link IReproductions}). */
export function infoOf(job: IJob): IReproductionInfo {
  return {
    job: job.job,
    runId: job.run_id,
    verdict: job.verdict?.verdict ?? null,
    reproductionRunId: job.reproduction_run_id
  };
}

/**
 * What {@link ReproduceModel} shows other plugins (the {@link IReproductions} token).
 */
export class Reproductions implements IReproductions {
  constructor(private readonly _model: ReproduceModel) {
    _model.stateChanged.connect(() => this._changed.emit(), this);
    _model.finished.connect((_, job) => this._finished.emit(infoOf(job)), this);
  }

  get running(): IReproductionInfo | null {
    const job = this._model.running;
    return job === null ? null : infoOf(job);
  }

  latest(runId: string): IReproductionInfo | null {
    const job = this._model.latestFor(runId);
    return job === null ? null : infoOf(job);
  }

  get finished(): ISignal<IReproductions, IReproductionInfo> {
    return this._finished;
  }

  get changed(): ISignal<IReproductions, void> {
    return this._changed;
  }

  private _finished = new Signal<IReproductions, IReproductionInfo>(this);
  private _changed = new Signal<IReproductions, void>(this);
}

/**
 * The jobs of `runs/reproduce`, newest first; polled while one runs.
 */
export class ReproduceModel implements IDisposable {
  constructor(options: IReproduceModelOptions) {
    this._requester = options.requester;
    this._reading.changed.connect(this._emit, this);
    this._writing.changed.connect(this._emit, this);
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: {
        interval: options.interval ?? 1000,
        backoff: true,
        max: 10000
      },
      name: 'jupyterlab-repro:reproduce',
      standby: 'when-hidden',
      auto: false
    });
    if (options.autoStart ?? true) {
      void this.refresh();
    }
  }

  /** Every job the server remembers, newest first. */
  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  /** The job running now, if any (the server runs one at a time by default). */
  get running(): IJob | null {
    return this._jobs.find(job => job.state !== 'finished') ?? null;
  }

  get busy(): boolean {
    return this._reading.busy || this._writing.busy;
  }

  /** The last failure of a read, a start or a cancel. */
  get error(): string | null {
    return (this._writing.error ?? this._reading.error)?.message ?? null;
  }

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emitted once per job when it is seen finished after it was seen running. */
  get finished(): ISignal<this, IJob> {
    return this._finished;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  job(id: string): IJob | null {
    return this._jobs.find(job => job.job === id) ?? null;
  }

  /** The newest job of the run `runId` (a reproduction of it). */
  latestFor(runId: string): IJob | null {
    return this._jobs.find(job => job.run_id === runId) ?? null;
  }

  /** The verdict of the newest finished reproduction of `runId`, if any. */
  verdictOf(runId: string): Verdict | null {
    const job = this._jobs.find(
      j => j.run_id === runId && j.verdict !== null && j.state === 'finished'
    );
    return job?.verdict?.verdict ?? null;
  }

  /** Read every job again (the poll does it while one runs). */
  async refresh(): Promise<void> {
    await this._reading.load(
      () => this._requester<IJobsReply>(ENDPOINT),
      reply => this._apply(reply.jobs)
    );
  }

  /**
   * Start reproducing `runId` (`path`: where its repository is). Rejects with
   * the server's error: 409 `environment-differs` (with the check) when
   * strict and anything differs, 409 `reproduction-running` (with the job).
   */
  async start(
    runId: string,
    path: string,
    options: IReproduceOptions
  ): Promise<IJob> {
    const body: Record<string, unknown> = {
      path,
      run_id: runId,
      strict: options.strict,
      rtol: options.rtol,
      atol: options.atol
    };
    if (options.timeout !== null) {
      body.timeout = options.timeout;
    }
    const job = await this._writing.run(() =>
      this._requester<IJob>(ENDPOINT, {
        method: 'POST',
        body: JSON.stringify(body)
      })
    );
    this._merge(job);
    return job;
  }

  /** Cancel the job `id`: its kernel is shut down, its work tree removed. */
  async cancel(id: string): Promise<IJob> {
    const job = await this._writing.run(() =>
      this._requester<IJob>(`${ENDPOINT}?job=${encodeURIComponent(id)}`, {
        method: 'DELETE'
      })
    );
    this._merge(job);
    return job;
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

  private _merge(job: IJob): void {
    const others = this._jobs.filter(j => j.job !== job.job);
    this._apply([job, ...others].sort((a, b) => b.created - a.created));
  }

  private _apply(jobs: IJob[]): void {
    if (this._isDisposed) {
      return;
    }
    const before = new Map(this._jobs.map(job => [job.job, job.state]));
    this._jobs = jobs;
    for (const job of jobs) {
      const was = before.get(job.job);
      if (job.state === 'finished' && was !== undefined && was !== 'finished') {
        this._finished.emit(job);
      }
    }
    const polling = this.running !== null;
    if (polling !== this._polling) {
      this._polling = polling;
      void (polling ? this._poll.start() : this._poll.stop());
    }
    this._emit();
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._stateChanged.emit();
    }
  }

  private _requester: Requester;
  private _jobs: IJob[] = [];
  private _poll: Poll;
  private _polling = false;
  private _reading = new Task();
  private _writing = new Task();
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
  private _finished = new Signal<this, IJob>(this);
}
