// "Compare with…": pick the runs to compare a run with, among the runs the
// runs panel has loaded.
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { MAX_COMPARED } from './model';

/** A run that can be picked. */
export interface ICandidateRun {
  runId: string;
  label: string;
  /** The commit (short sha) or other words about the run's code. */
  detail: string;
}

function PickerView(props: {
  run: ICandidateRun;
  candidates: ICandidateRun[];
  trans: TranslationBundle;
  onChange: (ids: string[]) => void;
}): JSX.Element {
  const { trans } = props;
  const [picked, setPicked] = React.useState<string[]>([]);
  const full = picked.length >= MAX_COMPARED - 1;
  const toggle = (id: string) => {
    const next = picked.includes(id)
      ? picked.filter(other => other !== id)
      : [...picked, id];
    setPicked(next);
    props.onChange(next);
  };
  return (
    <div className="jp-Repro-Picker">
      <p>{trans.__('Compare %1 with:', props.run.label)}</p>
      {props.candidates.length === 0 ? (
        <p className="jp-Repro-Picker-empty">
          {trans.__('No other run of this notebook is loaded.')}
        </p>
      ) : (
        <ul className="jp-Repro-Picker-list">
          {props.candidates.map(candidate => {
            const checked = picked.includes(candidate.runId);
            return (
              <li key={candidate.runId} data-run-id={candidate.runId}>
                <label>
                  <input
                    type="checkbox"
                    checked={checked}
                    disabled={!checked && full}
                    onChange={() => toggle(candidate.runId)}
                  />
                  <span className="jp-Repro-Picker-name">
                    {candidate.label}
                  </span>
                  <span className="jp-Repro-Picker-detail">
                    {candidate.detail}
                  </span>
                </label>
              </li>
            );
          })}
        </ul>
      )}
      {full && (
        <p className="jp-Repro-Picker-note">
          {trans.__('At most %1 runs are compared at once.', MAX_COMPARED)}
        </p>
      )}
    </div>
  );
}

class PickerBody extends ReactWidget implements Dialog.IBodyWidget<string[]> {
  constructor(
    private _props: {
      run: ICandidateRun;
      candidates: ICandidateRun[];
      trans: TranslationBundle;
    }
  ) {
    super();
    this.addClass('jp-Repro-PickerBody');
  }

  getValue(): string[] {
    return [...this._picked];
  }

  protected render(): JSX.Element {
    return (
      <PickerView {...this._props} onChange={ids => (this._picked = ids)} />
    );
  }

  private _picked: string[] = [];
}

/**
 * Ask which runs to compare `run` with; resolves to their ids (empty when
 * cancelled or none picked).
 */
export async function pickRuns(
  run: ICandidateRun,
  candidates: ICandidateRun[],
  trans: TranslationBundle
): Promise<string[]> {
  const result = await showDialog<string[]>({
    title: trans.__('Compare with…'),
    body: new PickerBody({ run, candidates, trans }),
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: trans.__('Compare') })
    ]
  });
  return result.button.accept ? (result.value ?? []) : [];
}
