// The charts of the compare view as plain ECharts options, built without
// ECharts (it is loaded lazily, see ./echarts.ts): metric histories as
// overlaid lines (step or wall time, log scale, TensorBoard-like smoothing),
// a metric each run logged once as one marker per run, and parallel
// coordinates of the differing parameters → one metric.
//
// Run names, parameter values and metric names reach a chart only as
// canvas text (axis names, labels) or as the text of DOM nodes a tooltip
// formatter builds: ECharts renders a formatter's string as HTML, so the
// formatters here return elements, never strings.
import { formatDuration, formatNumber } from '../common/format';
import { ICompareReply, IHistory, IParamRow } from './types';

/** An ECharts option, as far as this module writes it. */
export type ChartOption = Record<string, unknown>;

/** What the x axis of the history charts shows. */
export type XAxisMode = 'step' | 'time';

/**
 * The colours and fonts of the charts, read from `--jp-*` variables when a
 * chart renders (and again when the theme changes).
 */
export interface IChartTheme {
  text: string;
  subtle: string;
  border: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** One colour per run, in the order of the reply's runs. */
  series: string[];
}

/**
 * The `--jp-*` variables the run colours come from, in order: distinct hues
 * that each theme defines for its own background.
 */
export const SERIES_VARIABLES = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-mirror-editor-operator-color',
  '--jp-info-color1',
  '--jp-brand-color0',
  '--jp-warn-color0',
  '--jp-error-color2',
  '--jp-mirror-editor-comment-color'
];

/** Used where a variable is not defined (tests, a theme without it). */
const FALLBACK_SERIES = [
  '#1976d2',
  '#f57c00',
  '#388e3c',
  '#d32f2f',
  '#7800c2',
  '#0097a7',
  '#0d47a1',
  '#e65100',
  '#e57373',
  '#408080'
];

/**
 * The chart theme as the CSS variables of `node` (inherited from the lab's
 * theme) say now.
 */
export function readChartTheme(node: Element): IChartTheme {
  const style = window.getComputedStyle(node);
  const read = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || fallback;
  const size = parseFloat(read('--jp-ui-font-size1', '13px'));
  return {
    text: read('--jp-ui-font-color1', '#212121'),
    subtle: read('--jp-ui-font-color2', '#616161'),
    border: read('--jp-border-color1', '#bdbdbd'),
    grid: read('--jp-border-color2', '#e0e0e0'),
    background: read('--jp-layout-color1', '#ffffff'),
    fontFamily: read('--jp-ui-font-family', 'sans-serif'),
    fontSize: Number.isFinite(size) ? size : 13,
    series: SERIES_VARIABLES.map((name, i) => read(name, FALLBACK_SERIES[i]))
  };
}

/**
 * Escape text for an HTML context. The charts never need it (formatters
 * build elements); it is here for anything that must hand ECharts a string.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased for the
 * first points (weight 0: the values as they are, up to 0.999). NaN and
 * missing values stay missing and do not move the average.
 */
export function ema(
  values: readonly (number | null)[],
  weight: number
): (number | null)[] {
  const w = Math.min(0.999, Math.max(0, weight));
  if (w === 0) {
    return values.slice();
  }
  let last = 0;
  let count = 0;
  return values.map(value => {
    if (value === null || !Number.isFinite(value)) {
      return null;
    }
    last = last * w + (1 - w) * value;
    count++;
    return last / (1 - Math.pow(w, count));
  });
}

/** Settings of the history charts. */
export interface ILineSettings {
  xAxis: XAxisMode;
  logScale: boolean;
  /** 0 … 0.999, see {@link ema}. */
  smoothing: number;
  /** Runs (ids) the legend hid. */
  hidden: ReadonlySet<string>;
}

/** One run of a chart: its id, label and colour. */
export interface IChartRun {
  runId: string;
  label: string;
  color: string;
}

/**
 * `[x, y]` points of one history (y null for a gap: NaN, or a value a log
 * scale cannot show).
 */
