/**
 * One number format for every value the panel shows (metric columns, run
 * details, durations and times): four significant digits, the same decimals
 * down a column, integers as integers, `—` for a missing value.
 */

/** What a missing (or NaN/infinite) value is shown as. */
export const MISSING = '—';

/** Significant digits a number is shown with. */
const SIGNIFICANT = 4;

/** Most decimals a column pads its values to. */
const MAX_DECIMALS = 6;

/**
 * One number in four significant digits (one decimal from 1000 on, an
 * exponent for tiny values), trailing zeros dropped; `—` when missing.
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return MISSING;
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  if (Math.abs(value) >= 1000) {
    return String(Number(value.toFixed(1)));
  }
  return String(Number(value.toPrecision(SIGNIFICANT)));
}

/**
 * A metric value as one cell shows it: {@link formatNumber}, but '' for a
 * metric the run did not report (undefined) and `—` for NaN (null).
 */
export function formatMetric(value: number | null | undefined): string {
  return value === undefined ? '' : formatNumber(value);
}

/**
 * The decimals {@link formatNumber} shows for a value; null for an exponent
 * form or a missing value, which a column leaves as they are.
 */
function decimalsOf(value: number | null | undefined): number | null {
  const text = formatNumber(value);
  if (text === MISSING || /e/i.test(text)) {
    return null;
  }
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

/**
 * A formatter for the values of one column: every value with the decimals
 * the most precise of them needs (so the points line up), integers as
 * integers when the whole column holds integers, `—` when missing.
 */
export function columnFormatter(
  values: Iterable<number | null | undefined>
): (value: number | null | undefined) => string {
  let decimals = 0;
  for (const value of values) {
    const own = decimalsOf(value);
    if (own !== null && own <= MAX_DECIMALS) {
      decimals = Math.max(decimals, own);
    }
  }
  return value => {
    const own = decimalsOf(value);
    // Missing, exponent forms and values finer than a column pads to keep
    // their own form.
    if (own === null || own > MAX_DECIMALS || decimals === 0) {
      return formatNumber(value);
    }
    return (value as number).toFixed(decimals);
  };
}

/**
 * Seconds as "0.4 s", "< 0.1 s", "2.5 s", "42 s", "3 min 5 s" or
 * "2 h 10 min": under ten seconds with one decimal (a run of 0.4 s is not
 * "0 s"), whole seconds from there on.
 */
export function formatDuration(secondsTotal: number): string {
  const exact = Number.isFinite(secondsTotal) ? Math.max(0, secondsTotal) : 0;
  if (exact === 0) {
    return '0 s';
  }
  if (exact < 0.05) {
    return '< 0.1 s';
  }
  if (exact < 9.95) {
    return `${Number(exact.toFixed(1))} s`;
  }
  const s = Math.round(exact);
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    const rest = s % 60;
    return `${Math.floor(s / 60)} min` + (rest ? ` ${rest} s` : '');
  }
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h` + (minutes ? ` ${minutes} min` : '');
}

/**
 * "5 min. ago" (short: the sidebar is narrow); the local time is the title.
 */
export function relativeTime(ms: number, now = Date.now()): string {
  const seconds = (ms - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 24 * 3600],
    ['month', 30 * 24 * 3600],
    ['week', 7 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60]
  ];
  const format = new Intl.RelativeTimeFormat(undefined, {
    numeric: 'auto',
    style: 'narrow'
  });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return format.format(0, 'second');
}
