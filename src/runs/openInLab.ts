import { URLExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';

import { INotice } from '../common/notify';

/** JupyterLab's page of the notebook at `path` (a server path). */
export function labTreeUrl(baseUrl: string, path: string): string {
  return URLExt.join(baseUrl, 'lab', 'tree', URLExt.encodeParts(path));
}

/**
 * What Notebook 7 (one document per page) says when the runs table of
 * `path` cannot open: an action opens the notebook in JupyterLab, in a new
 * tab.
 */
export function runsTableInLabNotice(
  path: string,
  trans: TranslationBundle,
  options: { baseUrl: string; open: (url: string) => void }
): INotice {
  return {
    type: 'info',
    message: trans.__(
      'This page shows one document: open the runs table of %1 in JupyterLab.',
      path
    ),
    autoClose: false,
    actions: [
      {
        label: trans.__('Open JupyterLab'),
        callback: () => options.open(labTreeUrl(options.baseUrl, path))
      }
    ]
  };
}