export function historyPoints(
  history: IHistory,
  xAxis: XAxisMode,
  values: readonly (number | null)[] = history.values,
  logScale = false
): [number, number | null][] {
  const xs = xAxis === 'time' ? history.seconds : history.steps;
  const points: [number, number | null][] = [];
  const n = Math.min(xs.length, values.length);
  for (let i = 0; i < n; i++) {
    const y = values[i];
    const usable =
      y !== null && Number.isFinite(y) && (!logScale || (y as number) > 0);
    points.push([xs[i], usable ? y : null]);
  }
  return points;
}

/**
 * Whether a log scale can show a metric's histories: some value above 0.
 */
export function canLogScale(
  histories: Record<string, IHistory> | undefined
): boolean {
  return Object.values(histories ?? {}).some(h =>
    h.values.some(v => v !== null && v > 0)
  );
}

/** A line of a tooltip: a colour swatch, a name and values, as text. */
export interface ITooltipRow {
  color: string;
  name: string;
  values: string[];
}

/**
 * A tooltip as DOM nodes: every string becomes a text node, so a run named
 * `<img src=x onerror=…>` is shown, never parsed.
 */
export function tooltipElement(
  title: string,
  rows: ITooltipRow[],
  doc: Document = document
): HTMLElement {
  const root = doc.createElement('div');
  root.className = 'jp-Repro-Compare-tooltipBody';
  const head = doc.createElement('div');
  head.className = 'jp-Repro-Compare-tooltipTitle';
  head.textContent = title;
  root.appendChild(head);
  for (const row of rows) {
    const line = doc.createElement('div');
    line.className = 'jp-Repro-Compare-tooltipRow';
    const swatch = doc.createElement('span');
    swatch.className = 'jp-Repro-Compare-swatch';
    swatch.style.backgroundColor = row.color;
    const name = doc.createElement('span');
    name.className = 'jp-Repro-Compare-tooltipName';
    name.textContent = row.name;
    line.append(swatch, name);
    for (const text of row.values) {
      const value = doc.createElement('span');
      value.className = 'jp-Repro-Compare-tooltipValue';
      value.textContent = text;
      line.appendChild(value);
    }
    root.appendChild(line);
  }
  return root;
}

/** How an x value reads in a tooltip and on the axis. */
export function formatX(x: number, xAxis: XAxisMode): string {
  return xAxis === 'time' ? formatDuration(x) : String(x);
}

function baseOption(theme: IChartTheme): ChartOption {
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: {
      color: theme.text,
      fontFamily: theme.fontFamily,
      fontSize: theme.fontSize
    }
  };
}

function tooltipBase(theme: IChartTheme): ChartOption {
  return {
    // Styled by CSS (--jp-* variables); the content is built as DOM nodes.
    className: 'jp-Repro-Compare-tooltip',
    backgroundColor: theme.background,
    borderColor: theme.border,
    textStyle: { color: theme.text, fontFamily: theme.fontFamily },
    confine: true
  };
}

interface IAxisParam {
  seriesId?: string;
  value?: unknown;
  axisValue?: unknown;
}

/** How many points of a history a chart can draw (finite values). */
function pointCount(history: IHistory | undefined): number {
  if (!history) {
    return 0;
  }
  return history.values.filter(v => v !== null && Number.isFinite(v)).length;
}

/**
 * Whether a metric was logged once per run (no steps: `accuracy` logged at
 * the end of training): no run has more than one point. A line chart would
 * draw nothing for it.
 */
export function isSingleValue(
  histories: Record<string, IHistory> | undefined
): boolean {
  const all = Object.values(histories ?? {});
  return all.length > 0 && all.every(history => pointCount(history) <= 1);
}

/**
 * The option of a metric each run logged once: one marker per shown run
 * (with its value as a label) over a category axis of the runs, on a
 * linear or log y axis.
 */
