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

/** What one section of the sidebar needs, measured on its content. */
export interface ISectionNeed {
  /** Collapsed sections take no room and get no limits. */
  expanded: boolean;
  /** The natural height of the section's content (px). */
  content: number;
  /**
   * The height the section should keep when room is short: all of its
   * content for the Repository facts, the form and ~8 preview lines for
   * the snapshot section. At most `content`.
   */
  floor: number;
  /** Who gets its floor first when the floors do not all fit: lowest. */
  priority: number;
  /**
   * What it keeps whatever the others need (default {@link LEAST_HEIGHT};
   * all of its content when that is less).
   */
  least?: number;
}

/** The CSS limits of one section: its min-height and max-height (px). */
export interface ISectionLimits {
  min: number;
  max: number;
}

/** The least height an expanded section keeps (a line or two of it). */
export const LEAST_HEIGHT = 48;

/**
 * The min/max heights that make sections take the room their content
 * needs: no section grows past its content (the room goes to the others),
 * and within the `available` height the floors are granted in priority
 * order; every expanded section first keeps its `least` (default
 * {@link LEAST_HEIGHT}, or all of its content when that is less). Collapsed sections get no limits
 * (`min` 0, `max` Infinity).
 *
 * @param needs - each section's content, floor and priority
 * @param available - the height the sections share (titles excluded)
 */
export function sectionLimits(
  needs: readonly ISectionNeed[],
  available: number,
  least = LEAST_HEIGHT
): ISectionLimits[] {
  const limits = needs.map((need): ISectionLimits => {
    if (!need.expanded) {
      return { min: 0, max: Infinity };
    }
    const content = Math.max(0, Math.ceil(need.content));
    return {
      min: Math.min(content, need.least ?? least),
      max: Math.max(content, 1)
    };
  });
  let rest =
    Math.max(0, Math.floor(available)) -
    limits.reduce((sum, limit) => sum + limit.min, 0);
  const order = needs
    .map((need, index) => ({ need, index }))
    .filter(({ need }) => need.expanded)
    .sort((a, b) => a.need.priority - b.need.priority || a.index - b.index);
  for (const { need, index } of order) {
    if (rest <= 0) {
      break;
    }
    const limit = limits[index];
    const floor = Math.min(limit.max, Math.max(0, Math.ceil(need.floor)));
    const add = Math.min(Math.max(0, floor - limit.min), rest);
    limit.min += add;
    rest -= add;
  }
  return limits;
}
