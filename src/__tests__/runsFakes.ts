import { Requester } from '../common/api';
import { IRun, IRunGroup, IRunsReply } from '../runs/model';

/**
 * A requester whose answers the test releases one by one.
 */
export class FakeServer {
  calls: { endpoint: string; init?: RequestInit }[] = [];
  private _pending: {
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }[] = [];

  requester: Requester = <T>(endpoint: string, init?: RequestInit) => {
    this.calls.push({ endpoint, init });
    return new Promise<T>((resolve, reject) => {
      this._pending.push({ resolve: resolve as (v: unknown) => void, reject });
    });
  };

  /** The query arguments of call `index`. */
  query(index: number): URLSearchParams {
    const endpoint = this.calls[index].endpoint;
    return new URLSearchParams(endpoint.slice(endpoint.indexOf('?') + 1));
  }

  async answer(index: number, value: unknown): Promise<void> {
    this._pending[index].resolve(value);
    await flush();
  }

  async fail(index: number, error: unknown): Promise<void> {
    this._pending[index].reject(error);
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 8; i++) {
    await Promise.resolve();
  }
}

export function run(id: string, overrides: Partial<IRun> = {}): IRun {
  return {
    run_id: id,
    run_name: `run-${id}`,
    experiment_id: '1',
    experiment_name: 'default',
    status: 'FINISHED',
    start_time: Date.UTC(2026, 0, 1, 12, 0, 0),
    end_time: Date.UTC(2026, 0, 1, 12, 1, 30),
    duration: 90,
    user: 'ann',
    params: {},
    metrics: {},
    tags: { 'repro.notebook': 'train.ipynb' },
    dirty: false,
    url: null,
    ...overrides
  };
}

export function group(
  commit: string | null,
  runs: IRun[],
  overrides: Partial<IRunGroup> = {}
): IRunGroup {
  return {
    key: commit,
    commit,
    short_sha: commit ? commit.slice(0, 7) : null,
    subject: commit ? `feat: commit ${commit.slice(0, 3)}` : null,
    committed_at: '2026-01-01T12:00:00+00:00',
    known: commit !== null,
    snapshot: false,
    parent: null,
    parent_short_sha: null,
    parent_subject: null,
    branch: 'main',
    runs,
    ...overrides
  };
}

export function reply(
  groups: IRunGroup[],
  next: string | null = null,
  path = 'nb/train.ipynb'
): IRunsReply {
  return {
    path,
    notebook: 'nb/train.ipynb',
    commit: null,
    tracking: {
      uri_kind: 'sqlite',
      uri: 'sqlite:///mlflow.db',
      ui_url: null
    },
    groups,
    next_page_token: next
  };
}

export const SHA_A = 'a'.repeat(40);
export const SHA_B = 'b'.repeat(40);
export const SHA_C = 'c'.repeat(40);
