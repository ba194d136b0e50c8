import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { DiffLanguages, DiffPreview } from '../common/DiffPreview';
import { useSignal } from '../common/useSignal';
import { IExportTargets } from '../tokens';
import {
  Classification,
  COMMIT_TYPES,
  CommitType,
  GuardrailAction,
  IChangedFile,
  SnapshotModel,
  SUBJECT_COUNT_FROM,
  SUBJECT_LIMIT
} from './model';

export interface ISnapshotViewProps {
  model: SnapshotModel;
  trans: TranslationBundle;
  /**
   * Runs the actions: snapshot (the form never commits by itself),
   * guardrail fixes and re-export.
   */
  commands: CommandRegistry;
  /** With it, "Re-export to <module>" for a notebook that remembers one. */
  exportTargets?: IExportTargets;
  /** With it, the diff preview is syntax highlighted. */
  languages?: DiffLanguages | null;
}

/**
 * The "Snapshot & commit" section: changed files, the output-blind diff of
 * the followed notebook, and the commit form.
 *
 * Everything from the server (file names, diff text, messages, hook output)
 * is rendered as React text or CodeMirror document text, never as HTML.
 */
export function SnapshotView(props: ISnapshotViewProps): JSX.Element {
  const { model, trans, commands } = props;
  useSignal(model.stateChanged);
  // "Save and preview" brings the preview into view once it is read.
  const preview = React.useRef<HTMLDivElement>(null);
  const showPreview = React.useCallback(
    () => preview.current?.scrollIntoView?.({ block: 'nearest' }),
    []
  );

  const state = model.state;
  return (
    <section
      className={'jp-Repro-Snapshot' + (model.busy ? ' jp-mod-busy' : '')}
      data-state={state}
      aria-busy={model.busy}
      aria-label={trans.__('Snapshot and commit')}
    >
      {props.exportTargets && (
        <Reexport
          targets={props.exportTargets}
          notebook={model.notebookPath}
          trans={trans}
          commands={commands}
        />
      )}
      {state === 'idle' && (
        <div className="jp-Repro-Snapshot-note">
          {trans.__('Open a notebook in a git repository to snapshot it.')}
        </div>
      )}
      {state === 'not-repository' && (
        <div className="jp-Repro-Snapshot-note">
          {trans.__(
            'Not in a git repository: initialize one above to take snapshots.'
          )}
        </div>
      )}
      {state === 'loading' && (
        <div className="jp-Repro-Snapshot-note">
          {trans.__('Reading the changes…')}
        </div>
      )}
      {state === 'error' && (
        <div className="jp-Repro-Snapshot-error" role="alert">
          {model.loadError}
        </div>
      )}
      {(state === 'ready' || state === 'busy') && (
        <>
          {model.changes?.above_root === true && (
            <div className="jp-Repro-Snapshot-note jp-Repro-Snapshot-aboveRoot">
              {trans.__(
                "The repository's root is above the server root: only files inside the server root are shown or changed."
              )}
            </div>
          )}
          <UnsavedNote model={model} trans={trans} onPreview={showPreview} />
          <FileList model={model} trans={trans} commands={commands} />
          {/* The form before the preview: its button stays in view. */}
          {model.notebookPath !== null ? (
            <SnapshotForm model={model} trans={trans} commands={commands} />
          ) : (
            <div className="jp-Repro-Snapshot-note">
              {trans.__(
                'Open a notebook to snapshot it: its outputs are cleared in the commit only.'
              )}
            </div>
          )}
          <Outcome model={model} trans={trans} />
          <DiffSection
            ref={preview}
            model={model}
            trans={trans}
            languages={props.languages ?? null}
          />
        </>
      )}
    </section>
  );
}

/**
 * "Re-export to <module>", shown while the followed notebook remembers one.
 */
