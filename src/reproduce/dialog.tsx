// "Reproduce…": the dialog (strict, tolerances, time limit), and the dialog
// that lists what differs when a strict reproduction was refused.
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ICheck, IReproduceOptions } from './types';

/** The defaults of the dialog (the server's: exact up to float noise). */
export const DEFAULT_OPTIONS: IReproduceOptions = {
  strict: false,
  rtol: 1e-9,
  atol: 0,
  timeout: null
};

/** The dialog's text fields, as typed. */
export interface IReproduceForm {
  strict: boolean;
  rtol: string;
  atol: string;
  timeout: string;
}

export function formOf(options: IReproduceOptions): IReproduceForm {
  return {
    strict: options.strict,
    rtol: String(options.rtol),
    atol: String(options.atol),
    timeout: options.timeout === null ? '' : String(options.timeout)
  };
}

/**
 * The options a form holds, or the first thing wrong with it (a message).
 */
export function parseForm(
  form: IReproduceForm,
  trans: TranslationBundle
): IReproduceOptions | string {
  const number = (text: string): number | null => {
    const trimmed = text.trim();
    if (
      trimmed === '' ||
      !/^[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)
    ) {
      return null;
    }
    const value = Number(trimmed);
    return Number.isFinite(value) ? value : null;
  };
  const rtol = number(form.rtol);
  if (rtol === null) {
    return trans.__('The relative tolerance must be a number ≥ 0.');
  }
  const atol = number(form.atol);
  if (atol === null) {
    return trans.__('The absolute tolerance must be a number ≥ 0.');
  }
  let timeout: number | null = null;
  if (form.timeout.trim() !== '') {
    timeout = number(form.timeout);
    if (timeout === null || timeout < 1) {
      return trans.__(
        'The time limit is a number of seconds (at least 1), or empty.'
      );
    }
  }
  return { strict: form.strict, rtol, atol, timeout };
}

