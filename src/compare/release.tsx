// "Release this run…": the dialog (tag name, message, MODEL_CARD.md), the
// request (`POST runs/release`) and what the user is told. The server is the
// authority on names (existing, shadowing, invalid): its 4xx message is
// shown in the dialog, which opens again with what was typed.
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ReproRequestError, Requester } from '../common/api';
import { shortSha } from './model';
import { IReleaseReply } from './types';

/** What the release dialog asks for. */
export interface IReleaseValues {
  name: string;
  message: string;
  modelCard: boolean;
}

/**
 * What is wrong with a tag name at a glance (git's ref-name rules, lightly),
 * or null. The server checks it fully and also refuses existing names and
 * names that would shadow a branch or `HEAD`.
 */
export function validateTagName(
  name: string,
  trans: TranslationBundle
): string | null {
  if (name.trim() === '') {
    return trans.__('A tag name is required.');
  }
  if (/\s/.test(name)) {
    return trans.__('A tag name has no spaces.');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f~^:?*[\\]/.test(name)) {
    return trans.__(
      'A tag name has none of ~ ^ : ? * [ \\ or control characters.'
    );
  }
  if (
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name === '@' ||
    name.split('/').some(part => part.startsWith('.'))
  ) {
    return trans.__('“%1” is not a valid tag name.', name);
  }
  return null;
}

/**
 * The notification after a release: the tag, the commit it points at, and
 * what was tagged when it was not a plain commit.
 */
export function releaseMessage(
  reply: IReleaseReply,
  runLabel: string,
  trans: TranslationBundle
): string {
  const parts = [
    trans.__(
      'Released run %1 as tag %2 at commit %3.',
      runLabel,
      reply.tag,
      shortSha(reply.commit)
    )
  ];
  if (reply.snapshot) {
    parts.push(
      trans.__(
        'The run had uncommitted or unsaved code: tagged the hidden snapshot commit %1; the tag keeps it reachable.',
        shortSha(reply.code)
      )
    );
  }
  if (reply.model_card) {
    parts.push(
      trans.__(
        'MODEL_CARD.md was added in a follow-up commit on top of %1.',
        shortSha(reply.code)
      )
    );
  }
  return parts.join(' ');
}

function ReleaseFormView(props: {
  initial: IReleaseValues;
  runLabel: string;
  error: string | null;
  trans: TranslationBundle;
  onChange: (values: IReleaseValues) => void;
}): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState(props.initial);
  const update = (change: Partial<IReleaseValues>) => {
    const next = { ...values, ...change };
    setValues(next);
    props.onChange(next);
  };
  const hint = values.name === '' ? null : validateTagName(values.name, trans);
  return (
    <div className="jp-Repro-Release">
      <p className="jp-Repro-Release-run">
        {trans.__('Run: %1', props.runLabel)}
      </p>
      <label className="jp-Repro-Release-field">
        <span>{trans.__('Tag name')}</span>
        <input
          className="jp-Repro-Release-name jp-mod-styled"
          type="text"
          value={values.name}
          placeholder="v1.0.0"
          spellCheck={false}
          aria-invalid={hint !== null}
          onChange={e => update({ name: e.target.value })}
        />
      </label>
      {hint !== null && <div className="jp-Repro-Release-hint">{hint}</div>}
      <label className="jp-Repro-Release-field">
        <span>{trans.__('Message (optional)')}</span>
        <textarea
          className="jp-Repro-Release-message jp-mod-styled"
          rows={4}
          value={values.message}
          placeholder={trans.__('What this release is for')}
          onChange={e => update({ message: e.target.value })}
        />
      </label>
      <label className="jp-Repro-Release-card">
        <input
          type="checkbox"
          checked={values.modelCard}
          onChange={e => update({ modelCard: e.target.checked })}
        />
        <span>
          {trans.__(
            'Add MODEL_CARD.md (metrics, parameters, environment; a follow-up commit)'
          )}
        </span>
      </label>
      <p className="jp-Repro-Release-note">
        {trans.__(
          'An annotated tag at the code the run ran, carrying its metrics, parameters and environment. The run gets the MLflow tag repro.release.'
        )}
      </p>
      {props.error !== null && (
        <div className="jp-Repro-Release-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}

/**
 * The body of the release dialog.
 */
export class ReleaseForm
  extends ReactWidget
  implements Dialog.IBodyWidget<IReleaseValues>
{
  constructor(options: {
    initial: IReleaseValues;
    runLabel: string;
    error: string | null;
    trans: TranslationBundle;
  }) {
    super();
    this._options = options;
    this._values = { ...options.initial };
    this.addClass('jp-Repro-ReleaseForm');
  }

  getValue(): IReleaseValues {
    return { ...this._values };
  }

  protected render(): JSX.Element {
    return (
      <ReleaseFormView
        initial={this._options.initial}
        runLabel={this._options.runLabel}
        error={this._options.error}
        trans={this._options.trans}
        onChange={values => (this._values = values)}
      />
    );
  }

  private _options: {
    initial: IReleaseValues;
    runLabel: string;
    error: string | null;
    trans: TranslationBundle;
  };
  private _values: IReleaseValues;
}

/** The statuses of a refused release the user can fix in the dialog. */
const REFUSED = new Set([400, 404, 409, 422]);

/** Asks for the release values (null: cancelled). */
export type AskRelease = (
  initial: IReleaseValues,
  error: string | null
) => Promise<IReleaseValues | null>;

/** The default {@link AskRelease}: the release dialog. */
export function releaseDialog(
  runLabel: string,
  trans: TranslationBundle
): AskRelease {
  return async (initial, error) => {
    const result = await showDialog<IReleaseValues>({
      title: trans.__('Release this run'),
      body: new ReleaseForm({ initial, runLabel, error, trans }),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Release') })
      ],
      focusNodeSelector: 'input.jp-Repro-Release-name'
    });
    return result.button.accept && result.value ? result.value : null;
  };
}

export interface IReleaseRunOptions {
  requester: Requester;
  trans: TranslationBundle;
  runId: string;
  runLabel: string;
  /** The notebook (or folder) whose repository gets the tag. */
  path: string;
  ask: AskRelease;
}

/**
 * Ask for a tag name and release the run; the dialog opens again with the
 * reason while the name is refused (here or by the server with a 4xx).
 * Resolves to the reply, or null when the user cancelled; rejects on
 * anything else (server unreachable, a 5xx).
 */
export async function releaseRun(
  options: IReleaseRunOptions
): Promise<IReleaseReply | null> {
  const { requester, trans, runId, path, ask } = options;
  let values: IReleaseValues = { name: '', message: '', modelCard: false };
  let error: string | null = null;
  for (;;) {
    const answer = await ask(values, error);
    if (answer === null) {
      return null;
    }
    values = { ...answer, name: answer.name.trim() };
    error = validateTagName(values.name, trans);
    if (error !== null) {
      continue;
    }
    try {
      return await requester<IReleaseReply>('runs/release', {
        method: 'POST',
        body: JSON.stringify({
          path,
          run_id: runId,
          name: values.name,
          ...(values.message.trim() ? { message: values.message } : {}),
          model_card: values.modelCard
        })
      });
    } catch (reason) {
      if (reason instanceof ReproRequestError && REFUSED.has(reason.status)) {
        error = reason.message;
        continue;
      }
      throw reason;
    }
  }
}
