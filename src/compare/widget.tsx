import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { reproIcon } from '../common/icons';
import { IChartsModule } from './Charts';
import { LanguageFor } from './CodeDiff';
import { CompareView } from './CompareView';
import { CompareModel, ICompareArgs, runLabels } from './model';

/** The attribute the bench reads: ms from the reply to the charts drawn. */
export const RENDER_MS_ATTRIBUTE = 'data-repro-render-ms';

let count = 0;

/**
 * A comparison in the main area. Its node carries
 * {@link RENDER_MS_ATTRIBUTE} once the charts of the latest reply are drawn.
 */
export class CompareWidget extends MainAreaWidget<ReactWidget> {
  constructor(options: {
    model: CompareModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
    languageFor?: LanguageFor;
    loadCharts?: () => Promise<IChartsModule>;
  }) {
    const { model, trans } = options;
    // The view reports to this widget, which exists only after super().
    const widget: { current: CompareWidget | null } = { current: null };
    const content = ReactWidget.create(
      <CompareView
        model={model}
        trans={trans}
        commands={options.commands}
        languageFor={options.languageFor}
        loadCharts={options.loadCharts}
        onRendered={ms => widget.current?._rendered(ms)}
      />
    );
    content.addClass('jp-Repro-CompareContent');
    super({ content });
    widget.current = this;
    this._model = model;
    this._trans = trans;
    this.id = `jp-repro-compare-${++count}`;
    this.addClass('jp-Repro-CompareWidget');
    this.title.closable = true;
    this.title.icon = reproIcon;
    this._setTitle();
    model.stateChanged.connect(this._setTitle, this);
  }

  get model(): CompareModel {
    return this._model;
  }

  /** What the comparison is of (restored from the layout with these). */
  get args(): ICompareArgs {
    return this._model.args;
  }

  /** Whether this view compares these runs (in any order) of `path`. */
  matches(args: ICompareArgs): boolean {
    const mine = this._model.runIds;
    return (
      (this._model.path ?? null) === (args.path ?? null) &&
      mine.length === args.runIds.length &&
      args.runIds.every(id => mine.includes(id))
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  private _rendered(ms: number): void {
    this.node.setAttribute(RENDER_MS_ATTRIBUTE, ms.toFixed(1));
  }

  private _setTitle(): void {
    const reply = this._model.reply;
    const labels = reply ? [...runLabels(reply.runs).values()] : [];
    const label =
      labels.length === 2
        ? this._trans.__('Compare: %1 vs %2', labels[0], labels[1])
        : this._trans.__(
            'Compare %1 runs',
            labels.length || this._model.runIds.length
          );
    // Lumino renders titles as text.
    this.title.label = label;
    this.title.caption = labels.join('\n');
  }

  private _model: CompareModel;
  private _trans: TranslationBundle;
}
