import { PathExt } from '@jupyterlab/coreutils';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { PartialJSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { ReproRequestError, Requester } from '../common/api';

/** The contents drive of the notebooks as they were. */
export const HISTORY_DRIVE = 'ReproHistory';

/** How many notebook versions the drive keeps in memory. */
const CACHE_SIZE = 20;

/**
 * `GET /jupyterlab-repro/runs/notebook` reply: a notebook as a commit (or a
 * run's hidden snapshot) holds it.
 */
export interface INotebookVersion {
  /** The notebook (server path). */
  path: string;
  /** The full sha of the commit or snapshot. */
  commit: string;
  /** Whether the commit is a run's hidden snapshot. */
  snapshot: boolean;
  /** How a view of it is titled: `train.ipynb @ a1b2c3d`. */
  label: string;
  /** The notebook JSON. */
  content: PartialJSONObject;
}

/**
 * Read the notebook at `path` (server path) as `commit` holds it; writes
 * nothing. Throws {@link ReproRequestError}; a server without the route
 * gets a message that says so.
 */
export async function fetchNotebookVersion(
  requester: Requester,
  path: string,
  commit: string,
  trans: TranslationBundle = nullTranslator.load('jupyterlab_repro')
): Promise<INotebookVersion> {
  let reply: INotebookVersion;
  try {
    reply = await requester<INotebookVersion>(
      `runs/notebook?path=${encodeURIComponent(path)}` +
        `&commit=${encodeURIComponent(commit)}`
    );
  } catch (error) {
    if (
      error instanceof ReproRequestError &&
      (error.status === 404 || error.status === 405) &&
      error.reason === null
    ) {
      throw new ReproRequestError(
        trans.__(
          'Opening the notebook as it was for a run is not available in this version of the jupyterlab_repro server extension.'
        ),
        404,
        'not-available'
      );
    }
    throw error;
  }
  if (
    !reply ||
    typeof reply.commit !== 'string' ||
    !/^[0-9a-f]{7,64}$/.test(reply.commit) ||
    reply.content === null ||
    typeof reply.content !== 'object' ||
    Array.isArray(reply.content)
  ) {
    throw new ReproRequestError(
      trans.__('The server did not send the notebook as it was.'),
      500,
      'bad-reply'
    );
  }
  return {
    path: typeof reply.path === 'string' ? reply.path : path,
    commit: reply.commit,
    snapshot: !!reply.snapshot,
    label:
      typeof reply.label === 'string' && reply.label
        ? reply.label
        : `${PathExt.basename(path)} @ ${reply.commit.slice(0, 7)}`,
    content: reply.content
  };
}

/**
 * Where a notebook as it was lives in the {@link HISTORY_DRIVE} drive:
 * `ReproHistory:<sha>/<folder>/<name> @ <short sha> (read-only)`. The file
 * name is the tab's title (JupyterLab titles a document by its file name).
 */
export function historyPath(
  version: { commit: string; path: string },
  trans: TranslationBundle = nullTranslator.load('jupyterlab_repro')
): string {
  const folder = PathExt.dirname(version.path);
  const name = `${PathExt.basename(version.path)} @ ${version.commit.slice(
    0,
    7
  )} ${trans.__('(read-only)')}`;
  const local = folder && folder !== '.' ? `${folder}/${name}` : name;
  return `${HISTORY_DRIVE}:${version.commit}/${local}`;
}

/**
 * The commit and notebook (server path) of a {@link historyPath}, given as
 * a drive path (`ReproHistory:…`) or as the drive's local path; null for
 * anything else.
 */
export function parseHistoryPath(
  path: string
): { commit: string; path: string } | null {
  const prefix = `${HISTORY_DRIVE}:`;
  const local = path.startsWith(prefix) ? path.slice(prefix.length) : path;
  const parts = local.split('/').filter(Boolean);
  if (parts.length < 2 || !/^[0-9a-f]{7,64}$/.test(parts[0])) {
    return null;
  }
  const commit = parts[0];
  const shown = parts[parts.length - 1];
  const match = / @ ([0-9a-f]{7,64})(?: .*)?$/.exec(shown);
  if (!match || !commit.startsWith(match[1])) {
    return null;
  }
  const name = shown.slice(0, match.index);
  if (!name) {
    return null;
  }
  return { commit, path: [...parts.slice(1, -1), name].join('/') };
}

/**
 * An error the contents manager and document contexts understand: a
 * `response.status` (404: no such file, 403: read-only) and a message.
 */
export class HistoryDriveError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'HistoryDriveError';
    this.response = { status };
  }

  /** What `Context.saveAs` looks at to tell "not found" apart. */
  readonly response: { status: number };
}

/**
 * A read-only contents drive of notebooks as commits (and runs' hidden
 * snapshots) hold them, read with `GET runs/notebook`. Nothing it holds can
 * be saved, renamed, deleted or created: those reject with a message that
 * points to "Open a working copy".
 *
 * Each version is read once (commits never change) and kept for the last
 * few notebooks opened.
 */
