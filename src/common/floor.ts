/**
 * A floor that keeps the content down to `lines` lines of the first
 * element matching `selector` in view (all of the content when there is
 * none): e.g. the snapshot form and ~8 lines of its diff preview.
 */
export function floorThrough(
  selector: string,
  lines: number
): (content: HTMLElement) => number {
  return content => {
    const target = content.querySelector<HTMLElement>(selector);
    if (!target || target.offsetHeight === 0) {
      return content.offsetHeight;
    }
    const top =
      target.getBoundingClientRect().top - content.getBoundingClientRect().top;
    const line =
      content.querySelector<HTMLElement>(`${selector} .cm-line`)
        ?.offsetHeight ||
      parseFloat(window.getComputedStyle(target).lineHeight) ||
      17;
    // The element's borders and the editor's top padding, then the lines.
    const chrome = target.offsetHeight - target.clientHeight + 4;
    const wanted = Math.min(target.offsetHeight, lines * line + chrome);
    return Math.ceil(top + wanted);
  };
}
