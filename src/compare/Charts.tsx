import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  canLogScale,
  IChartRun,
  isSingleValue,
  lineChartOption,
  parallelChartOption,
  readChartTheme,
  SERIES_VARIABLES
} from './chartOptions';
import type { IChart } from './echarts';
import { CompareModel, runLabels } from './model';

/** What the lazily loaded chart chunk provides. */
export interface IChartsModule {
  createChart(node: HTMLElement): IChart;
}

let chartsModule: Promise<IChartsModule> | null = null;

/**
 * The chart library, fetched once, when the first comparison opens.
 */
export function loadCharts(): Promise<IChartsModule> {
  if (chartsModule === null) {
    chartsModule = import('./echarts').catch(error => {
      chartsModule = null;
      throw error;
    });
  }
  return chartsModule;
}

/** The key of the parallel-coordinates chart among the metric charts. */
const PARALLEL = '\u0000parallel';

let groups = 0;

export interface ICompareChartsProps {
  model: CompareModel;
  trans: TranslationBundle;
  /** Called with the milliseconds from a reply's arrival to its charts drawn. */
  onRendered?: (ms: number) => void;
  /** Loads the chart library (default {@link loadCharts}). */
  load?: () => Promise<IChartsModule>;
}

/**
 * The charts of a comparison: each charted metric's histories as overlaid
 * lines (a metric logged once per run as a marker per run), and for three
 * runs or more the parallel coordinates of the
 * differing parameters → a metric. One legend (DOM text, one button per run)
 * shows and hides a run in every chart; colours come from `--jp-*`
 * variables, read again when the theme changes.
 */
