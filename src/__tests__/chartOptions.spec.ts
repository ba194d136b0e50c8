import {
  canLogScale,
  ChartOption,
  ema,
  escapeHtml,
  historyPoints,
  IChartTheme,
  isSingleValue,
  lineChartOption,
  parallelAxes,
  parallelChartOption,
  readChartTheme,
  SERIES_VARIABLES,
  tooltipElement,
  valueChartOption
} from '../compare/chartOptions';
import { IHistory, IParamRow } from '../compare/types';
import {
  compareReply,
  compareRun,
  history,
  HOSTILE_IMG,
  metricRow
} from './compareFakes';

const theme: IChartTheme = {
  text: '#000',
  subtle: '#666',
  border: '#ccc',
  grid: '#eee',
  background: '#fff',
  fontFamily: 'sans-serif',
  fontSize: 13,
  series: ['#111', '#222', '#333']
};

const runs = [
  { runId: 'a', label: 'alpha', color: '#111' },
  { runId: 'b', label: 'beta', color: '#222' }
];

function settings(
  overrides: Partial<{
    xAxis: 'step' | 'time';
    logScale: boolean;
    smoothing: number;
    hidden: ReadonlySet<string>;
  }> = {}
) {
  return {
    xAxis: 'step' as const,
    logScale: false,
    smoothing: 0,
    hidden: new Set<string>(),
    ...overrides
  };
}

function seriesOf(option: ChartOption): any[] {
  return option.series as any[];
}

describe('ema (TensorBoard smoothing)', () => {
  it('returns the values as they are for weight 0 (a copy)', () => {
    const values = [1, null, 3];
    const out = ema(values, 0);
    expect(out).toEqual([1, null, 3]);
    expect(out).not.toBe(values);
  });

  it('is debiased: the first point is the first value, not pulled to 0', () => {
    const out = ema([4, 4, 4, 4], 0.9);
    for (const v of out) {
      expect(v).toBeCloseTo(4, 10);
    }
    const [first, second] = ema([1, 2], 0.5) as number[];
    expect(first).toBeCloseTo(1, 10);
    // last = 0.5·0.5 + 0.5·2 = 1.25, debiased by 1 − 0.5² = 0.75
    expect(second).toBeCloseTo(1.25 / 0.75, 10);
  });

  it('lags behind a step change more with a higher weight', () => {
    const values = [0, 0, 0, 10, 10];
    const low = ema(values, 0.3) as number[];
    const high = ema(values, 0.9) as number[];
    expect(low[3]).toBeGreaterThan(high[3]);
    expect(high[3]).toBeGreaterThan(0);
    expect(low[3]).toBeLessThan(10);
  });

  it('keeps missing values missing without moving the average', () => {
    const withGaps = ema([1, null, NaN, 2], 0.5);
    const without = ema([1, 2], 0.5);
    expect(withGaps[1]).toBeNull();
    expect(withGaps[2]).toBeNull();
    expect(withGaps[0]).toBeCloseTo(without[0] as number, 10);
    expect(withGaps[3]).toBeCloseTo(without[1] as number, 10);
  });

  it('clamps the weight to 0 … 0.999', () => {
    const values = [1, 5, 2, 8];
    expect(ema(values, -1)).toEqual(values);
    expect(ema(values, 7)).toEqual(ema(values, 0.999));
  });
});

describe('historyPoints and canLogScale', () => {
  const h: IHistory = history([0.5, null, -1, 2], {
    steps: [0, 10, 20, 30],
    seconds: [0, 1.5, 3, 4.5]
  });

  it('uses steps or wall-time seconds as x', () => {
    expect(historyPoints(h, 'step').map(p => p[0])).toEqual([0, 10, 20, 30]);
    expect(historyPoints(h, 'time').map(p => p[0])).toEqual([0, 1.5, 3, 4.5]);
  });

  it('leaves gaps for NaN and, on a log scale, for values ≤ 0', () => {
    expect(historyPoints(h, 'step').map(p => p[1])).toEqual([0.5, null, -1, 2]);
    expect(historyPoints(h, 'step', h.values, true).map(p => p[1])).toEqual([
      0.5,
      null,
      null,
      2
    ]);
  });

  it('stops at the shorter of x and values', () => {
    expect(historyPoints(h, 'step', [1, 2])).toEqual([
      [0, 1],
      [10, 2]
    ]);
  });

  it('refuses a log scale when no value is positive', () => {
    expect(canLogScale(undefined)).toBe(false);
    expect(canLogScale({})).toBe(false);
    expect(canLogScale({ a: history([0, -1, null]), b: history([-0.5]) })).toBe(
      false
    );
    expect(canLogScale({ a: history([0, -1]), b: history([null, 1e-9]) })).toBe(
      true
    );
  });
});

