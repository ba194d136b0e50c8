// The list of plugins: the core plugin (the sidebar model, IReproModel),
// the sidebar (IReproSidebar) and one plugin per feature. Each feature's
// plugin.ts wires it; no logic lives here.
import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { commitPlugin } from './commit';
import { comparePlugin, releasePlugin } from './compare';
import { exportPlugin } from './export';
import { historyPlugin } from './history';
import { reproducePlugin } from './reproduce';
import { runsPlugin } from './runs';
import { corePlugin, sidebarPlugin } from './status';

export {
  IExportTargets,
  IReproductions,
  IReproModel,
  IReproRuns,
  IReproSidebar
} from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  corePlugin,
  sidebarPlugin,
  exportPlugin,
  commitPlugin,
  runsPlugin,
  comparePlugin,
  releasePlugin,
  historyPlugin,
  reproducePlugin
];

export default plugins;
