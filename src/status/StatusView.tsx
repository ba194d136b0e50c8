import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { useSignal } from '../common/useSignal';
import { IReproModel, IStatusReply } from '../tokens';
import {
  headerParts,
  IChangeClassifier,
  IChangeSummary,
  summarizeChanges
} from './summary';

export interface IStatusViewProps {
  model: IReproModel;
  trans: TranslationBundle;
  /** Runs the actions: refresh, init (it confirms first), save identity. */
  commands: CommandRegistry;
  /**
   * The classified changed files (the snapshot section's model): with it,
   * notebooks whose only changes are outputs are shown as such.
   */
  changes?: IChangeClassifier | null;
  /** The server root's folder name, for a repository at the root. */
  rootName?: string;
}

/**
 * Repository status of the followed notebook or folder: one line per fact,
 * the full text of a cut line on hover.
 *
 * Everything that comes from the server (paths, branch names, commit
 * subjects, messages) is rendered as React text, never as HTML.
 */
export function StatusView(props: IStatusViewProps): JSX.Element {
  const { model, trans, commands } = props;
  useSignal(model.stateChanged);
  useSignal(props.changes?.stateChanged);

  const { state, status } = model;
  const header = displayPath(model.path, status);
  const parts = headerParts(model.path, status, props.rootName ?? '');
  const className = 'jp-Repro-Status' + (model.busy ? ' jp-mod-busy' : '');
  return (
    <section
      className={className}
      data-state={state}
      aria-busy={model.busy}
      aria-label={trans.__('Repository status')}
    >
      <div className="jp-Repro-Status-header">
        <span className="jp-Repro-Status-path" title={header || undefined}>
          {header !== '' && parts.repository !== '' && (
            <span className="jp-Repro-Status-repoName">{parts.repository}</span>
          )}
          {header !== '' && parts.path !== '' && (
            <span className="jp-Repro-Status-subPath">
              {parts.repository !== '' ? `/${parts.path}` : parts.path}
            </span>
          )}
        </span>
        <button
          className="jp-Repro-Status-refresh"
          aria-label={trans.__('Refresh')}
          title={trans.__('Refresh the repository status')}
          onClick={() => void commands.execute(CommandIDs.refresh)}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      {state === 'loading' && (
        <div className="jp-Repro-Status-message">
          {trans.__('Reading the repository…')}
        </div>
      )}
      {(state === 'ready' || state === 'no-commits') && status && (
        <RepositoryFacts
          status={status}
          trans={trans}
          changes={props.changes ?? null}
        />
      )}
      {state === 'not-repository' && (
        <div className="jp-Repro-Status-actions">
          <div className="jp-Repro-Status-message">
            {trans.__(
              'This folder is not in a git repository. Snapshots, exports and run links need one.'
            )}
          </div>
          <button
            className="jp-Repro-Status-init jp-mod-styled jp-mod-accept"
            onClick={() => void commands.execute(CommandIDs.init)}
            disabled={model.busy}
          >
            {trans.__('Initialize a repository here')}
          </button>
        </div>
      )}
      {(state === 'server-missing' ||
        state === 'version-mismatch' ||
        state === 'error') && (
        <div className="jp-Repro-Status-message" role="alert">
          {model.message}
        </div>
      )}
      {status?.identity.missing && state !== 'version-mismatch' && (
        <IdentityForm model={model} trans={trans} commands={commands} />
      )}
    </section>
  );
}

/**
 * The followed path as the header's title shows it: relative to the server
 * root, '/' for the root itself. When the repository starts above the
 * server root, the root has no name to show (the server never tells where
 * the repository starts, and an absolute path is never shown).
 */
function displayPath(path: string, status: IStatusReply | null): string {
  if (path !== '') {
    return path;
  }
  return status?.path === path && aboveRoot(status) ? '' : '/';
}

/**
 * True when the repository's root lies above the server root: the server
 * lists and changes only what is inside its root.
 */
function aboveRoot(status: IStatusReply | null): boolean {
  const repo = status?.repository;
  return !!repo && (repo.contains_server_root || repo.root === null);
}

function fileStateLabel(state: string, trans: TranslationBundle): string {
  switch (state) {
    case 'outputs-only':
      return trans.__('outputs only');
    default:
      return state;
  }
}

function changesLabel(
  summary: IChangeSummary,
  trans: TranslationBundle
): string {
  if (summary.changed === 0 && summary.outputsOnly > 0) {
    return trans._n(
      'outputs only (%1 notebook)',
      'outputs only (%1 notebooks)',
      summary.outputsOnly
    );
  }
  if (summary.changed === 0) {
    return trans.__('clean');
  }
  const files = trans._n(
    '%1 changed file',
    '%1 changed files',
    summary.changed
  );
  return summary.outputsOnly > 0
    ? trans._n(
        '%2, %1 with outputs only',
        '%2, %1 with outputs only',
        summary.outputsOnly,
        files
      )
    : files;
}