function ReproduceFormView(props: {
  initial: IReproduceForm;
  runLabel: string;
  error: string | null;
  trans: TranslationBundle;
  onChange: (form: IReproduceForm) => void;
}): JSX.Element {
  const { trans } = props;
  const [form, setForm] = React.useState(props.initial);
  const update = (change: Partial<IReproduceForm>) => {
    const next = { ...form, ...change };
    setForm(next);
    props.onChange(next);
  };
  const problem = parseForm(form, trans);
  return (
    <div className="jp-Repro-Reproduce-form">
      <p className="jp-Repro-Reproduce-run">
        {trans.__('Run: %1', props.runLabel)}
      </p>
      <p className="jp-Repro-Reproduce-note">
        {trans.__(
          "The run's code is checked out into a temporary work tree (your files, branch and index do not change) and runs in a fresh kernel, in the order the run executed its cells, with its seed. The reproduction is an MLflow run of its own."
        )}
      </p>
      <label className="jp-Repro-Reproduce-strict">
        <input
          type="checkbox"
          checked={form.strict}
          onChange={e => update({ strict: e.target.checked })}
        />
        <span>
          {trans.__(
            'Strict: refuse to run when the environment or the data differ from the run’s'
          )}
        </span>
      </label>
      <label className="jp-Repro-Reproduce-field">
        <span>{trans.__('Relative tolerance (rtol)')}</span>
        <input
          className="jp-Repro-Reproduce-rtol jp-mod-styled"
          type="text"
          inputMode="decimal"
          value={form.rtol}
          onChange={e => update({ rtol: e.target.value })}
        />
      </label>
      <label className="jp-Repro-Reproduce-field">
        <span>{trans.__('Absolute tolerance (atol)')}</span>
        <input
          className="jp-Repro-Reproduce-atol jp-mod-styled"
          type="text"
          inputMode="decimal"
          value={form.atol}
          onChange={e => update({ atol: e.target.value })}
        />
      </label>
      <label className="jp-Repro-Reproduce-field">
        <span>{trans.__('Time limit (seconds, empty: the server’s)')}</span>
        <input
          className="jp-Repro-Reproduce-timeout jp-mod-styled"
          type="text"
          inputMode="numeric"
          value={form.timeout}
          onChange={e => update({ timeout: e.target.value })}
        />
      </label>
      <p className="jp-Repro-Reproduce-note">
        {trans.__(
          'A metric is within tolerance when |reproduced − recorded| ≤ atol + rtol·|recorded|. GPU runs are rarely bit-exact: give them a tolerance.'
        )}
      </p>
      {typeof problem === 'string' && (
        <div className="jp-Repro-Reproduce-hint">{problem}</div>
      )}
      {props.error !== null && (
        <div className="jp-Repro-Reproduce-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}

/** The body of the "Reproduce…" dialog. */
export class ReproduceForm
  extends ReactWidget
  implements Dialog.IBodyWidget<IReproduceForm>
{
  constructor(options: {
    initial: IReproduceForm;
    runLabel: string;
    error: string | null;
    trans: TranslationBundle;
  }) {
    super();
    this._options = options;
    this._form = { ...options.initial };
    this.addClass('jp-Repro-ReproduceForm');
  }

  getValue(): IReproduceForm {
    return { ...this._form };
  }

  protected render(): JSX.Element {
    return (
      <ReproduceFormView
        initial={this._options.initial}
        runLabel={this._options.runLabel}
        error={this._options.error}
        trans={this._options.trans}
        onChange={form => (this._form = form)}
      />
    );
  }

  private _options: {
    initial: IReproduceForm;
    runLabel: string;
    error: string | null;
    trans: TranslationBundle;
  };
  private _form: IReproduceForm;
}

/** Asks for the options (null: cancelled); `error` says what was wrong the last time. */
export type AskReproduce = (
  runLabel: string,
  initial: IReproduceOptions,
  error: string | null
) => Promise<IReproduceOptions | null>;

/** The default {@link AskReproduce}: the dialog, again until the form is valid. */
export function reproduceDialog(trans: TranslationBundle): AskReproduce {
  return async (runLabel, initial, error) => {
    let form = formOf(initial);
    let problem = error;
    for (;;) {
      const result = await showDialog({
        title: trans.__('Reproduce the run'),
        body: new ReproduceForm({
          initial: form,
          runLabel,
          error: problem,
          trans
        }),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Reproduce') })
        ]
      });
      if (!result.button.accept || result.value === null) {
        return null;
      }
      form = result.value;
      const parsed = parseForm(form, trans);
      if (typeof parsed !== 'string') {
        return parsed;
      }
      problem = parsed;
    }
  };
}

/** The lines of a check that differs: "numpy: 1.26.4 → 2.0.0", "data/x.csv: changed". */
export function differenceLines(
  check: ICheck,
  trans: TranslationBundle,
  limit = 50
): string[] {
  const lines: string[] = [];
  for (const row of check.environment.differences) {
    lines.push(
      trans.__(
        '%1 %2: recorded %3, now %4',
        row.kind === 'fact' ? trans.__('environment') : row.kind,
        row.name,
        row.recorded ?? '–',
        row.now ?? '–'
      )
    );
  }
  for (const row of check.inputs.differences) {
    const change =
      row.change === 'changed'
        ? trans.__('changed')
        : row.change === 'missing'
          ? trans.__('missing now')
          : trans.__('new');
    lines.push(trans.__('input %1: %2', row.path, change));
  }
  if (!check.environment.compared && check.environment.note) {
    lines.push(
      trans.__('environment not compared: %1', check.environment.note)
    );
  }
  return lines.length > limit
    ? [
        ...lines.slice(0, limit),
        trans.__('… and %1 more', lines.length - limit)
      ]
    : lines;
}

function DifferencesView(props: {
  check: ICheck;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-Repro-Reproduce-refused">
      <p>{props.check.summary}</p>
      <ul className="jp-Repro-Reproduce-differences">
        {differenceLines(props.check, props.trans).map((line, i) => (
          <li key={i}>{line}</li>
        ))}
      </ul>
    </div>
  );
}

/**
 * A strict reproduction was refused: what differs; true when the user
 * wants to reproduce anyway (not strict).
 */
export async function refusedDialog(
  check: ICheck,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Not reproduced: the environment or the data differ'),
    body: ReactWidget.create(<DifferencesView check={check} trans={trans} />),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Close') }),
      Dialog.warnButton({ label: trans.__('Reproduce anyway') })
    ]
  });
  return result.button.accept;
}
