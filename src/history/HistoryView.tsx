import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../common/commandIds';
import { useSignal } from '../common/useSignal';
import { HistoryModel, IHistoryDocument, IRestoreOutcome } from './model';

export interface IHistoryViewProps {
  model: HistoryModel;
  trans: TranslationBundle;
  /** Runs the actions: restore as branch, open a working copy. */
  commands: CommandRegistry;
}

/**
 * What the sidebar says while a notebook as it was is the active document:
 * that it is a historical copy (read-only, no kernel), and the two ways
 * back to working on its code. Nothing while another document is active.
 */
export function HistoryView(props: IHistoryViewProps): JSX.Element | null {
  const { model, trans, commands } = props;
  useSignal(model.stateChanged);
  const document = model.current;
  if (document === null) {
    return null;
  }
  const outcome = model.outcome;
  const error = model.error;
  return (
    <section
      className={'jp-Repro-History' + (model.busy ? ' jp-mod-busy' : '')}
      aria-label={trans.__('Notebook as it was')}
      aria-busy={model.busy}
      data-commit={document.commit}
    >
      <div className="jp-Repro-History-title">
        {trans.__('Historical copy (read-only)')}
      </div>
      <div className="jp-Repro-History-label">{document.label}</div>
      <div className="jp-Repro-History-what">{describe(document, trans)}</div>
      <div className="jp-Repro-History-actions">
        <button
          className="jp-Repro-History-restoreBranch jp-mod-styled jp-mod-accept"
          disabled={model.busy}
          title={commands.caption(CommandIDs.restoreBranch)}
          onClick={() => void commands.execute(CommandIDs.restoreBranch)}
        >
          {trans.__('Restore as branch')}
        </button>
        <button
          className="jp-Repro-History-workingCopy jp-mod-styled"
          disabled={model.busy}
          title={commands.caption(CommandIDs.openWorkingCopy)}
          onClick={() => void commands.execute(CommandIDs.openWorkingCopy)}
        >
          {trans.__('Open a working copy')}
        </button>
      </div>
      {outcome && <Outcome outcome={outcome} trans={trans} />}
      {error && (
        <div className="jp-Repro-History-message" role="alert">
          {error.message}
        </div>
      )}
    </section>
  );
}

function describe(
  document: IHistoryDocument,
  trans: TranslationBundle
): string {
  const short = document.commit.slice(0, 7);
  const run = document.runName || document.runId;
  const what =
    document.snapshot === true
      ? run
        ? trans.__(
            'The code run %1 ran (snapshot %2, %3).',
            run,
            short,
            snapshotHas(document, trans)
          )
        : trans.__(
            'The code a run ran (snapshot %1, %2).',
            short,
            snapshotHas(document, trans)
          )
      : run
        ? trans.__('The notebook as run %1 had it (commit %2).', run, short)
        : trans.__('The notebook as of commit %1.', short);
  return (
    what +
    ' ' +
    trans.__('It cannot be edited or saved, and no kernel runs for it.')
  );
}

/**
 * What a run's snapshot holds beyond its commit, saying only what the run
 * recorded: unsaved cells (`repro.unsaved`), uncommitted changes of the
 * file (`repro.git.dirty`), both, or, when the run is not known, neither.
 */
export function snapshotHas(
  document: Pick<IHistoryDocument, 'unsaved' | 'uncommitted'>,
  trans: TranslationBundle
): string {
  const { unsaved, uncommitted } = document;
  if (unsaved && uncommitted) {
    return trans.__('with its unsaved and uncommitted changes');
  }
  if (unsaved) {
    return trans.__('with cells that ran unsaved');
  }
  if (uncommitted) {
    return trans.__('with its uncommitted changes');
  }
  return trans.__('with the changes its commit lacks');
}

function Outcome(props: {
  outcome: IRestoreOutcome;
  trans: TranslationBundle;
}): JSX.Element {
  const { outcome, trans } = props;
  const { reply } = outcome;
  let text: string;
  if (outcome.mode === 'copy') {
    text = trans.__('Working copy written: %1', reply.copy ?? '');
  } else if (reply.checked_out) {
    text = reply.reused
      ? trans.__(
          'Switched to branch %1, which already held this code.',
          reply.branch ?? ''
        )
      : trans.__('Switched to branch %1.', reply.branch ?? '');
  } else {
    text =
      reply.reason ??
      trans.__('Branch %1 made; not switched to it.', reply.branch ?? '');
  }
  return (
    <div
      className={
        'jp-Repro-History-outcome' +
        (outcome.mode === 'branch' && !reply.checked_out
          ? ' jp-mod-notSwitched'
          : '')
      }
      data-branch={reply.branch ?? ''}
      data-checked-out={reply.checked_out ? 'true' : 'false'}
    >
      {text}
    </div>
  );
}

/**
 * The sidebar's header part holding a {@link HistoryView}.
 */
export function createHistoryBanner(props: IHistoryViewProps): ReactWidget {
  const widget = ReactWidget.create(<HistoryView {...props} />);
  widget.addClass('jp-Repro-HistoryBanner');
  return widget;
}
