import { ReproRequestError } from '../common/api';
import { Task } from '../common/task';

/** A promise the test settles later. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

describe('Task', () => {
  let task: Task;
  let emitted: number;

  beforeEach(() => {
    task = new Task();
    emitted = 0;
    task.changed.connect(() => emitted++);
  });

  afterEach(() => {
    task.dispose();
    jest.useRealTimers();
  });

  it('is busy while a run is in flight and emits when it starts and settles', async () => {
    const reply = deferred<string>();
    expect(task.busy).toBe(false);
    const done = task.run(() => reply.promise);
    expect(task.busy).toBe(true);
    expect(task.pending).toBe(true);
    expect(emitted).toBe(1);
    reply.resolve('ok');
    await expect(done).resolves.toBe('ok');
    expect(task.busy).toBe(false);
    expect(task.pending).toBe(false);
    expect(emitted).toBe(2);
  });

  it('drops a stale reply: only the latest run is applied', async () => {
    const first = deferred<string>();
    const second = deferred<string>();
    const applied: string[] = [];
    const a = task.load(
      () => first.promise,
      v => applied.push(v)
    );
    const b = task.load(
      () => second.promise,
      v => applied.push(v)
    );
    second.resolve('second');
    await b;
    expect(task.busy).toBe(true); // the first is still in flight
    first.resolve('first');
    await a;
    expect(applied).toEqual(['second']);
    expect(task.busy).toBe(false);
  });

  it('tells a run whether it is still the latest', async () => {
    const gate = deferred<void>();
    const seen: boolean[] = [];
    const a = task.load(
      async isCurrent => {
        seen.push(isCurrent());
        await gate.promise;
        seen.push(isCurrent());
      },
      () => undefined
    );
    task.invalidate();
    gate.resolve();
    await a;
    expect(seen).toEqual([true, false]);
  });

  it('records the failure of the latest run as an IRequestFailure', async () => {
    const failed: unknown[] = [];
    await task.load(
      async () => {
        throw new ReproRequestError('git timed out', 504, 'git-timeout');
      },
      () => undefined,
      error => failed.push(error)
    );
    expect(task.error).toEqual({
      message: 'git timed out',
      reason: 'git-timeout',
      status: 504
    });
    expect(failed).toHaveLength(1);
    // The next run clears it at its start.
    const next = task.run(async () => 1);
    expect(task.error).toBeNull();
    await next;
    expect(task.error).toBeNull();
  });

  it('rethrows from run() and keeps the error, with a custom failure shape', async () => {
    const custom = new Task<{
      message: string;
      reason: string | null;
      status: number;
      extra: string;
    }>({
      toFailure: error => ({
        message: (error as Error).message,
        reason: null,
        status: 0,
        extra: 'x'
      })
    });
    await expect(
      custom.run(async () => {
        throw new Error('disk full');
      })
    ).rejects.toThrow('disk full');
    expect(custom.error).toEqual({
      message: 'disk full',
      reason: null,
      status: 0,
      extra: 'x'
    });
    custom.clearError();
    expect(custom.error).toBeNull();
    custom.dispose();
  });

  it('does not record the failure of a superseded run', async () => {
    const first = deferred<void>();
    const a = task.run(() => first.promise).catch(() => undefined);
    await task.run(async () => undefined);
    first.reject(new Error('late'));
    await a;
    expect(task.error).toBeNull();
  });

  it('debounces scheduled runs, and a run started meanwhile cancels them', () => {
    jest.useFakeTimers();
    const slow = new Task({ debounce: 300 });
    let starts = 0;
    slow.schedule(() => starts++);
    slow.schedule(() => starts++);
    expect(slow.pending).toBe(true);
    jest.advanceTimersByTime(299);
    expect(starts).toBe(0);
    jest.advanceTimersByTime(1);
    expect(starts).toBe(1);
    slow.schedule(() => starts++);
    void slow.run(async () => undefined);
    jest.advanceTimersByTime(1000);
    expect(starts).toBe(1);
    slow.schedule(() => starts++);
    slow.invalidate();
    jest.advanceTimersByTime(1000);
    expect(starts).toBe(1);
    expect(slow.pending).toBe(false);
    slow.dispose();
  });

  it('runs a scheduled start at once without a debounce', () => {
    let starts = 0;
    task.schedule(() => starts++);
    expect(starts).toBe(1);
  });

  it('stops applying and emitting once disposed', async () => {
    jest.useFakeTimers();
    const reply = deferred<string>();
    const applied: string[] = [];
    const slow = new Task({ debounce: 100 });
    let count = 0;
    slow.changed.connect(() => count++);
    const done = slow.load(
      () => reply.promise,
      v => applied.push(v)
    );
    let starts = 0;
    slow.schedule(() => starts++);
    slow.dispose();
    reply.resolve('late');
    await done;
    jest.advanceTimersByTime(1000);
    await flush();
    expect(applied).toEqual([]);
    expect(starts).toBe(0);
    expect(count).toBe(1); // the start only
    expect(slow.isDisposed).toBe(true);
  });
});
