import { URLExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';

import { INotice } from '../common/notify';
import { compareUrlQuery } from './commands';
import { ICompareArgs } from './model';

/**
 * The JupyterLab page that opens the comparison `args` (its
 * `repro-compare` query runs the compare-from-url command).
 */
export function compareLabUrl(baseUrl: string, args: ICompareArgs): string {
  return URLExt.join(baseUrl, 'lab') + '?' + compareUrlQuery(args);
}

/**
 * What Notebook 7 (one document per page) says when a comparison cannot
 * open: an action opens it in JupyterLab, in a new tab.
 */
export function comparisonInLabNotice(
  args: ICompareArgs,
  trans: TranslationBundle,
  options: { baseUrl: string; open: (url: string) => void }
): INotice {
  const url = compareLabUrl(options.baseUrl, args);
  return {
    type: 'info',
    message: trans.__(
      'This page shows one document: the comparison opens in JupyterLab.'
    ),
    actions: [
      {
        label: trans.__('Open in JupyterLab'),
        callback: () => options.open(url)
      }
    ]
  };
}