function RepositoryFacts(props: {
  status: IStatusReply;
  trans: TranslationBundle;
  changes: IChangeClassifier | null;
}): JSX.Element | null {
  const { status, trans, changes } = props;
  const repo = status.repository;
  if (!repo) {
    return null;
  }
  const head = repo.head;
  const branch = repo.detached
    ? trans.__('detached at %1', head?.short_sha ?? '?')
    : (repo.branch ?? '');
  const summary = summarizeChanges(
    repo,
    status.path,
    changes && changes.changes !== null ? changes.files : null
  );
  const headTitle = head
    ? `${head.subject}\n${head.sha}\n${head.author_name} <${head.author_email}>\n${head.authored_at}`
    : '';
  const changesText = changesLabel(summary, trans);
  const upstream = repo.upstream
    ? trans.__(
        '%1 (ahead %2, behind %3)',
        repo.upstream,
        repo.ahead ?? 0,
        repo.behind ?? 0
      )
    : '';
  return (
    <div className="jp-Repro-Status-facts">
      <div className="jp-Repro-Status-row" title={branch}>
        <span className="jp-Repro-Status-label">{trans.__('Branch')}</span>
        <span className="jp-Repro-Status-value jp-Repro-Status-branch">
          {branch}
        </span>
      </div>
      {head ? (
        <div className="jp-Repro-Status-row jp-Repro-Status-head">
          <span className="jp-Repro-Status-label">{trans.__('HEAD')}</span>
          <span className="jp-Repro-Status-headSha" title={headTitle}>
            {head.short_sha}
          </span>
          <span
            className="jp-Repro-Status-value jp-Repro-Status-headSubject"
            title={headTitle}
          >
            {head.subject}
          </span>
        </div>
      ) : (
        <div className="jp-Repro-Status-message">
          {trans.__(
            'No commits yet: the first snapshot will create the first commit.'
          )}
        </div>
      )}
      {repo.upstream && (
        <div className="jp-Repro-Status-row" title={upstream}>
          <span className="jp-Repro-Status-label">{trans.__('Upstream')}</span>
          <span className="jp-Repro-Status-value jp-Repro-Status-upstream">
            {upstream}
          </span>
        </div>
      )}
      <div className="jp-Repro-Status-row" title={changesText}>
        <span className="jp-Repro-Status-label">{trans.__('Changes')}</span>
        <span
          className={
            'jp-Repro-Status-value jp-Repro-Status-changes' +
            (summary.dirty ? ' jp-mod-dirty' : '') +
            (summary.outputsOnly > 0 ? ' jp-mod-outputsOnly' : '')
          }
        >
          {changesText}
        </span>
      </div>
      {summary.fileState && (
        <div className="jp-Repro-Status-row">
          <span className="jp-Repro-Status-label">{trans.__('This file')}</span>
          <span
            className={
              'jp-Repro-Status-value jp-Repro-Status-fileState' +
              ` jp-mod-${summary.fileState}`
            }
            data-state={summary.fileState}
          >
            {fileStateLabel(summary.fileState, trans)}
          </span>
        </div>
      )}
      {aboveRoot(status) && (
        <div className="jp-Repro-Status-message jp-Repro-Status-aboveRoot">
          {trans.__(
            "The repository's root is above the server root: only files inside the server root are shown or changed."
          )}
        </div>
      )}
    </div>
  );
}

function IdentityForm(props: {
  model: IReproModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { model, trans, commands } = props;
  const [name, setName] = React.useState('');
  const [email, setEmail] = React.useState('');
  const [error, setError] = React.useState<string | null>(null);
  const scope = model.status?.repository
    ? trans.__('for this repository')
    : trans.__('for all repositories (global git config)');
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await commands.execute(CommandIDs.saveIdentity, { name, email });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form className="jp-Repro-Identity" onSubmit={save}>
      <div className="jp-Repro-Status-message">
        {trans.__(
          'git does not know who you are. Commits need a name and an e-mail address, stored %1.',
          scope
        )}
      </div>
      <input
        name="name"
        aria-label={trans.__('Your name')}
        placeholder={trans.__('Your name')}
        value={name}
        onChange={e => setName(e.target.value)}
        required
      />
      <input
        name="email"
        type="email"
        aria-label={trans.__('Your e-mail address')}
        placeholder={trans.__('you@example.com')}
        value={email}
        onChange={e => setEmail(e.target.value)}
        required
      />
      <button
        type="submit"
        className="jp-Repro-Identity-save jp-mod-styled jp-mod-accept"
        disabled={model.busy || !name.trim() || !email.trim()}
      >
        {trans.__('Save identity')}
      </button>
      {error && (
        <div className="jp-Repro-Status-message" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