describe('lineChartOption', () => {
  const histories = {
    a: history([1, 0.5, 0.25]),
    b: history([2, 1, 0.5])
  };

  it('draws a line per run on a step axis by default', () => {
    const option = lineChartOption({
      metric: 'loss',
      histories,
      runs,
      settings: settings(),
      theme
    });
    const series = seriesOf(option);
    expect(series.map(s => s.id)).toEqual(['a', 'b']);
    expect(series[0].data).toEqual([
      [0, 1],
      [10, 0.5],
      [20, 0.25]
    ]);
    expect(series[1].color).toBe('#222');
    expect((option.xAxis as any).name).toBe('step');
    expect((option.yAxis as any).type).toBe('value');
  });

  it('puts wall-time seconds on the x axis in time mode', () => {
    const option = lineChartOption({
      metric: 'loss',
      histories,
      runs,
      settings: settings({ xAxis: 'time' }),
      theme
    });
    expect((option.xAxis as any).name).toBe('wall time');
    expect(seriesOf(option)[0].data.map((p: number[]) => p[0])).toEqual([
      0, 1.5, 3
    ]);
  });

  it('uses a log axis only when some value is positive', () => {
    const positive = lineChartOption({
      metric: 'loss',
      histories: { a: history([1, 0, 0.1]) },
      runs,
      settings: settings({ logScale: true }),
      theme
    });
    expect((positive.yAxis as any).type).toBe('log');
    expect(seriesOf(positive)[0].data.map((p: unknown[]) => p[1])).toEqual([
      1,
      null,
      0.1
    ]);

    const nonPositive = lineChartOption({
      metric: 'delta',
      histories: { a: history([0, -1, -2]), b: history([null, 0]) },
      runs,
      settings: settings({ logScale: true }),
      theme
    });
    expect((nonPositive.yAxis as any).type).toBe('value');
    // Linear scale: the values are kept, not blanked.
    expect(seriesOf(nonPositive)[0].data.map((p: unknown[]) => p[1])).toEqual([
      0, -1, -2
    ]);
  });

  it('draws the smoothed line over the faint raw one', () => {
    const option = lineChartOption({
      metric: 'loss',
      histories: { a: histories.a },
      runs,
      settings: settings({ smoothing: 0.6 }),
      theme
    });
    const series = seriesOf(option);
    expect(series.map(s => s.id)).toEqual(['a:raw', 'a']);
    const [raw, smooth] = series;
    expect(raw.data.map((p: unknown[]) => p[1])).toEqual([1, 0.5, 0.25]);
    const expected = ema([1, 0.5, 0.25], 0.6);
    smooth.data.forEach((p: number[], i: number) =>
      expect(p[1]).toBeCloseTo(expected[i] as number, 10)
    );
    expect(raw.lineStyle.opacity).toBeLessThan(smooth.lineStyle.opacity);
    expect(smooth.z).toBeGreaterThan(raw.z);
  });

  it('leaves out hidden runs and runs without a history', () => {
    const option = lineChartOption({
      metric: 'loss',
      histories: { a: histories.a },
      runs,
      settings: settings({ hidden: new Set(['a']) }),
      theme
    });
    expect(seriesOf(option)).toEqual([]);
  });

  it('builds its tooltip as DOM text, never HTML', () => {
    const option = lineChartOption({
      metric: HOSTILE_IMG,
      histories: { a: histories.a },
      runs: [{ runId: 'a', label: HOSTILE_IMG, color: '#111' }],
      settings: settings({ smoothing: 0.5 }),
      theme
    });
    const formatter = (option.tooltip as any).formatter;
    const node: HTMLElement = formatter([
      { seriesId: 'a', value: [10, 0.75], axisValue: 10 },
      { seriesId: 'a:raw', value: [10, 0.5], axisValue: 10 }
    ]);
    expect(node).toBeInstanceOf(HTMLElement);
    expect(node.querySelector('img')).toBeNull();
    expect(
      node.querySelector('.jp-Repro-Compare-tooltipTitle')?.textContent
    ).toBe(`${HOSTILE_IMG} @ step 10`);
    expect(
      node.querySelector('.jp-Repro-Compare-tooltipName')?.textContent
    ).toBe(HOSTILE_IMG);
    const values = Array.from(
      node.querySelectorAll('.jp-Repro-Compare-tooltipValue')
    ).map(v => v.textContent);
    expect(values).toHaveLength(2);
    expect(values[1]).toMatch(/^\(.*\)$/);
  });
});

describe('parallel coordinates', () => {
  const params: IParamRow[] = [
    { key: 'lr', values: ['0.1', '0.01', null], differs: true },
    { key: 'opt', values: ['sgd', 'adam', 'sgd'], differs: true },
    { key: 'seed', values: ['1', '1', '1'], differs: false }
  ];

  it('has an axis per differing param, numeric or categorical, then the metric', () => {
    expect(parallelAxes(params, 'acc')).toEqual([
      { name: 'lr', kind: 'param', categories: null },
      { name: 'opt', kind: 'param', categories: ['adam', 'sgd'] },
      { name: 'acc', kind: 'metric', categories: null }
    ]);
  });

  it('draws a line per shown run to its latest metric', () => {
    const reply = compareReply({
      runs: [compareRun('a'), compareRun('b'), compareRun('c')],
      params,
      metrics: [metricRow('acc', [0.8, 0.9, null], 'max', 1)]
    });
    const option = parallelChartOption({
      reply,
      metric: 'acc',
      runs: [...runs, { runId: 'c', label: 'gamma', color: '#333' }],
      hidden: new Set(['b']),
      theme
    });
    const data = (seriesOf(option)[0].data as any[]).map(d => d.value);
    expect(data).toEqual([
      [0.1, 'sgd', 0.8],
      ['-', 'sgd', '-']
    ]);
    const axes = option.parallelAxis as any[];
    expect(axes.map(a => a.type)).toEqual(['value', 'category', 'value']);
  });
});

