import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { DisposableSet, IDisposable } from '@lumino/disposable';
import { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { reproIcon } from '../common/icons';
import { IReproModel } from '../tokens';
import { StatusView } from './StatusView';

export const SIDEBAR_ID = 'jp-repro-sidebar';

/**
 * The left-area "Repro" panel. Sections are React views of the model;
 * later features add their own sections with {@link ReproSidebar.addSection}.
 * The models behind the sections live as long as the panel: {@link own}
 * them and they are disposed with it.
 */
export class ReproSidebar extends SidePanel {
  constructor(options: {
    model: IReproModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
  }) {
    super({ translator: undefined });
    this._model = options.model;
    this.id = SIDEBAR_ID;
    this.addClass('jp-Repro-Sidebar');
    this.title.icon = reproIcon;
    this.title.caption = options.trans.__('Repro');
    this.title.label = '';
    const status = ReactWidget.create(
      <StatusView
        model={options.model}
        trans={options.trans}
        commands={options.commands}
      />
    );
    status.addClass('jp-Repro-StatusSection');
    status.title.label = options.trans.__('Repository');
    this.addWidget(status);
  }

  /**
   * Add a section below the existing ones.
   */
  addSection(widget: Widget, relativeSize = 1): void {
    this.addWidget(widget);
    this._sizes.push(relativeSize);
    const content = this.content;
    if (content instanceof AccordionPanel) {
      content.setRelativeSizes(this._sizes);
    }
  }

  /**
   * Add a widget above the sections (e.g. what the active document is); it
   * takes the room it needs and is disposed with the sidebar.
   */
  addBanner(widget: Widget): void {
    this.header.addWidget(widget);
  }

  /**
   * Expand the section holding `selector` and focus that element once it
   * is rendered and enabled (the view may still be loading).
   */
  focusInSection(selector: string, attempts = 100): void {
    if (this.isDisposed) {
      return;
    }
    const content = this.content;
    const index = this.widgets.findIndex(w => w.node.querySelector(selector));
    if (index >= 0 && content instanceof AccordionPanel) {
      content.expand(index);
    }
    const element = this.node.querySelector<HTMLInputElement>(selector);
    if (element && !element.disabled && element.offsetParent !== null) {
      element.focus();
      return;
    }
    if (attempts > 0) {
      setTimeout(() => this.focusInSection(selector, attempts - 1), 50);
    }
  }

  /**
   * Dispose these (listeners, models) with the sidebar, in this order; at
   * once if the sidebar is already disposed.
   */
  own(...items: IDisposable[]): void {
    for (const item of items) {
      if (this.isDisposed) {
        item.dispose();
      } else {
        this._owned.add(item);
      }
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    super.dispose();
    this._owned.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.refresh();
  }

  private _model: IReproModel;
  private _sizes = [1];
  private _owned = new DisposableSet();
}
