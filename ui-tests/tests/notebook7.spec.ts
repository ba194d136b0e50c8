/**
 * The Repro sidebar in Notebook 7: the tree page and the notebook page.
 *
 * Galata's defaults target JupyterLab (`/lab`, wait for the launcher); here
 * the pages are opened by URL and "ready" means Notebook 7's main panel is
 * there. Notebook 7 exposes `window.jupyterapp` because the server config
 * sets `JupyterNotebookApp.expose_app_in_browser`.
 */
import { expect, test as base } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

const test = base.extend({
  waitForApplication: async ({}, use) => {
    await use(async (page: Page) => {
      await page.locator('#main-panel').waitFor();
    });
  }
});

test.use({ autoGoto: false, appPath: '' });

async function openRepro(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('jupyterlab-repro:open');
  });
  await expect(
    page.locator('#jp-repro-sidebar.jp-Repro-Sidebar')
  ).toBeVisible();
}

test.describe('Repro sidebar in Notebook 7', () => {
  test('the tree page shows the repository of the listed folder', async ({
    page,
    baseURL
  }) => {
    await page.goto(`${baseURL}/tree/demo`);
    await expect(page.locator('#top-panel')).toBeAttached();
    expect(await page.evaluate(() => (window as any).jupyterapp.name)).toMatch(
      /Notebook/i
    );

    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText('main');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );
    await expect(status.locator('.jp-Repro-Status-path')).toContainText('demo');
  });

  test('the notebook page follows its notebook', async ({ page, baseURL }) => {
    await page.goto(`${baseURL}/notebooks/demo/train.ipynb`);
    await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor();

    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-path')).toContainText(
      'train.ipynb'
    );
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );
  });

  test('a notebook outside a repository offers initialization', async ({
    page,
    baseURL
  }) => {
    await page.goto(`${baseURL}/notebooks/scratch/untitled.ipynb`);
    await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor();

    await openRepro(page);
    await expect(page.locator('.jp-Repro-Status')).toHaveAttribute(
      'data-state',
      'not-repository'
    );
    await expect(page.locator('button.jp-Repro-Status-init')).toBeVisible();
  });
});
