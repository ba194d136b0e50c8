import type { Widget } from '@lumino/widgets';

/** The part of the lab's shell {@link openInMain} uses. */
export interface IMainArea {
  add(widget: Widget, area: 'main'): void;
  activateById(id: string): void;
}

/**
 * Show `widget` in the main area and bring it to the front; false when the
 * shell could not show it (Notebook 7's pages hold one document).
 */
export function openInMain(shell: IMainArea, widget: Widget): boolean {
  shell.add(widget, 'main');
  if (!widget.isAttached) {
    return false;
  }
  shell.activateById(widget.id);
  return true;
}