describe('text safety helpers', () => {
  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'
    );
  });

  it('makes tooltips of text nodes', () => {
    const node = tooltipElement('<script>x</script>', [
      { color: 'red', name: HOSTILE_IMG, values: ['<b>1</b>'] }
    ]);
    expect(node.querySelector('script, img, b')).toBeNull();
    expect(node.textContent).toContain(HOSTILE_IMG);
    expect(node.textContent).toContain('<b>1</b>');
  });

  it('falls back to fixed colours when the theme defines none', () => {
    const t = readChartTheme(document.body);
    expect(t.series).toHaveLength(SERIES_VARIABLES.length);
    expect(t.series.every(c => c.startsWith('#'))).toBe(true);
    expect(t.fontSize).toBe(13);
  });
});

describe('metrics logged once (no steps)', () => {
  // The demo notebook logs `accuracy` and `loss` once, at the end.
  const once = {
    a: history([0.4756]),
    b: history([0.8244])
  };

  it('knows a metric no run logged more than once', () => {
    expect(isSingleValue(once)).toBe(true);
    expect(isSingleValue({ a: history([1, 2]), b: history([3]) })).toBe(false);
    expect(isSingleValue({ a: history([null, 0.5]) })).toBe(true);
    expect(isSingleValue({})).toBe(false);
    expect(isSingleValue(undefined)).toBe(false);
  });

  it('draws a marker per run over a category axis of the runs', () => {
    const option = lineChartOption({
      metric: 'accuracy',
      histories: once,
      runs,
      settings: settings(),
      theme
    });
    const xAxis = option.xAxis as any;
    expect(xAxis.type).toBe('category');
    expect(xAxis.data).toEqual(['a', 'b']);
    // The run ids are the categories, their labels the axis text.
    expect(xAxis.axisLabel.formatter('a')).toBe('alpha');
    expect(xAxis.axisLabel.formatter('b')).toBe('beta');
    const series = seriesOf(option);
    expect(series.map(s => s.id)).toEqual(['a', 'b']);
    expect(series[0].data).toEqual([['a', 0.4756]]);
    expect(series[1].data).toEqual([['b', 0.8244]]);
    for (const one of series) {
      // Something is drawn: a visible marker with its value on top.
      expect(one.showSymbol).toBe(true);
      expect(one.symbolSize).toBeGreaterThanOrEqual(8);
      expect(one.label.show).toBe(true);
    }
    expect(series[0].color).toBe('#111');
    expect(series[0].label.formatter()).toBe('0.4756');
    // No step slider for values without steps.
    expect(option.dataZoom).toBeUndefined();
    expect((option.yAxis as any).scale).toBe(true);
  });

  it('leaves out hidden runs and values a log scale cannot show', () => {
    const hidden = valueChartOption({
      metric: 'accuracy',
      histories: once,
      runs,
      settings: settings({ hidden: new Set(['a']) }),
      theme
    });
    expect(seriesOf(hidden).map(s => s.id)).toEqual(['b']);
    expect((hidden.xAxis as any).data).toEqual(['b']);
    const log = valueChartOption({
      metric: 'delta',
      histories: { a: history([-1]), b: history([2]) },
      runs,
      settings: settings({ logScale: true }),
      theme
    });
    expect((log.yAxis as any).type).toBe('log');
    expect(seriesOf(log)[0].data).toEqual([['a', null]]);
    expect(seriesOf(log)[0].label.show).toBe(false);
  });

  it('builds its tooltip as text nodes', () => {
    const option = valueChartOption({
      metric: HOSTILE_IMG,
      histories: once,
      runs: [{ runId: 'a', label: HOSTILE_IMG, color: '#111' }],
      settings: settings(),
      theme
    });
    const tooltip = (option.tooltip as any).formatter({
      seriesId: 'a',
      value: ['a', 0.4756]
    }) as HTMLElement;
    expect(tooltip.textContent).toContain(HOSTILE_IMG);
    expect(tooltip.textContent).toContain('0.4756');
    expect(tooltip.querySelector('img')).toBeNull();
  });

  it('shows a lone point among histories as a marker', () => {
    const option = lineChartOption({
      metric: 'loss',
      histories: { a: history([1, 0.5, 0.25]), b: history([0.3]) },
      runs,
      settings: settings(),
      theme
    });
    const [a, b] = seriesOf(option);
    expect((option.xAxis as any).type).toBe('value');
    expect(a.showSymbol).toBe(false);
    expect(b.showSymbol).toBe(true);
    expect(b.symbolSize).toBeGreaterThan(a.symbolSize);
  });
});
