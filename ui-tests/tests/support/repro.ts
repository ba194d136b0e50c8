/**
 * What several specs do the same way: call the server extension, put the
 * demo notebook in a repository of its own, open the Repro sidebar's
 * sections, edit a line of a cell like a user.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

export const SIDEBAR_ID = 'jp-repro-sidebar';

/** demo/train.ipynb, as the specs upload it. */
export const DEMO = fs.readFileSync(
  path.resolve(__dirname, '..', '..', '..', 'demo', 'train.ipynb'),
  'utf-8'
);

/** The hyperparameter line of the demo notebook's `model` cell. */
export const PARAM_LINE = '"epochs": 15,';

export function unique(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Call the server extension (no XSRF check under Galata's test config). */
export async function repro(
  page: IJupyterLabPageFixture,
  method: 'GET' | 'POST',
  endpoint: string,
  data?: unknown
): Promise<any> {
  const response = await page.request.fetch(`/jupyterlab-repro/${endpoint}`, {
    method,
    data
  });
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

/**
 * The demo notebook under a name of its own, committed in a new repository
 * in the test's folder.
 */
export async function demoRepository(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  prefix = 'live'
): Promise<{ folder: string; name: string; notebook: string }> {
  const id = unique();
  const folder = `${tmpPath}/${prefix}-${id}`;
  const name = `train-${id}.ipynb`;
  const notebook = `${folder}/${name}`;
  expect(await page.contents.uploadContent(DEMO, 'text', notebook)).toBe(true);
  await repro(page, 'POST', 'init', { path: folder });
  await repro(page, 'POST', 'snapshot', {
    path: notebook,
    message: 'sample training notebook',
    type: 'feat'
  });
  return { folder, name, notebook };
}

export async function openRepro(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(SIDEBAR_ID);
  await expect(page.locator(`#${SIDEBAR_ID}.jp-Repro-Sidebar`)).toBeVisible();
}

/** Expand the Runs section (and fold "Snapshot & commit" to make room). */
export async function showRuns(page: IJupyterLabPageFixture): Promise<void> {
  await openRepro(page);
  const titles = page.locator(`#${SIDEBAR_ID} .jp-AccordionPanel-title`);
  const snapshot = titles.filter({ hasText: 'Snapshot & commit' });
  if ((await snapshot.getAttribute('aria-expanded')) === 'true') {
    await snapshot.click();
  }
  const runs = titles.filter({ hasText: /^Runs/ });
  if ((await runs.getAttribute('aria-expanded')) !== 'true') {
    await runs.click();
  }
  await expect(page.locator('.jp-Repro-Runs')).toBeVisible();
}

/**
 * Change the demo notebook's `epochs` like a user: click its line in the
 * open notebook, replace `15,` with `value,`. Nothing is saved.
 */
export async function editEpochs(
  page: IJupyterLabPageFixture,
  name: string,
  value: number,
  from = 15
): Promise<void> {
  const line = page.locator('.jp-NotebookPanel:visible .jp-Cell .cm-line', {
    hasText: `"epochs": ${from},`
  });
  await line.click();
  await page.keyboard.press('End');
  for (let i = 0; i < `${from},`.length; i++) {
    await page.keyboard.press('Backspace');
  }
  await page.keyboard.type(`${value},`);
  await page.keyboard.press('Escape');
  await expect(
    page.locator('.jp-NotebookPanel:visible .jp-Cell .cm-line', {
      hasText: `"epochs": ${value},`
    })
  ).toHaveCount(1);
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty', {
      hasText: name
    })
  ).toHaveCount(1);
}
