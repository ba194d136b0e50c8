/**
 * Section sizes of the sidebar's accordion: no expanded section is left
 * (nearly) without height, e.g. after a collapsed section's saved size of 0
 * is restored on reload and the section is then expanded again.
 */

/** Below this share of the panel an expanded section counts as squashed. */
export const MIN_SHARE = 0.08;

/**
 * Relative sizes where every expanded section has at least `minShare`:
 * a squashed one gets its default share back, the others give way in
 * proportion. Null when nothing needs to change.
 *
 * @param sizes - the current relative sizes (any scale)
 * @param expanded - which sections are expanded
 * @param defaults - the sections' default relative sizes
 */
export function clampSizes(
  sizes: readonly number[],
  expanded: readonly boolean[],
  defaults: readonly number[],
  minShare = MIN_SHARE
): number[] | null {
  const open = sizes.map((_, i) => expanded[i] ?? true);
  const openCount = open.filter(Boolean).length;
  if (openCount < 2) {
    // One section takes all the room there is; none has nothing to share.
    return null;
  }
  const total = sizes.reduce((sum, size, i) => sum + (open[i] ? size : 0), 0);
  const share = (i: number) => (total > 0 ? sizes[i] / total : 0);
  const squashed = sizes
    .map((_, i) => i)
    .filter(i => open[i] && share(i) < minShare);
  if (squashed.length === 0) {
    return null;
  }
  const defaultTotal = defaults.reduce(
    (sum, size, i) => sum + (open[i] ? Math.max(0, size) : 0),
    0
  );
  const wanted = (i: number) =>
    defaultTotal > 0
      ? Math.max(minShare, (defaults[i] ?? 1) / defaultTotal)
      : 1 / openCount;
  const given = squashed.reduce((sum, i) => sum + wanted(i), 0);
  const rest = sizes.reduce(
    (sum, _, i) => sum + (open[i] && !squashed.includes(i) ? share(i) : 0),
    0
  );
  return sizes.map((_, i) => {
    if (!open[i]) {
      // Kept for when it is expanded again (the layout skips it till then).
      return total > 0 ? sizes[i] / total : 0;
    }
    if (squashed.includes(i)) {
      return wanted(i);
    }
    return rest > 0 ? (share(i) / rest) * Math.max(0, 1 - given) : 0;
  });
}
