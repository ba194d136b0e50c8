import { Dialog, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { DiffPreview } from '../common/DiffPreview';
import { useSignal } from '../common/useSignal';
import { ExportModel, ExportSelection, IExportReply } from './model';

export interface IExportViewProps {
  model: ExportModel;
  trans: TranslationBundle;
}

/**
 * The body of the "Export cells to module" dialog: which cells, which file,
 * and a read-only preview of the module and of its changes.
 *
 * Server text (module, diff, warnings, errors) is rendered as React text or
 * CodeMirror document text, never as HTML.
 */
export function ExportView(props: IExportViewProps): JSX.Element {
  const { model, trans } = props;
  const [tab, setTab] = React.useState<'module' | 'diff'>('module');
  useSignal(model.stateChanged);

  const busy = model.busy;
  const choices: { value: ExportSelection; label: string; title: string }[] = [
    {
      value: 'export',
      label: trans._n(
        'Cells tagged export (%1 cell)',
        'Cells tagged export (%1 cells)',
        model.taggedCount
      ),
      title: trans.__(
        'Code cells tagged "export" (cells tagged "main" form the main() function)'
      )
    },
    {
      value: 'selected',
      label: trans.__('Selected cells'),
      title: model.selectedSelector ?? trans.__('Select code cells first')
    },
    {
      value: 'all',
      label: trans.__('All code cells'),
      title: 'all'
    }
  ];
  if (model.rememberedSelector !== null) {
    choices.push({
      value: 'remembered',
      label: trans.__('As last time: %1', model.rememberedSelector),
      title: model.rememberedSelector
    });
  }

  return (
    <div
      className={'jp-Repro-Export' + (busy ? ' jp-mod-busy' : '')}
      aria-busy={busy}
    >
      <fieldset className="jp-Repro-Export-selection">
        <legend>{trans.__('Cells')}</legend>
        {choices.map(choice => (
          <label
            key={choice.value}
            className="jp-Repro-Export-choiceLabel"
            title={choice.title}
          >
            <input
              type="radio"
              name="jp-Repro-Export-selection"
              className="jp-Repro-Export-choice"
              value={choice.value}
              checked={model.selection === choice.value}
              disabled={busy || !model.isAvailable(choice.value)}
              onChange={() => model.setSelection(choice.value)}
            />
            <span>{choice.label}</span>
          </label>
        ))}
      </fieldset>
      <label className="jp-Repro-Export-field">
        <span>{trans.__('Module')}</span>
        <input
          type="text"
          className="jp-Repro-Export-output jp-mod-styled"
          aria-label={trans.__('Module file to write')}
          spellCheck={false}
          value={model.output}
          disabled={busy}
          onChange={event => model.setOutput(event.target.value)}
        />
      </label>
      <Summary model={model} trans={trans} />
      {model.foreign && (
        <div className="jp-Repro-Export-foreign" role="alert">
          <div>
            {trans.__(
              '%1 exists and was not written by export: it will be replaced.',
              model.preview?.output ?? model.output
            )}
          </div>
          <label className="jp-Repro-Export-field">
            <input
              type="checkbox"
              className="jp-Repro-Export-force"
              checked={model.force}
              disabled={busy}
              onChange={event => model.setForce(event.target.checked)}
            />
            <span>{trans.__('Overwrite')}</span>
          </label>
        </div>
      )}
      {model.previewError && (
        <div className="jp-Repro-Export-error" role="alert">
          {model.previewError.message}
        </div>
      )}
      {model.error && (
        <div className="jp-Repro-Export-error" role="alert">
          {model.error.message}
        </div>
      )}
      <Preview model={model} trans={trans} tab={tab} setTab={setTab} />
    </div>
  );
}

function Summary(props: IExportViewProps): JSX.Element | null {
  const { model, trans } = props;
  if (model.previewLoading) {
    return (
      <div className="jp-Repro-Export-summary" role="status">
        {trans.__('Preparing the preview…')}
      </div>
    );
  }
  const preview = model.preview;
  if (!preview) {
    return null;
  }
  const count = preview.cells.length + preview.main_cells.length;
  let state: string;
  if (!preview.changed) {
    state = trans.__('the file is up to date');
  } else if (preview.diff.startsWith('--- /dev/null')) {
    state = trans.__('a new file');
  } else {
    state = trans.__('the file will change');
  }
  return (
    <div className="jp-Repro-Export-summary" role="status">
      <div>
        {trans._n('%1 cell', '%1 cells', count)}
        {preview.main_cells.length > 0 &&
          trans.__(' (%1 in main())', preview.main_cells.length)}
        {' → '}
        <span className="jp-Repro-Export-target">{preview.output}</span>
        {`: ${state}`}
      </div>
      {model.sourceLabel && (
        <div className="jp-Repro-Export-source">{model.sourceLabel}</div>
      )}
      {preview.names.length > 0 && (
        <div className="jp-Repro-Export-names">
          {trans.__('Exports: %1', preview.names.join(', '))}
        </div>
      )}
      {preview.warnings.length > 0 && (
        <ul className="jp-Repro-Export-warnings">
          {preview.warnings.map((warning, index) => (
            <li key={index}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Preview(
  props: IExportViewProps & {
    tab: 'module' | 'diff';
    setTab: (tab: 'module' | 'diff') => void;
  }
): JSX.Element | null {
  const { model, trans, tab, setTab } = props;
  const preview = model.preview;
  if (!preview) {
    return null;
  }
  const diff = preview.diff;
  return (
    <div className="jp-Repro-Export-preview">
      <div className="jp-Repro-Export-tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'module'}
          className={
            'jp-Repro-Export-tab' + (tab === 'module' ? ' jp-mod-active' : '')
          }
          onClick={() => setTab('module')}
        >
          {trans.__('Module')}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'diff'}
          className={
            'jp-Repro-Export-tab' + (tab === 'diff' ? ' jp-mod-active' : '')
          }
          onClick={() => setTab('diff')}
        >
          {diff === ''
            ? trans.__('Changes (none)')
            : trans.__('Changes to the file')}
        </button>
      </div>
      {tab === 'module' ? (
        <pre
          className="jp-Repro-Export-text"
          tabIndex={0}
          aria-label={trans.__('Module text')}
        >
          {preview.text}
        </pre>
      ) : diff === '' ? (
        <div className="jp-Repro-Export-note">
          {trans.__('The file already has this text.')}
        </div>
      ) : (
        <DiffPreview
          text={diff}
          label={trans.__('Changes to %1', preview.output)}
        />
      )}
    </div>
  );
}

/**
 * The dialog's body widget.
 */
export class ExportBody
  extends ReactWidget
  implements Dialog.IBodyWidget<IExportReply | null>
{
  constructor(
    readonly model: ExportModel,
    readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Repro-ExportBody');
  }

  getValue(): IExportReply | null {
    return this.model.lastResult;
  }

  protected render(): JSX.Element {
    return <ExportView model={this.model} trans={this.trans} />;
  }
}

/**
 * "Export cells to module": Cancel / Export. Export writes while the dialog
 * stays open; it closes on success and shows the server's message inline on
 * failure. The Export button is disabled until a preview allows it.
 */
export class ExportDialog extends Dialog<IExportReply | null> {
  constructor(options: {
    model: ExportModel;
    trans: TranslationBundle;
    title?: string;
  }) {
    const { model, trans } = options;
    super({
      title: options.title ?? trans.__('Export cells to a Python module'),
      body: new ExportBody(model, trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({
          label: trans.__('Export'),
          className: 'jp-Repro-Export-submit'
        })
      ],
      focusNodeSelector: 'input.jp-Repro-Export-choice:checked'
    });
    this.addClass('jp-Repro-ExportDialog');
    this._model = model;
    model.stateChanged.connect(this._update, this);
    this._update();
  }

  /**
   * Cancel closes; Export (the default button, also on Enter) writes first.
   */
  resolve(index?: number): void {
    const button = index ?? 1;
    if (button !== 1) {
      super.resolve(button);
      return;
    }
    if (!this._model.canExport) {
      return;
    }
    this._model.export().then(
      () => super.resolve(1),
      () => undefined // the body shows the error
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.stateChanged.disconnect(this._update, this);
    super.dispose();
  }

  private _update(): void {
    const accept = this.node.querySelector<HTMLButtonElement>(
      '.jp-Dialog-footer .jp-mod-accept'
    );
    if (accept) {
      accept.disabled = !this._model.canExport;
      accept.setAttribute('aria-busy', String(this._model.busy));
    }
  }

  private _model: ExportModel;
}
