// The chart library, loaded with `import('./echarts')` when a comparison
// opens, so it is a chunk of its own that the lab fetches only then.
// Tree-shaken: ECharts' core with the line and parallel charts, the grid,
// tooltip and data-zoom components and the canvas renderer, nothing else
// (the legend is the view's own, as DOM text).
import { LineChart, ParallelChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  ParallelComponent,
  TooltipComponent
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

import type { ChartOption } from './chartOptions';

echarts.use([
  LineChart,
  ParallelChart,
  GridComponent,
  ParallelComponent,
  TooltipComponent,
  DataZoomComponent,
  CanvasRenderer
]);

/**
 * One chart on a host element.
 */
export interface IChart {
  /** Replace the whole option (nothing merged from the previous one). */
  setOption(option: ChartOption): void;
  resize(): void;
  /** Call `listener` once, after the next frame has finished rendering. */
  onceFinished(listener: () => void): void;
  /** Link the tooltips and axis pointers of the charts of one group. */
  setGroup(group: string): void;
  dispose(): void;
}

/**
 * A canvas chart in `node`.
 */
export function createChart(node: HTMLElement): IChart {
  const chart = echarts.init(node, null, { renderer: 'canvas' });
  return {
    setOption: option => chart.setOption(option, { notMerge: true }),
    resize: () => chart.resize(),
    onceFinished: listener => {
      const handler = () => {
        chart.off('finished', handler);
        listener();
      };
      chart.on('finished', handler);
    },
    setGroup: group => {
      chart.group = group;
      echarts.connect(group);
    },
    dispose: () => chart.dispose()
  };
}