export function valueChartOption(options: {
  metric: string;
  histories: Record<string, IHistory>;
  runs: IChartRun[];
  settings: ILineSettings;
  theme: IChartTheme;
}): ChartOption {
  const { metric, histories, runs, settings, theme } = options;
  const logScale = settings.logScale && canLogScale(histories);
  const shown = runs.filter(
    run => histories[run.runId] && !settings.hidden.has(run.runId)
  );
  const labels = new Map(shown.map(run => [run.runId, run.label]));
  const series = shown.map(run => {
    const history = histories[run.runId];
    const index = history.values.findIndex(
      v => v !== null && Number.isFinite(v)
    );
    const value = index < 0 ? null : history.values[index];
    const usable = value !== null && (!logScale || value > 0);
    return {
      id: run.runId,
      type: 'line',
      name: run.runId,
      data: [[run.runId, usable ? value : null]],
      showSymbol: true,
      symbol: 'circle',
      symbolSize: 12,
      color: run.color,
      lineStyle: { width: 0 },
      label: {
        show: usable,
        position: 'top',
        color: theme.text,
        fontSize: theme.fontSize - 1,
        formatter: () => formatNumber(value)
      },
      emphasis: { disabled: true }
    };
  });
  const axisLine = { lineStyle: { color: theme.border } };
  const axisLabel = { color: theme.subtle, fontSize: theme.fontSize - 2 };
  const formatter = (param: IAxisParam) => {
    const run = shown.find(r => r.runId === String(param.seriesId ?? ''));
    const value = Array.isArray(param.value)
      ? (param.value[1] as number | null)
      : null;
    return tooltipElement(
      metric,
      run
        ? [{ color: run.color, name: run.label, values: [formatNumber(value)] }]
        : []
    );
  };
  return {
    ...baseOption(theme),
    grid: { left: 56, right: 16, top: 24, bottom: 36, containLabel: false },
    tooltip: { ...tooltipBase(theme), trigger: 'item', formatter },
    xAxis: {
      type: 'category',
      data: shown.map(run => run.runId),
      axisLine,
      axisTick: { alignWithLabel: true, lineStyle: { color: theme.border } },
      axisLabel: {
        ...axisLabel,
        interval: 0,
        overflow: 'truncate',
        width: 120,
        formatter: (id: string) => labels.get(id) ?? id
      }
    },
    yAxis: {
      type: logScale ? 'log' : 'value',
      scale: true,
      axisLine,
      axisLabel: {
        ...axisLabel,
        formatter: (value: number) => formatNumber(value)
      },
      splitLine: { lineStyle: { color: theme.grid } }
    },
    series
  };
}

/**
 * The option of one metric's history chart: a line per shown run (the
 * smoothed line over the faint raw one when smoothing is on), the x axis in
 * steps or seconds, a linear or log y axis, ctrl+wheel zoom and a slider.
 * A run with a single point shows it as a marker; a metric every run logged
 * once is drawn by {@link valueChartOption}.
 */
