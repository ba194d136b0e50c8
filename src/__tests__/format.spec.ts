import {
  columnFormatter,
  formatDuration,
  formatMetric,
  formatNumber,
  MISSING,
  relativeTime
} from '../common/format';

describe('formatNumber', () => {
  it('shows four significant digits, integers as integers', () => {
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(-42)).toBe('-42');
    expect(formatNumber(12.34567)).toBe('12.35');
    expect(formatNumber(1e-7)).toBe('1e-7');
  });

  it('keeps one decimal from 1000 on', () => {
    expect(formatNumber(12345.678)).toBe('12345.7');
    expect(formatNumber(2000.04)).toBe('2000');
  });

  it('shows a dash for missing, NaN and infinite values', () => {
    expect(formatNumber(null)).toBe(MISSING);
    expect(formatNumber(undefined)).toBe(MISSING);
    expect(formatNumber(NaN)).toBe(MISSING);
    expect(formatNumber(Infinity)).toBe(MISSING);
    expect(MISSING).toBe('—');
  });

  it('formatMetric leaves a metric the run did not report empty', () => {
    expect(formatMetric(undefined)).toBe('');
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(0.91234)).toBe('0.9123');
  });
});

describe('columnFormatter', () => {
  it('gives every value of a column the same decimals', () => {
    const format = columnFormatter([0.91234, 0.8, 1]);
    expect([0.91234, 0.8, 1].map(format)).toEqual([
      '0.9123',
      '0.8000',
      '1.0000'
    ]);
  });

  it('keeps a column of integers as integers', () => {
    const format = columnFormatter([10, 20, 300]);
    expect([10, 20, 300].map(format)).toEqual(['10', '20', '300']);
  });

  it('shows missing values as a dash, without changing the decimals', () => {
    const format = columnFormatter([0.5, null, undefined]);
    expect(format(0.5)).toBe('0.5');
    expect(format(null)).toBe('—');
    expect(format(undefined)).toBe('—');
    expect(columnFormatter([])(undefined)).toBe('—');
  });

  it('leaves exponent forms and very fine values as they are', () => {
    const format = columnFormatter([0.25, 1e-9, 0.0000123456]);
    expect(format(0.25)).toBe('0.25');
    expect(format(1e-9)).toBe('1e-9');
    expect(format(0.0000123456)).toBe(formatNumber(0.0000123456));
  });

  it('lines up large and small values', () => {
    const format = columnFormatter([12345.678, 0.5]);
    expect(format(12345.678)).toBe('12345.7');
    expect(format(0.5)).toBe('0.5');
  });
});

describe('durations and times', () => {
  it('formats durations', () => {
    expect(formatDuration(59.6)).toBe('1 min');
    expect(formatDuration(3725)).toBe('1 h 2 min');
  });

  it('never says "0 s" for a run that took under a second', () => {
    expect(formatDuration(0.4)).toBe('0.4 s');
    expect(formatDuration(0.96)).toBe('1 s');
    expect(formatDuration(0.01)).toBe('< 0.1 s');
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(-3)).toBe('0 s');
    expect(formatDuration(NaN)).toBe('0 s');
    expect(formatDuration(2.54)).toBe('2.5 s');
    expect(formatDuration(2.04)).toBe('2 s');
    expect(formatDuration(9.96)).toBe('10 s');
    expect(formatDuration(42.4)).toBe('42 s');
  });

  it('says how long ago', () => {
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    expect(relativeTime(now - 2 * 24 * 3600 * 1000, now)).toMatch(/2/);
  });
});