export function CompareCharts(props: ICompareChartsProps): JSX.Element | null {
  const { model, trans } = props;
  const reply = model.reply;
  const container = React.useRef<HTMLDivElement>(null);
  const hosts = React.useRef(new Map<string, HTMLDivElement>());
  const charts = React.useRef(new Map<string, IChart>());
  const group = React.useRef(`jp-repro-compare-${++groups}`);
  const [error, setError] = React.useState<string | null>(null);
  const [colors, setColors] = React.useState<string[]>([]);

  const metrics = (model.metrics ?? []).filter(
    key => Object.keys(reply?.histories?.[key] ?? {}).length > 0
  );
  const parallelMetric = model.parallelMetric;
  const showParallel =
    !!reply &&
    reply.runs.length >= 3 &&
    reply.params.some(row => row.differs) &&
    parallelMetric !== null;
  const keys = [...metrics, ...(showParallel ? [PARALLEL] : [])];
  const labels = React.useMemo(() => runLabels(reply?.runs ?? []), [reply]);

  React.useEffect(() => {
    if (!reply || !container.current) {
      return;
    }
    let cancelled = false;
    const draw = async () => {
      const module = await (props.load ?? loadCharts)();
      if (cancelled || !container.current) {
        return;
      }
      const theme = readChartTheme(container.current);
      setColors(theme.series);
      const runs: IChartRun[] = reply.runs.map((run, i) => ({
        runId: run.run_id,
        label: labels.get(run.run_id) ?? run.run_id,
        color: theme.series[i % theme.series.length]
      }));
      for (const [key, chart] of charts.current) {
        if (!keys.includes(key)) {
          chart.dispose();
          charts.current.delete(key);
        }
      }
      const finished: Promise<void>[] = [];
      for (const key of keys) {
        const host = hosts.current.get(key);
        if (!host) {
          continue;
        }
        let chart = charts.current.get(key);
        if (!chart) {
          chart = module.createChart(host);
          if (key !== PARALLEL) {
            chart.setGroup(group.current);
          }
          charts.current.set(key, chart);
        }
        const shown = runs.filter(run => !model.hidden.has(run.runId));
        const option =
          key === PARALLEL
            ? parallelChartOption({
                reply,
                metric: parallelMetric ?? '',
                runs,
                hidden: model.hidden,
                theme
              })
            : lineChartOption({
                metric: key,
                histories: reply.histories[key] ?? {},
                runs,
                settings: {
                  xAxis: model.xAxis,
                  logScale: model.logScale,
                  smoothing: model.smoothing,
                  hidden: model.hidden
                },
                theme
              });
        const target = chart;
        finished.push(new Promise(resolve => target.onceFinished(resolve)));
        target.setOption(option);
        host.dataset.seriesCount = String(
          key === PARALLEL
            ? shown.length
            : shown.filter(run => reply.histories[key]?.[run.runId]).length
        );
      }
      await Promise.all(finished);
      if (cancelled) {
        return;
      }
      const ms = model.markRendered();
      container.current?.setAttribute(
        'data-render-count',
        String(model.renderCount)
      );
      if (ms !== null) {
        props.onRendered?.(ms);
      }
    };
    draw().catch(reason => {
      if (!cancelled) {
        setError(
          trans.__(
            'Cannot draw the charts: %1',
            reason instanceof Error ? reason.message : String(reason)
          )
        );
      }
    });
    return () => {
      cancelled = true;
    };
  }, [
    reply,
    keys.join('\n'),
    model.xAxis,
    model.logScale,
    model.smoothing,
    model.hidden,
    parallelMetric,
    model.themeVersion
  ]);

  // Charts follow their host's size; all go with the view.
  React.useEffect(() => {
    const node = container.current;
    const observer =
      node && typeof ResizeObserver !== 'undefined'
        ? new ResizeObserver(() => {
            for (const chart of charts.current.values()) {
              chart.resize();
            }
          })
        : null;
    if (node && observer) {
      observer.observe(node);
    }
    return () => {
      observer?.disconnect();
      for (const chart of charts.current.values()) {
        chart.dispose();
      }
      charts.current.clear();
    };
  }, []);

  if (!reply) {
    return null;
  }
  const hostRef = (key: string) => (node: HTMLDivElement | null) => {
    if (node) {
      hosts.current.set(key, node);
    } else {
      hosts.current.delete(key);
    }
  };
  const direction = (key: string) =>
    reply.metrics.find(row => row.key === key)?.direction ?? null;
  return (
    <div className="jp-Repro-Compare-charts" ref={container}>
      <div
        className="jp-Repro-Compare-chartToolbar"
        role="group"
        aria-label={trans.__('Chart settings')}
      >
        <span className="jp-Repro-Compare-xAxis" role="radiogroup">
          {trans.__('x axis:')}
          <label>
            <input
              type="radio"
              name={`${group.current}-x`}
              checked={model.xAxis === 'step'}
              onChange={() => model.setXAxis('step')}
            />
            {trans.__('step')}
          </label>
          <label>
            <input
              type="radio"
              name={`${group.current}-x`}
              checked={model.xAxis === 'time'}
              onChange={() => model.setXAxis('time')}
            />
            {trans.__('wall time')}
          </label>
        </span>
        <label className="jp-Repro-Compare-logScale">
          <input
            type="checkbox"
            checked={model.logScale}
            onChange={e => model.setLogScale(e.target.checked)}
          />
          {trans.__('log scale')}
        </label>
        <label className="jp-Repro-Compare-smoothing">
          {trans.__('smoothing')}
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={model.smoothing}
            onChange={e => model.setSmoothing(Number(e.target.value))}
          />
          <output>{model.smoothing.toFixed(2)}</output>
        </label>
        <span className="jp-Repro-Compare-zoomHint">
          {trans.__('Ctrl+wheel zooms, drag pans')}
        </span>
      </div>
      <ul
        className="jp-Repro-Compare-legend"
        aria-label={trans.__('Runs in the charts')}
      >
        {reply.runs.map((run, i) => {
          const hidden = model.hidden.has(run.run_id);
          const label = labels.get(run.run_id) ?? run.run_id;
          return (
            <li key={run.run_id}>
              <button
                className={
                  'jp-Repro-Compare-legendItem' +
                  (hidden ? ' jp-mod-hidden' : '')
                }
                aria-pressed={!hidden}
                data-run-id={run.run_id}
                title={
                  hidden
                    ? trans.__('Show %1 in the charts', label)
                    : trans.__('Hide %1 in the charts', label)
                }
                onClick={() => model.toggleRun(run.run_id)}
              >
                <span
                  className="jp-Repro-Compare-swatch"
                  style={{
                    backgroundColor:
                      colors[i % Math.max(1, colors.length)] ??
                      `var(${SERIES_VARIABLES[i % SERIES_VARIABLES.length]})`
                  }}
                />
                <span className="jp-Repro-Compare-legendName">{label}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {error !== null && (
        <div className="jp-Repro-Compare-message" role="alert">
          {error}
        </div>
      )}
      {model.metrics === null && (
        <div className="jp-Repro-Compare-note">
          {trans.__('Reading metric histories…')}
        </div>
      )}
      {model.metrics !== null && metrics.length === 0 && (
        <div className="jp-Repro-Compare-note">
          {trans.__('No metric history to chart.')}
        </div>
      )}
      <div className="jp-Repro-Compare-chartGrid">
        {metrics.map(key => (
          <figure
            key={key}
            className="jp-Repro-Compare-figure"
            data-metric={key}
            data-kind={
              isSingleValue(reply.histories[key]) ? 'values' : 'history'
            }
          >
            <figcaption>
              <span className="jp-Repro-Compare-metricName">{key}</span>
              <span className="jp-Repro-Compare-direction">
                {direction(key) === 'min'
                  ? trans.__('lower is better')
                  : trans.__('higher is better')}
              </span>
              {isSingleValue(reply.histories[key]) && (
                <span className="jp-Repro-Compare-note">
                  {trans.__('logged once: one value per run')}
                </span>
              )}
              {model.logScale && !canLogScale(reply.histories[key]) && (
                <span className="jp-Repro-Compare-note">
                  {trans.__('no positive values: linear scale')}
                </span>
              )}
            </figcaption>
            <div className="jp-Repro-Compare-chart" ref={hostRef(key)} />
          </figure>
        ))}
      </div>
      {showParallel && (
        <figure className="jp-Repro-Compare-figure jp-mod-parallel">
          <figcaption>
            <span className="jp-Repro-Compare-metricName">
              {trans.__('Differing parameters →')}
            </span>
            <select
              className="jp-Repro-Compare-parallelMetric"
              aria-label={trans.__('Metric of the parallel coordinates')}
              value={parallelMetric ?? ''}
              onChange={e => model.setParallelMetric(e.target.value)}
            >
              {reply.metrics.map(row => (
                <option key={row.key} value={row.key}>
                  {row.key}
                </option>
              ))}
            </select>
          </figcaption>
          <div
            className="jp-Repro-Compare-chart jp-mod-parallel"
            ref={hostRef(PARALLEL)}
          />
        </figure>
      )}
    </div>
  );
}
