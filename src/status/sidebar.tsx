import { ReactWidget } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { DisposableSet, IDisposable } from '@lumino/disposable';
import { Message, MessageLoop } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { reproIcon } from '../common/icons';
import { IReproModel } from '../tokens';
import { clampSizes } from './sizes';
import { StatusView } from './StatusView';
import { baseName, IChangeClassifier } from './summary';

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
    /** The classified changed files, for the header's changes summary. */
    changes?: IChangeClassifier | null;
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
        changes={options.changes ?? null}
        rootName={baseName(PageConfig.getOption('serverRoot'))}
      />
    );
    status.addClass('jp-Repro-StatusSection');
    status.title.label = options.trans.__('Repository');
    this.addWidget(status);
    this._status = status;
    const content = this.content;
    if (content instanceof AccordionPanel) {
      content.expansionToggled.connect(this._clamp, this);
      // Sizes restored from the saved layout (e.g. a collapsed section's 0)
      // arrive as an update request: clamp them then.
      MessageLoop.installMessageHook(content, this._hook);
    }
    if (typeof ResizeObserver !== 'undefined') {
      this._observer = new ResizeObserver(() => this._fitStatus());
    }
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
    this._observer?.disconnect();
    if (this.content instanceof AccordionPanel) {
      MessageLoop.removeMessageHook(this.content, this._hook);
    }
    super.dispose();
    this._owned.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.refresh();
    this._observe();
    this._clamp();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._observe();
  }

  /**
   * Size the Repository section by its content: it never takes more room
   * than its facts need, the sections below get the rest.
   */
  private _observe(): void {
    const inner = this._status.node.firstElementChild;
    if (this._observer && inner && inner !== this._observed) {
      if (this._observed) {
        this._observer.unobserve(this._observed);
      }
      this._observed = inner;
      this._observer.observe(inner);
    }
    this._fitStatus();
  }

  private _fitStatus(): void {
    const inner = this._status.node.firstElementChild as HTMLElement | null;
    if (this.isDisposed || !inner || inner.offsetHeight === 0) {
      return;
    }
    const height = `${Math.ceil(inner.offsetHeight)}px`;
    if (this._status.node.style.maxHeight !== height) {
      this._status.node.style.maxHeight = height;
      this.content.fit();
    }
  }

  /** No expanded section squashed to nothing (see {@link clampSizes}). */
  private _clamp(): void {
    const content = this.content;
    if (this.isDisposed || !(content instanceof AccordionPanel)) {
      return;
    }
    const sizes = clampSizes(
      content.relativeSizes(),
      content.widgets.map(widget => !widget.isHidden),
      this._sizes
    );
    if (sizes) {
      content.setRelativeSizes(sizes);
    }
  }

  private _hook = (_: unknown, msg: Message): boolean => {
    if (msg.type === 'update-request' && !this._clampPending) {
      this._clampPending = true;
      requestAnimationFrame(() => {
        this._clampPending = false;
        this._clamp();
      });
    }
    return true;
  };

  private _model: IReproModel;
  private _status: Widget;
  private _observer: ResizeObserver | null = null;
  private _observed: Element | null = null;
  private _clampPending = false;
  private _sizes = [1];
  private _owned = new DisposableSet();
}
