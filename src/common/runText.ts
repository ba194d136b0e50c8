// What the runs panel and the compare view both say about a run: its status
// in words, and its MLflow link only when it is a web address.
import { TranslationBundle } from '@jupyterlab/translation';

/** An MLflow run status in words (an unknown status as it is). */
export function statusLabel(status: string, trans: TranslationBundle): string {
  switch (status) {
    case 'RUNNING':
      return trans.__('running');
    case 'SCHEDULED':
      return trans.__('scheduled');
    case 'FINISHED':
      return trans.__('finished');
    case 'FAILED':
      return trans.__('failed');
    case 'KILLED':
      return trans.__('killed');
    default:
      return String(status);
  }
}

/** `url` when it is an http(s) address, else null (never a `javascript:` link). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) {
    return null;
  }
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? url
      : null;
  } catch {
    return null;
  }
}