export class HistoryDrive implements Contents.IDrive {
  constructor(options: HistoryDrive.IOptions) {
    this._requester = options.requester;
    this._trans = options.trans ?? nullTranslator.load('jupyterlab_repro');
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  readonly name = HISTORY_DRIVE;

  readonly serverSettings: ServerConnection.ISettings;

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The notebook at `path` (server path) as `commit` holds it, read once.
   * A failed read is forgotten, so it is asked again next time.
   */
  version(path: string, commit: string): Promise<INotebookVersion> {
    const key = `${commit}\n${path}`;
    let pending = this._versions.get(key);
    if (!pending) {
      pending = fetchNotebookVersion(
        this._requester,
        path,
        commit,
        this._trans
      );
      this._versions.set(key, pending);
      pending.then(
        version => {
          this._known.set(key, version);
          // Known by its resolved sha too (a short sha or ref was asked).
          this._known.set(`${version.commit}\n${path}`, version);
          if (version.commit !== commit) {
            this._versions.set(`${version.commit}\n${path}`, pending!);
          }
          this._trim();
        },
        () => {
          if (this._versions.get(key) === pending) {
            this._versions.delete(key);
          }
        }
      );
    } else {
      // Most recently used last.
      this._versions.delete(key);
      this._versions.set(key, pending);
    }
    return pending;
  }

  /** The version a {@link historyPath} shows, if it was read already. */
  known(documentPath: string): INotebookVersion | null {
    const parsed = parseHistoryPath(documentPath);
    return parsed
      ? (this._known.get(`${parsed.commit}\n${parsed.path}`) ?? null)
      : null;
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const parsed = parseHistoryPath(localPath);
    if (!parsed || options?.type === 'directory') {
      throw this._notFound(localPath);
    }
    const version = await this.version(parsed.path, parsed.commit);
    const asText = options?.format === 'text' || options?.type === 'file';
    const withContent = options?.content !== false;
    const content = readOnlyNotebook(version.content);
    return {
      name: PathExt.basename(localPath),
      path: localPath,
      type: asText ? 'file' : 'notebook',
      writable: false,
      created: this._epoch,
      last_modified: this._epoch,
      mimetype: asText ? 'application/json' : 'application/x-ipynb+json',
      format: asText ? 'text' : 'json',
      content: withContent
        ? asText
          ? JSON.stringify(content, null, 1)
          : content
        : null
    };
  }

  getDownloadUrl(localPath: string): Promise<string> {
    return Promise.reject(this._readOnly(localPath));
  }

  newUntitled(options?: Contents.ICreateOptions): Promise<Contents.IModel> {
    return Promise.reject(this._readOnly(options?.path ?? ''));
  }

  delete(localPath: string): Promise<void> {
    return Promise.reject(this._readOnly(localPath));
  }

  rename(oldLocalPath: string, newLocalPath: string): Promise<Contents.IModel> {
    return Promise.reject(this._readOnly(oldLocalPath));
  }

  save(
    localPath: string,
    options?: Partial<Contents.IModel>
  ): Promise<Contents.IModel> {
    return Promise.reject(this._readOnly(localPath));
  }

  copy(localPath: string, toLocalDir: string): Promise<Contents.IModel> {
    return Promise.reject(this._readOnly(localPath));
  }

  createCheckpoint(localPath: string): Promise<Contents.ICheckpointModel> {
    return Promise.reject(this._readOnly(localPath));
  }

  async listCheckpoints(
    localPath: string
  ): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  restoreCheckpoint(localPath: string, checkpointID: string): Promise<void> {
    return Promise.reject(this._readOnly(localPath));
  }

  deleteCheckpoint(localPath: string, checkpointID: string): Promise<void> {
    return Promise.reject(this._readOnly(localPath));
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._versions.clear();
    this._known.clear();
    Signal.clearData(this);
  }

  private _readOnly(localPath: string): HistoryDriveError {
    const parsed = parseHistoryPath(localPath);
    return new HistoryDriveError(
      parsed
        ? this._trans.__(
            '%1 as of %2 is a read-only historical copy: nothing is written. Use "Open a working copy" or "Restore as branch" in the Repro sidebar to work on it.',
            parsed.path,
            parsed.commit.slice(0, 7)
          )
        : this._trans.__(
            'The notebooks as they were are read-only: nothing is written.'
          ),
      403
    );
  }

  private _notFound(localPath: string): HistoryDriveError {
    return new HistoryDriveError(
      this._trans.__('%1 is not a notebook as it was.', localPath),
      404
    );
  }

  private _trim(): void {
    while (this._versions.size > CACHE_SIZE) {
      const oldest = this._versions.keys().next().value as string;
      this._versions.delete(oldest);
      this._known.delete(oldest);
    }
    while (this._known.size > 2 * CACHE_SIZE) {
      const oldest = this._known.keys().next().value as string;
      this._known.delete(oldest);
    }
  }

  private _requester: Requester;
  private _trans: TranslationBundle;
  private _versions = new Map<string, Promise<INotebookVersion>>();
  private _known = new Map<string, INotebookVersion>();
  private _epoch = new Date(0).toISOString();
  private _isDisposed = false;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}

export namespace HistoryDrive {
  export interface IOptions {
    requester: Requester;
    serverSettings?: ServerConnection.ISettings;
    trans?: TranslationBundle;
  }
}

/**
 * A copy of a notebook whose cells JupyterLab shows as not editable and
 * not deletable (nbformat's `editable` / `deletable` cell metadata).
 */
export function readOnlyNotebook(
  content: PartialJSONObject
): PartialJSONObject {
  const cells = Array.isArray(content.cells) ? content.cells : [];
  return {
    ...content,
    cells: cells.map(cell => {
      if (cell === null || typeof cell !== 'object' || Array.isArray(cell)) {
        return cell;
      }
      const metadata =
        cell.metadata && typeof cell.metadata === 'object'
          ? (cell.metadata as PartialJSONObject)
          : {};
      return {
        ...cell,
        metadata: { ...metadata, editable: false, deletable: false }
      };
    })
  };
}