export function lineChartOption(options: {
  metric: string;
  histories: Record<string, IHistory>;
  runs: IChartRun[];
  settings: ILineSettings;
  theme: IChartTheme;
}): ChartOption {
  if (isSingleValue(options.histories)) {
    return valueChartOption(options);
  }
  const { metric, histories, runs, settings, theme } = options;
  const smoothing = settings.smoothing;
  const logScale = settings.logScale && canLogScale(histories);
  const series: ChartOption[] = [];
  const byId = new Map<string, { run: IChartRun; smoothed: boolean }>();
  for (const run of runs) {
    const history = histories[run.runId];
    if (!history || settings.hidden.has(run.runId)) {
      continue;
    }
    const raw = historyPoints(
      history,
      settings.xAxis,
      history.values,
      logScale
    );
    // One point draws no line: show it as a marker.
    const lone = pointCount(history) === 1;
    const line = (
      id: string,
      data: [number, number | null][],
      faint: boolean
    ) => ({
      id,
      type: 'line',
      // Names only identify series inside ECharts (no legend component);
      // the ids keep two runs of the same name apart.
      name: id,
      data,
      showSymbol: lone && !faint,
      symbol: 'circle',
      symbolSize: lone ? 8 : 4,
      connectNulls: false,
      sampling: 'lttb',
      color: run.color,
      lineStyle: { width: faint ? 1 : 1.6, opacity: faint ? 0.25 : 1 },
      emphasis: { disabled: true },
      z: faint ? 1 : 2
    });
    if (smoothing > 0) {
      const smooth = historyPoints(
        history,
        settings.xAxis,
        ema(history.values, smoothing),
        logScale
      );
      series.push(line(`${run.runId}:raw`, raw, true));
      series.push(line(run.runId, smooth, false));
      byId.set(`${run.runId}:raw`, { run, smoothed: false });
      byId.set(run.runId, { run, smoothed: true });
    } else {
      series.push(line(run.runId, raw, false));
      byId.set(run.runId, { run, smoothed: false });
    }
  }
  const formatter = (params: IAxisParam | IAxisParam[]) => {
    const list = Array.isArray(params) ? params : [params];
    const x = Number(list[0]?.axisValue ?? NaN);
    const rows = new Map<string, ITooltipRow>();
    for (const param of list) {
      const entry = byId.get(String(param.seriesId ?? ''));
      if (!entry) {
        continue;
      }
      const value = Array.isArray(param.value)
        ? (param.value[1] as number | null)
        : null;
      const row = rows.get(entry.run.runId) ?? {
        color: entry.run.color,
        name: entry.run.label,
        values: ['', '']
      };
      if (smoothing > 0 && entry.smoothed) {
        row.values[0] = formatNumber(value);
      } else if (smoothing > 0) {
        row.values[1] = `(${formatNumber(value)})`;
      } else {
        row.values[0] = formatNumber(value);
      }
      rows.set(entry.run.runId, row);
    }
    const title = `${metric} @ ${
      settings.xAxis === 'time' ? '' : 'step '
    }${Number.isFinite(x) ? formatX(x, settings.xAxis) : ''}`;
    return tooltipElement(
      title,
      [...rows.values()].map(row => ({
        ...row,
        values: row.values.filter(Boolean)
      }))
    );
  };
  const axisLine = { lineStyle: { color: theme.border } };
  const axisLabel = { color: theme.subtle, fontSize: theme.fontSize - 2 };
  return {
    ...baseOption(theme),
    grid: { left: 56, right: 16, top: 12, bottom: 52, containLabel: false },
    tooltip: {
      ...tooltipBase(theme),
      trigger: 'axis',
      axisPointer: { type: 'line', lineStyle: { color: theme.subtle } },
      formatter
    },
    xAxis: {
      type: 'value',
      name: settings.xAxis === 'time' ? 'wall time' : 'step',
      nameLocation: 'middle',
      nameGap: 22,
      nameTextStyle: { color: theme.subtle },
      min: 'dataMin',
      max: 'dataMax',
      axisLine,
      axisLabel: {
        ...axisLabel,
        formatter: (value: number) => formatX(value, settings.xAxis)
      },
      splitLine: { show: false }
    },
    yAxis: {
      type: logScale ? 'log' : 'value',
      scale: true,
      axisLine,
      axisLabel: {
        ...axisLabel,
        formatter: (value: number) => formatNumber(value)
      },
      splitLine: { lineStyle: { color: theme.grid } }
    },
    dataZoom: [
      {
        type: 'inside',
        xAxisIndex: 0,
        filterMode: 'none',
        zoomOnMouseWheel: 'ctrl',
        moveOnMouseWheel: false,
        moveOnMouseMove: true
      },
      {
        type: 'slider',
        xAxisIndex: 0,
        filterMode: 'none',
        height: 14,
        bottom: 4,
        showDetail: false,
        borderColor: theme.border,
        textStyle: { color: theme.subtle }
      }
    ],
    series
  };
}

/** One axis of the parallel-coordinates chart. */
export interface IParallelAxis {
  name: string;
  kind: 'param' | 'metric';
  /** Category axes list their values; value axes have none. */
  categories: string[] | null;
}

