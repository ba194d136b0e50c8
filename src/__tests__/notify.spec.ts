/**
 * notify(): a notification keeps its full text (issue 23: toasts were cut at
 * JupyterLab's 140 characters, "…tagged the hidden snapshot commit 9…").
 */
import { Notification } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';

import { ReproRequestError } from '../common/api';
import {
  autoCloseOf,
  CommandFailure,
  notify,
  NOTIFICATION_MAX_LENGTH,
  shortenMessage
} from '../common/notify';
import { releaseMessage } from '../compare/release';

const trans = nullTranslator.load('jupyterlab_repro');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

describe('shortenMessage', () => {
  it('leaves a message that fits alone', () => {
    const text = 'x'.repeat(NOTIFICATION_MAX_LENGTH);
    expect(shortenMessage(text)).toBe(text);
  });

  it('cuts after the last whole sentence that fits, else at a word', () => {
    const first = 'Released run bright-fox-1 as tag v2.9.0 at commit 0ad64c7.';
    const text = `${first} The run had uncommitted or unsaved code: tagged the hidden snapshot commit 9f1e2d3; the tag keeps it reachable.`;
    const short = shortenMessage(text);
    expect(short.length).toBeLessThanOrEqual(NOTIFICATION_MAX_LENGTH);
    expect(short).toBe(`${first} The run had uncommitted or unsaved code:…`);
    const words = 'word '.repeat(60).trim();
    const cut = shortenMessage(words);
    expect(cut.length).toBeLessThanOrEqual(NOTIFICATION_MAX_LENGTH);
    expect(cut.endsWith('word…')).toBe(true);
    const one = 'y'.repeat(300);
    expect(shortenMessage(one)).toBe('y'.repeat(139) + '…');
  });
});

describe('notify', () => {
  beforeEach(() => Notification.dismiss());
  afterEach(() => {
    Notification.dismiss();
    document.querySelectorAll('.jp-Dialog').forEach(node => node.remove());
  });

  it('passes a short message as it is, with its actions', () => {
    const callback = jest.fn();
    notify({
      type: 'success',
      message: 'Committed ccccccc: exp: more trees',
      actions: [{ label: 'Open', callback }]
    });
    const [shown] = Notification.manager.notifications;
    expect(shown.message).toBe('Committed ccccccc: exp: more trees');
    expect(shown.type).toBe('success');
    // With an action it stays.
    expect(shown.options.autoClose).toBe(false);
    shown.options.actions![0].callback(new MouseEvent('click'));
    expect(callback).toHaveBeenCalled();
  });

  it('shows a long message cut at a sentence, and all of it behind "Show all"', async () => {
    const message = releaseMessage(
      {
        tag: 'v2.9.0',
        commit: '0ad64c7'.padEnd(40, '0'),
        code: '9f1e2d3'.padEnd(40, '0'),
        snapshot: true,
        model_card: true,
        message: ''
      },
      `bright-fox-1 ${HOSTILE}`,
      trans
    );
    expect(message.length).toBeGreaterThan(NOTIFICATION_MAX_LENGTH);
    notify({ type: 'success', message }, trans);
    const [shown] = Notification.manager.notifications;
    // What JupyterLab shows is never cut by JupyterLab.
    expect(shown.message.length).toBeLessThanOrEqual(NOTIFICATION_MAX_LENGTH);
    expect(shown.message.endsWith('…')).toBe(true);
    expect((shown.options.data as any).message).toBe(message);
    expect(shown.options.autoClose).toBe(false);
    const showAll = shown.options.actions!.find(a => a.label === 'Show all')!;
    const event = new MouseEvent('click', { cancelable: true });
    showAll.callback(event);
    // The notification stays while its text is read.
    expect(event.defaultPrevented).toBe(true);
    await flush();
    const full = document.querySelector('.jp-Dialog .jp-Repro-Notice-full')!;
    expect(full.textContent).toBe(message);
    expect(full.textContent).toContain(
      'tagged the hidden snapshot commit 9f1e2d3'
    );
    expect(full.querySelector('img')).toBeNull();
  });

  it('lets errors stay and other notices go', () => {
    expect(autoCloseOf({ type: 'error', message: 'x' })).toBe(false);
    expect(autoCloseOf({ type: 'warning', message: 'x' })).toBe(8000);
    expect(autoCloseOf({ type: 'info', message: 'x' })).toBe(5000);
    expect(autoCloseOf({ type: 'info', message: 'x', autoClose: 3000 })).toBe(
      3000
    );
  });
});

describe('CommandFailure', () => {
  it('keeps the status, reason and reply of what caused it', () => {
    const cause = new ReproRequestError('no remote', 400, 'invalid-request', {
      message: 'no remote',
      extra: 1
    });
    const failure = new CommandFailure('Cannot share: no remote', { cause });
    expect(failure).toBeInstanceOf(ReproRequestError);
    expect(failure.message).toBe('Cannot share: no remote');
    expect(failure.status).toBe(400);
    expect(failure.reason).toBe('invalid-request');
    expect(failure.body).toEqual({ message: 'no remote', extra: 1 });
    expect(failure.type).toBe('error');
    expect(new CommandFailure('local').status).toBe(0);
  });
});
