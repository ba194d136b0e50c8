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
import {
  IChangeClassifier,
  IReproModel,
  IReproSectionOptions,
  IReproSidebar,
  ReproPathSource
} from '../tokens';
import { PathFollower } from './follow';
import { clampSizes, ISectionNeed, LEAST_HEIGHT, sectionLimits } from './sizes';
import { IStatusViewProps, StatusView } from './StatusView';
import { baseName } from './summary';

export const SIDEBAR_ID = 'jp-repro-sidebar';

/**
 * How a section is sized and placed (see {@link sectionLimits}): it never
 * grows past its content; when room is short it keeps its floor, the
 * sections added first getting theirs first.
 */
export type ISectionOptions = IReproSectionOptions;

/** The floor of a section without one of its own. */
export const DEFAULT_FLOOR = 120;

export { floorThrough } from '../common/floor';

/**
 * The left-area "Repro" panel. Sections are React views of the model;
 * later features add their own sections with {@link ReproSidebar.addSection}.
 * The models behind the sections live as long as the panel: {@link own}
 * them and they are disposed with it.
 */
export class ReproSidebar extends SidePanel implements IReproSidebar {
  constructor(options: {
    model: IReproModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
    /** The classified changed files, for the header's changes summary. */
    changes?: IChangeClassifier | null;
    /** Which path the sidebar follows (its sources are added to it). */
    follower?: PathFollower | null;
    /**
     * Dispose the model (and the follower) last, after what the sidebar owns
     * (default false: the caller owns the model).
     */
    disposeModel?: boolean;
  }) {
    super({ translator: undefined });
    this._model = options.model;
    this._disposeModel = options.disposeModel ?? false;
    this._follower = options.follower ?? null;
    this.id = SIDEBAR_ID;
    this.addClass('jp-Repro-Sidebar');
    this.title.icon = reproIcon;
    this.title.caption = options.trans.__('Repro');
    this.title.label = '';
    const status = new StatusSection({
      model: options.model,
      trans: options.trans,
      commands: options.commands,
      changes: options.changes ?? null,
      rootName: baseName(PageConfig.getOption('serverRoot'))
    });
    this._status = status;
    status.addClass('jp-Repro-StatusSection');
    status.title.label = options.trans.__('Repository');
    this.addWidget(status);
    // The repository facts are never cut: all of them, always.
    this._floors.set(status, content => content.offsetHeight);
    const content = this.content;
    if (content instanceof AccordionPanel) {
      content.expansionToggled.connect(this._clamp, this);
      // Sizes restored from the saved layout (e.g. a collapsed section's 0)
      // arrive as an update request: clamp them then.
      MessageLoop.installMessageHook(content, this._hook);
    }
    if (typeof ResizeObserver !== 'undefined') {
      this._observer = new ResizeObserver(() => this._scheduleFit());
      this._observer.observe(this.content.node);
    }
  }

  /**
   * Add a section below the existing ones; `relativeSize` shares the room
   * the sections' contents leave, `options.floor` is what it keeps when
   * room is short.
   */
  addSection(
    widget: Widget,
    relativeSize = 1,
    options: ISectionOptions = {}
  ): void {
    // Before the first section of a higher order (the status is first).
    const order = options.order ?? Infinity;
    let index = this.widgets.length;
    for (let i = 1; i < this.widgets.length; i++) {
      if ((this._orders.get(this.widgets[i]) ?? Infinity) > order) {
        index = i;
        break;
      }
    }
    this._orders.set(widget, order);
    if (index === this.widgets.length) {
      this.addWidget(widget);
    } else {
      this.insertWidget(index, widget);
    }
    this._sizes.splice(index, 0, relativeSize);
    if (options.floor) {
      this._floors.set(widget, options.floor);
    }
    this._priorities.set(widget, options.priority ?? 10 + this._sizes.length);
    if (options.least !== undefined) {
      this._leasts.set(widget, options.least);
    }
    const content = this.content;
    if (content instanceof AccordionPanel) {
      content.setRelativeSizes(this._sizes);
    }
    this._scheduleFit();
  }

  /** The classified changed files the header's changes summary reads. */
  setChanges(changes: IChangeClassifier | null): void {
    this._status.setChanges(changes);
  }

  /**
   * Ask `source` which path to follow (see {@link PathFollower.addSource});
   * a sidebar without a follower ignores it.
   */
  addPathSource(source: ReproPathSource, rank: number): IDisposable {
    return this._follower?.addSource(source, rank) ?? new DisposableSet();
  }