/** What no value is shown as on a category axis. */
const NO_VALUE = '—';

function numeric(values: (string | null)[]): boolean {
  const present = values.filter((v): v is string => v !== null);
  return (
    present.length > 0 &&
    present.every(v => v.trim() !== '' && Number.isFinite(Number(v)))
  );
}

/**
 * The axes of the parallel-coordinates view: every differing parameter
 * (numeric ones as value axes, the rest as categories), then the metric.
 */
export function parallelAxes(
  params: readonly IParamRow[],
  metric: string
): IParallelAxis[] {
  const axes: IParallelAxis[] = params
    .filter(row => row.differs)
    .map(row => ({
      name: row.key,
      kind: 'param' as const,
      categories: numeric(row.values)
        ? null
        : [...new Set(row.values.map(v => v ?? NO_VALUE))].sort()
    }));
  axes.push({ name: metric, kind: 'metric', categories: null });
  return axes;
}

/**
 * The option of the parallel-coordinates chart (3+ runs): one line per shown
 * run through its differing parameters to the latest value of `metric`.
 */
export function parallelChartOption(options: {
  reply: ICompareReply;
  metric: string;
  runs: IChartRun[];
  hidden: ReadonlySet<string>;
  theme: IChartTheme;
}): ChartOption {
  const { reply, metric, runs, hidden, theme } = options;
  const axes = parallelAxes(reply.params, metric);
  const paramRows = reply.params.filter(row => row.differs);
  const metricRow = reply.metrics.find(row => row.key === metric) ?? null;
  const indexOf = new Map(reply.runs.map((run, i) => [run.run_id, i]));
  const data: ChartOption[] = [];
  const lines: { run: IChartRun; values: string[] }[] = [];
  for (const run of runs) {
    const i = indexOf.get(run.runId);
    if (i === undefined || hidden.has(run.runId)) {
      continue;
    }
    const value: (number | string)[] = [];
    const shown: string[] = [];
    paramRows.forEach((row, a) => {
      const raw = row.values[i];
      if (axes[a].categories) {
        value.push(raw ?? NO_VALUE);
      } else {
        value.push(raw === null ? '-' : Number(raw));
      }
      shown.push(`${row.key} = ${raw ?? NO_VALUE}`);
    });
    const latest = metricRow?.values[i]?.latest ?? null;
    value.push(latest === null ? '-' : latest);
    shown.push(`${metric} = ${formatNumber(latest)}`);
    data.push({ value, lineStyle: { color: run.color } });
    lines.push({ run, values: shown });
  }
  const axisStyle = {
    nameTextStyle: { color: theme.text, fontSize: theme.fontSize - 1 },
    axisLine: { lineStyle: { color: theme.border } },
    axisLabel: { color: theme.subtle, fontSize: theme.fontSize - 2 },
    axisTick: { lineStyle: { color: theme.border } }
  };
  return {
    ...baseOption(theme),
    parallel: { left: 48, right: 96, top: 40, bottom: 24 },
    parallelAxis: axes.map((axis, dim) => ({
      dim,
      name: axis.name,
      nameGap: 12,
      nameTruncate: { maxWidth: 120 },
      type: axis.categories ? 'category' : 'value',
      ...(axis.categories ? { data: axis.categories } : { scale: true }),
      ...axisStyle
    })),
    tooltip: {
      ...tooltipBase(theme),
      trigger: 'item',
      formatter: (param: { dataIndex?: number }) => {
        const line = lines[param.dataIndex ?? -1];
        return line
          ? tooltipElement(
              line.run.label,
              line.values.map(text => ({
                color: line.run.color,
                name: text,
                values: []
              }))
            )
          : tooltipElement('', []);
      }
    },
    series: [
      {
        id: 'parallel',
        type: 'parallel',
        smooth: false,
        lineStyle: { width: 2, opacity: 0.9 },
        emphasis: { lineStyle: { width: 4 } },
        data
      }
    ]
  };
}
