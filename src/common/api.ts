// The only HTTP door to the server extension: every request of every
// feature goes through a Requester made here.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/**
 * A request to the server extension; tests pass their own.
 */
export type Requester = <T>(endpoint: string, init?: RequestInit) => Promise<T>;

/**
 * An error reply from the server extension, with its message and reason.
 */
export class ReproRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | null = null,
    /** The whole JSON error reply (extra fields such as `violations`). */
    readonly body: Record<string, unknown> | null = null
  ) {
    super(message);
    this.name = 'ReproRequestError';
  }
}

/**
 * A failed action as the views show it: message, the server's reason and the
 * HTTP status (0 when the server was not reached or the error is local).
 */
export interface IRequestFailure {
  message: string;
  reason: string | null;
  status: number;
}

/**
 * The {@link IRequestFailure} of anything a request or an action threw.
 */
export function toRequestFailure(error: unknown): IRequestFailure {
  if (error instanceof ReproRequestError) {
    return {
      message: error.message,
      reason: error.reason,
      status: error.status
    };
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    reason: null,
    status: 0
  };
}

/**
 * Call `/jupyterlab-repro/<endpoint>` and return its JSON.
 *
 * Throws {@link ReproRequestError} with the server's `message` on a 4xx/5xx
 * and status 0 when the server cannot be reached.
 */
export function makeRequester(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  trans: TranslationBundle = nullTranslator.load('jupyterlab_repro')
): Requester {
  return async <T>(endpoint: string, init: RequestInit = {}): Promise<T> => {
    const url = URLExt.join(settings.baseUrl, 'jupyterlab-repro', endpoint);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, settings);
    } catch (error) {
      throw new ReproRequestError(
        trans.__(
          'Cannot reach the Jupyter server: %1',
          (error as Error).message
        ),
        0
      );
    }
    const text = await response.text();
    let data: any = null;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message =
        data && typeof data.message === 'string'
          ? data.message
          : `${response.status} ${response.statusText}`;
      const reason =
        data && typeof data.reason === 'string' ? data.reason : null;
      const body =
        data !== null && typeof data === 'object' && !Array.isArray(data)
          ? (data as Record<string, unknown>)
          : null;
      throw new ReproRequestError(message, response.status, reason, body);
    }
    return data as T;
  };
}