function Reexport(props: {
  targets: IExportTargets;
  notebook: string | null;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element | null {
  const { targets, notebook, trans } = props;
  useSignal(targets.changed);
  const target = targets.get(notebook);
  if (target === null) {
    return null;
  }
  return (
    <div className="jp-Repro-Export-reexportRow">
      <button
        type="button"
        className="jp-Repro-Export-reexport jp-mod-styled"
        title={trans.__(
          'Export the same cells of the notebook to %1 again',
          target
        )}
        onClick={() => void props.commands.execute(CommandIDs.reexport)}
      >
        {trans.__('Re-export to %1', target.split('/').pop() ?? target)}
      </button>
    </div>
  );
}

/**
 * The sidebar section holding a {@link SnapshotView}.
 */
export function createSnapshotSection(props: ISnapshotViewProps): ReactWidget {
  const widget = ReactWidget.create(<SnapshotView {...props} />);
  widget.addClass('jp-Repro-SnapshotSection');
  widget.title.label = props.trans.__('Snapshot & commit');
  return widget;
}

function classificationLabel(
  classification: Classification,
  trans: TranslationBundle
): string {
  switch (classification) {
    case 'source':
      return trans.__('source changes');
    case 'outputs-only':
      return trans.__('outputs only');
    case 'clean':
      return trans.__('clean');
    case 'invalid':
      return trans.__('invalid');
  }
}

const STATE_LETTERS: Record<string, string> = {
  modified: 'M',
  added: 'A',
  deleted: 'D',
  renamed: 'R',
  untracked: 'U',
  conflicted: 'C'
};

function formatSize(size: number | null): string {
  if (size === null) {
    return '';
  }
  if (size >= 1024 * 1024) {
    return `${(size / 1024 / 1024).toFixed(1)} MB`;
  }
  if (size >= 1024) {
    return `${(size / 1024).toFixed(1)} kB`;
  }
  return `${size} B`;
}

function FileList(props: {
  model: SnapshotModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { model, trans } = props;
  const notebook = model.notebookPath;
  const files = [...model.files].sort(
    (a, b) =>
      Number(b.server_path === notebook) - Number(a.server_path === notebook)
  );
  return (
    <div className="jp-Repro-Snapshot-files">
      <div className="jp-Repro-Snapshot-heading">
        {trans._n('%1 changed file', '%1 changed files', files.length)}
      </div>
      {files.length === 0 ? (
        <div className="jp-Repro-Snapshot-note">
          {trans.__('Nothing changed since the last commit.')}
        </div>
      ) : (
        <ul
          className="jp-Repro-Snapshot-fileList"
          aria-label={trans.__('Changed files')}
        >
          {files.map(file => (
            <FileRow
              key={file.path}
              file={file}
              model={model}
              trans={trans}
              commands={props.commands}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function FileRow(props: {
  file: IChangedFile;
  model: SnapshotModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { file, model, trans } = props;
  const current =
    file.server_path !== null && file.server_path === model.notebookPath;
  const tickable = model.isTickable(file);
  const checked = current || model.ticked.has(file.path);
  const violation = file.violation;
  const lfs = model.changes?.lfs_available === true && violation?.lfs_possible;
  const fix = (action: GuardrailAction) =>
    void props.commands.execute(CommandIDs.guardrailFix, {
      path: file.path,
      action
    });
  let title = `${file.path} (${file.state})`;
  if (file.orig_path) {
    title = `${file.orig_path} → ${title}`;
  }
  return (
    <li
      className={
        'jp-Repro-Snapshot-file' +
        (current ? ' jp-mod-current' : '') +
        (violation ? ' jp-mod-blocked' : '')
      }
      data-path={file.path}
      data-classification={file.classification ?? 'none'}
      data-state={file.state}
    >
      <div className="jp-Repro-Snapshot-fileRow">
        <label className="jp-Repro-Snapshot-fileLabel" title={title}>
          <input
            type="checkbox"
            className="jp-Repro-Snapshot-fileCheck"
            checked={checked}
            disabled={current || !tickable || model.busy}
            aria-label={
              current
                ? trans.__('%1 (the notebook to snapshot)', file.path)
                : trans.__('Include %1', file.path)
            }
            onChange={event => model.setTicked(file.path, event.target.checked)}
          />
          <span
            className="jp-Repro-Snapshot-fileState"
            aria-label={file.state}
            title={file.state}
          >
            {STATE_LETTERS[file.state] ?? '?'}
          </span>
          <span className="jp-Repro-Snapshot-fileName">{file.path}</span>
        </label>
        {file.notebook && file.classification && (
          <span
            className={`jp-Repro-Snapshot-badge jp-mod-${file.classification}`}
          >
            {classificationLabel(file.classification, trans)}
          </span>
        )}
      </div>
      {violation && (
        <div className="jp-Repro-Snapshot-violation">
          <span className="jp-Repro-Snapshot-violationText">
            {trans.__(
              'Not committed: %1 %2',
              violation.kind,
              formatSize(file.size)
            )}
          </span>
          <span className="jp-Repro-Snapshot-violationActions">
            <button
              type="button"
              className="jp-Repro-Snapshot-gitignore jp-mod-styled"
              title={trans.__('Add "%1" to .gitignore', violation.rule)}
              disabled={model.busy}
              onClick={() => fix('gitignore')}
            >
              {trans.__('Add to .gitignore')}
            </button>
            {lfs && (
              <button
                type="button"
                className="jp-Repro-Snapshot-lfs jp-mod-styled"
                disabled={model.busy}
                onClick={() => fix('lfs')}
              >
                {trans.__('Track with Git LFS')}
              </button>
            )}
          </span>
        </div>
      )}
      {file.error && (
        <div className="jp-Repro-Snapshot-fileError">{file.error}</div>
      )}
    </li>
  );
}

/**
 * The first `max` lines of `text`, and how many were left out.
 */
export function truncateLines(
  text: string,
  max: number
): { text: string; omitted: number } {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.length <= max) {
    return { text: lines.join('\n'), omitted: 0 };
  }
  return {
    text: lines.slice(0, max).join('\n'),
    omitted: lines.length - max
  };
}

/**
 * The followed notebook has unsaved edits: the changed files and the
 * preview (both of the saved file) lack them; the snapshot saves first.
 * "Save and preview" makes that save now.
 */
function UnsavedNote(props: {
  model: SnapshotModel;
  trans: TranslationBundle;
  /** After the save: show the preview. */
  onPreview: () => void;
}): JSX.Element | null {
  const { model, trans } = props;
  const notebook = model.notebookPath;
  if (notebook === null || (!model.hasUnsavedChanges && !model.previewError)) {
    return null;
  }
  const name = notebook.split('/').pop() ?? notebook;
  return (
    <div className="jp-Repro-Snapshot-unsaved" role="status">
      {model.hasUnsavedChanges && (
        <span>
          {trans.__(
            '%1 has unsaved changes: the changes and preview below are of the saved notebook; a snapshot saves first.',
            name
          )}
        </span>
      )}
      {model.hasUnsavedChanges && (
        <button
          type="button"
          className="jp-Repro-Snapshot-savePreview jp-mod-styled"
          disabled={model.previewing || model.busy}
          title={trans.__(
            'Save %1 (as the snapshot will) and show what will be committed',
            name
          )}
          onClick={() => void model.saveAndPreview().then(props.onPreview)}
        >
          {model.previewing
            ? trans.__('Saving…')
            : trans.__('Save and preview')}
        </button>
      )}
      {model.previewError && (
        <div className="jp-Repro-Snapshot-error" role="alert">
          {trans.__('Cannot save %1: %2', name, model.previewError)}
        </div>
      )}
    </div>
  );
}

function DiffSectionView(
  props: {
    model: SnapshotModel;
    trans: TranslationBundle;
    languages: DiffLanguages | null;
  },
  ref: React.ForwardedRef<HTMLDivElement>
): JSX.Element | null {
  const { model, trans } = props;
  const notebook = model.notebookPath;
  if (notebook === null) {
    return null;
  }
  const entry = model.notebookFile;
  const name = notebook.split('/').pop() ?? notebook;
  let note: string | null = null;
  if (entry === null) {
    note = trans.__('%1 has no changes since the last commit.', name);
  } else if (entry.classification === 'outputs-only') {
    note = trans.__(
      'Only outputs changed in %1: a snapshot would commit nothing.',
      name
    );
  } else if (entry.classification === 'clean') {
    note = trans.__('%1 is the same as in the last commit.', name);
  }
  const diff = model.diff;
  const shown = diff ? truncateLines(diff.text, model.maxDiffLines) : null;
  const unsaved = model.hasUnsavedChanges;
  return (
    <div
      ref={ref}
      className={'jp-Repro-Snapshot-preview' + (unsaved ? ' jp-mod-stale' : '')}
    >
      <div className="jp-Repro-Snapshot-heading">
        {trans.__('Changes in %1 as saved (outputs ignored)', name)}
      </div>
      {unsaved ? (
        <div className="jp-Repro-Snapshot-note">
          {trans.__('Unsaved changes are not in this preview yet.')}
        </div>
      ) : (
        model.savedForPreview && (
          <div className="jp-Repro-Snapshot-note jp-Repro-Snapshot-saved">
            {trans.__('%1 was saved to show what will be committed.', name)}
          </div>
        )
      )}
      {note && <div className="jp-Repro-Snapshot-note">{note}</div>}
      {model.diffError && (
        <div className="jp-Repro-Snapshot-error" role="alert">
          {model.diffError}
        </div>
      )}
      {shown && (
        <>
          <DiffPreview
            text={shown.text}
            label={trans.__('Diff of %1 since the last commit', name)}
            languages={props.languages}
          />
          {shown.omitted > 0 && (
            <div className="jp-Repro-Snapshot-note">
              {trans._n(
                '%1 more line not shown.',
                '%1 more lines not shown.',
                shown.omitted
              )}
            </div>
          )}
        </>
      )}
    </div>
  );
}

/** The preview, whose node {@link SnapshotView} scrolls into view. */
const DiffSection = React.forwardRef(DiffSectionView);

function SnapshotForm(props: {
  model: SnapshotModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
}): JSX.Element {
  const { model, trans } = props;
  const hintId = React.useId();
  const busy = model.busy;
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!model.canSubmit) {
      return;
    }
    if (!model.requireMessage()) {
      messageInput.current?.focus();
      return;
    }
    void props.commands.execute(CommandIDs.snapshot, { source: 'sidebar' });
  };
  const messageInput = React.useRef<HTMLInputElement>(null);
  const hint = model.messageHint;
  const subjectLength = model.subject.length;
  const tooLong = model.subjectTooLong;
  const counterId = React.useId();
  // A subject and a body pasted at once: the body goes into the details
  // (an <input> would run the lines together).
  const paste = (event: React.ClipboardEvent<HTMLInputElement>) => {
    const text = event.clipboardData.getData('text/plain');
    if (!/[\r\n]/.test(text.replace(/[\r\n]+$/, ''))) {
      return;
    }
    event.preventDefault();
    const input = event.currentTarget;
    const cursor = model.pasteMessage(
      text,
      input.selectionStart ?? model.message.length,
      input.selectionEnd ?? model.message.length
    );
    requestAnimationFrame(() => input.setSelectionRange(cursor, cursor));
  };
  const typeLabels: Record<CommitType, string> = {
    feat: trans.__('feat: a new feature'),
    fix: trans.__('fix: a bug fix'),
    exp: trans.__('exp: an experiment'),
    refactor: trans.__('refactor: same behaviour'),
    docs: trans.__('docs: documentation'),
    chore: trans.__('chore: maintenance')
  };
  return (
    <form className="jp-Repro-Snapshot-form" onSubmit={submit}>
      <div className="jp-Repro-Snapshot-subject">
        <select
          className="jp-Repro-Snapshot-type"
          aria-label={trans.__('Commit type')}
          title={typeLabels[model.commitType]}
          value={model.commitType}
          disabled={busy}
          onChange={event =>
            model.setCommitType(event.target.value as CommitType)
          }
        >
          {COMMIT_TYPES.map(type => (
            <option key={type} value={type} title={typeLabels[type]}>
              {type}
            </option>
          ))}
        </select>
        <input
          ref={messageInput}
          className={
            'jp-Repro-Snapshot-message' +
            (hint ? ' jp-mod-invalid' : '') +
            (tooLong ? ' jp-mod-long' : '')
          }
          type="text"
          aria-label={trans.__('Commit message')}
          aria-invalid={hint ? true : undefined}
          aria-describedby={
            [
              hint ? hintId : '',
              subjectLength >= SUBJECT_COUNT_FROM ? counterId : ''
            ]
              .filter(Boolean)
              .join(' ') || undefined
          }
          placeholder={trans.__('What changed? (Enter commits)')}
          value={model.message}
          disabled={busy}
          onChange={event => model.setMessage(event.target.value)}
          onPaste={paste}
        />
      </div>
      {subjectLength >= SUBJECT_COUNT_FROM && (
        <div
          className={
            'jp-Repro-Snapshot-subjectInfo' + (tooLong ? ' jp-mod-long' : '')
          }
          id={counterId}
          aria-live="polite"
        >
          <span
            className="jp-Repro-Snapshot-counter"
            title={trans.__(
              'Characters of the subject line "%1: …" (git\'s convention: at most %2)',
              model.commitType,
              SUBJECT_LIMIT
            )}
          >
            {`${subjectLength}/${SUBJECT_LIMIT}`}
          </span>
          {tooLong && (
            <>
              <span className="jp-Repro-Snapshot-subjectWarning">
                {trans.__(
                  "Longer than git's %1 characters: logs and tools will cut it. Say the rest in the details.",
                  SUBJECT_LIMIT
                )}
              </span>
              <button
                type="button"
                className="jp-Repro-Snapshot-moveToBody jp-mod-styled"
                disabled={busy}
                onClick={() => {
                  model.moveOverflowToBody();
                  messageInput.current?.focus();
                }}
              >
                {trans.__('Move the rest to the details')}
              </button>
            </>
          )}
        </div>
      )}
      {hint && (
        <div className="jp-Repro-Snapshot-hint" id={hintId} role="alert">
          {hint}
        </div>
      )}
      <textarea
        className="jp-Repro-Snapshot-body"
        aria-label={trans.__('Details (optional)')}
        placeholder={trans.__('Details (optional)')}
        rows={2}
        value={model.body}
        disabled={busy}
        onChange={event => model.setBody(event.target.value)}
      />
      <details className="jp-Repro-Snapshot-more">
        <summary>{trans.__('More options')}</summary>
        <label className="jp-Repro-Snapshot-field">
          <span>{trans.__('Tag')}</span>
          <input
            className="jp-Repro-Snapshot-tag"
            type="text"
            placeholder="exp-v1.2"
            value={model.tag}
            disabled={busy}
            onChange={event => model.setTag(event.target.value)}
          />
        </label>
        <label className="jp-Repro-Snapshot-field">
          <span>{trans.__('New branch')}</span>
          <span className="jp-Repro-Snapshot-branchPrefix">exp/</span>
          <input
            className="jp-Repro-Snapshot-branch"
            type="text"
            aria-label={trans.__('New branch name after exp/')}
            placeholder={trans.__('name')}
            value={model.branch}
            disabled={busy}
            onChange={event => model.setBranch(event.target.value)}
          />
        </label>
      </details>
      <label className="jp-Repro-Snapshot-field jp-Repro-Snapshot-clear">
        <input
          className="jp-Repro-Snapshot-clearOutputs"
          type="checkbox"
          checked={model.clearOutputs}
          disabled={busy}
          onChange={event => model.setClearOutputs(event.target.checked)}
        />
        <span>{trans.__('Also clear outputs in my notebook')}</span>
      </label>
      <button
        type="submit"
        className="jp-Repro-Snapshot-commit jp-mod-styled jp-mod-accept"
        disabled={!model.canSubmit}
        aria-busy={busy}
        title={trans.__(
          'Save the notebook and commit it without outputs (the open notebook keeps them)'
        )}
      >
        {busy && <span className="jp-Repro-Snapshot-spinner" aria-hidden />}
        {busy ? trans.__('Committing…') : trans.__('Snapshot & commit')}
      </button>
    </form>
  );
}

function Outcome(props: {
  model: SnapshotModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const error = model.error;
  if (error) {
    return (
      <div className="jp-Repro-Snapshot-error" role="alert">
        <div>{error.message}</div>
        {error.violations.length > 0 && (
          <ul className="jp-Repro-Snapshot-violations">
            {error.violations.map(v => (
              <li key={v.path}>{trans.__('%1: %2', v.path, v.kind)}</li>
            ))}
          </ul>
        )}
        {error.output && (
          <pre className="jp-Repro-Snapshot-hookOutput">{error.output}</pre>
        )}
      </div>
    );
  }
  const result = model.lastResult;
  if (!result) {
    return null;
  }
  if (!result.committed) {
    return (
      <div className="jp-Repro-Snapshot-result jp-mod-nothing" role="status">
        {trans.__(
          'Nothing to commit: the code and text are as in the last commit (outputs are never committed).'
        )}
      </div>
    );
  }
  return (
    <div className="jp-Repro-Snapshot-result" role="status">
      {trans.__('Committed')}{' '}
      <span className="jp-Repro-Snapshot-resultSha">{result.short_sha}</span>{' '}
      <span
        className="jp-Repro-Snapshot-resultSubject"
        title={result.message.split('\n')[0]}
      >
        {result.message.split('\n')[0]}
      </span>
    </div>
  );
}