  /** Call `watcher` every time the path is chosen. */
  addPathWatcher(watcher: (widget: unknown) => void): IDisposable {
    return this._follower?.addWatcher(watcher) ?? new DisposableSet();
  }

  /** Choose the followed path again now. */
  follow(): void {
    this._follower?.follow();
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
    if (this._disposeModel) {
      this._follower?.dispose();
      this._model.dispose();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.refresh();
    this._clamp();
    this._scheduleFit();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._scheduleFit();
  }

  /** Size the sections by their contents on the next frame (once). */
  private _scheduleFit(): void {
    if (this._fitPending || this.isDisposed) {
      return;
    }
    this._fitPending = true;
    requestAnimationFrame(() => {
      this._fitPending = false;
      this._fitSections();
    });
  }

  /**
   * Give each section the room its content needs (see
   * {@link sectionLimits}): its min-height and max-height, which the
   * accordion reads as the section's size limits.
   */
  private _fitSections(): void {
    const content = this.content;
    if (
      this.isDisposed ||
      !this.isVisible ||
      !(content instanceof AccordionPanel)
    ) {
      return;
    }
    const widgets = content.widgets;
    let pending = false;
    const needs: ISectionNeed[] = widgets.map((widget, index) => {
      const inner = widget.node.firstElementChild as HTMLElement | null;
      if (inner && this._observer && !this._observed.has(inner)) {
        this._observed.add(inner);
        this._observer.observe(inner);
      }
      const expanded = !widget.isHidden;
      if (expanded && (!inner || inner.offsetHeight === 0)) {
        // Not rendered yet: measured once React has drawn it.
        pending = true;
      }
      const height = inner ? outerHeight(inner) : 0;
      const floor = this._floors.get(widget);
      return {
        expanded,
        content: height,
        floor: inner
          ? Math.min(height, floor ? floor(inner) : DEFAULT_FLOOR)
          : 0,
        priority: this._priorities.get(widget) ?? index,
        least: this._leasts.get(widget) ?? LEAST_HEIGHT
      };
    });
    const titles = content.titles.reduce(
      (sum, title) => sum + title.offsetHeight,
      0
    );
    const shown = needs.filter(need => need.expanded).length;
    const available =
      content.node.clientHeight -
      titles -
      content.spacing * Math.max(0, shown - 1);
    const limits = sectionLimits(needs, available);
    let changed = false;
    widgets.forEach((widget, i) => {
      const style = widget.node.style;
      const min = needs[i].expanded ? `${limits[i].min}px` : '';
      const max = needs[i].expanded ? `${limits[i].max}px` : '';
      if (style.minHeight !== min || style.maxHeight !== max) {
        style.minHeight = min;
        style.maxHeight = max;
        changed = true;
      }
    });
    if (changed) {
      content.fit();
    }
    if (pending && this._fitAttempts < 50) {
      this._fitAttempts++;
      this._scheduleFit();
    } else if (!pending) {
      this._fitAttempts = 0;
    }
  }

  /** No expanded section squashed to nothing (see {@link clampSizes}). */
  private _clamp(): void {
    const content = this.content;
    if (this.isDisposed || !(content instanceof AccordionPanel)) {
      return;
    }
    this._scheduleFit();
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
  private _follower: PathFollower | null;
  private _disposeModel: boolean;
  private _status: StatusSection;
  private _orders = new Map<Widget, number>();
  private _observer: ResizeObserver | null = null;
  private _observed = new WeakSet<Element>();
  private _floors = new Map<Widget, (content: HTMLElement) => number>();
  private _priorities = new Map<Widget, number>();
  private _leasts = new Map<Widget, number>();
  private _fitPending = false;
  private _fitAttempts = 0;
  private _clampPending = false;
  private _sizes = [1];
  private _owned = new DisposableSet();
}

/** An element's height with its vertical margins. */
function outerHeight(element: HTMLElement): number {
  const style = window.getComputedStyle(element);
  const margins =
    (parseFloat(style.marginTop) || 0) + (parseFloat(style.marginBottom) || 0);
  return element.offsetHeight + margins;
}

/** The Repository section: the status view, with the changes it classifies. */
class StatusSection extends ReactWidget {
  constructor(props: IStatusViewProps) {
    super();
    this._props = props;
  }

  setChanges(changes: IChangeClassifier | null): void {
    this._props = { ...this._props, changes };
    this.update();
  }

  protected render(): JSX.Element {
    return <StatusView {...this._props} />;
  }

  private _props: IStatusViewProps;
}
