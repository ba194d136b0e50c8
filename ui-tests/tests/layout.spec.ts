/**
 * The Repro sidebar at JupyterLab's default left-area width (1280×800):
 * the Repository section is compact with the HEAD subject in full on hover,
 * the snapshot button is in view, no section reopens 0 px tall after it was
 * collapsed and the page reloaded, labels do not wrap; after a commit the
 * header and the snapshot section agree on "outputs only"; an empty message
 * says why nothing happened; the export notification, which has an action,
 * stays until dismissed.
 *
 * Specs that commit work in a repository of their own in Galata's per-test
 * folder; `demo/` is only read.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { openRepro, SIDEBAR_ID } from './support/repro';

const DEMO_NOTEBOOK = path.resolve(
  __dirname,
  '..',
  '..',
  'demo',
  'train.ipynb'
);
const SUBJECT = 'feat: sample training notebook';

async function openNotebook(
  page: IJupyterLabPageFixture,
  notebook: string
): Promise<void> {
  await page.sidebar.openTab('filebrowser');
  await expect(page.locator('#filebrowser')).toBeVisible();
  expect(await page.notebook.openByPath(notebook)).toBe(true);
}

function sectionTitle(page: IJupyterLabPageFixture, name: string | RegExp) {
  return page
    .locator(`#${SIDEBAR_ID} .jp-AccordionPanel-title`)
    .filter({ hasText: name });
}

/** The element lies inside the visible part of its sidebar section. */
async function inSectionView(
  page: IJupyterLabPageFixture,
  selector: string,
  section: string
): Promise<boolean> {
  return page.evaluate(
    ([target, host]) => {
      const element = document.querySelector(target);
      const container = document.querySelector(host);
      if (!element || !container) {
        return false;
      }
      const box = element.getBoundingClientRect();
      const view = container.getBoundingClientRect();
      return (
        box.height > 0 &&
        box.top >= view.top - 1 &&
        box.bottom <= view.bottom + 1 &&
        box.bottom <= window.innerHeight
      );
    },
    [selector, section]
  );
}

/**
 * A folder holding the demo notebook, made a repository by the server (its
 * first commit holds the ML .gitignore only).
 */
async function makeRepository(
  page: IJupyterLabPageFixture,
  folder: string
): Promise<string> {
  const notebook = `${folder}/train.ipynb`;
  expect(
    await page.contents.uploadContent(
      fs.readFileSync(DEMO_NOTEBOOK, 'utf-8'),
      'text',
      notebook
    )
  ).toBe(true);
  const response = await page.request.post('/jupyterlab-repro/init', {
    data: { path: folder }
  });
  expect(response.ok(), await response.text()).toBe(true);
  return notebook;
}

test.describe('Sidebar layout at the default width', () => {
  test('compact repository facts, the snapshot button in view, labels on one line', async ({
    page
  }) => {
    await openNotebook(page, 'demo/train.ipynb');
    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'ready');

    // The header names the repository's folder, not '/'.
    await expect(status.locator('.jp-Repro-Status-repoName')).toHaveText(
      'demo'
    );
    await expect(status.locator('.jp-Repro-Status-path')).toHaveText(
      'demo/train.ipynb'
    );

    // The HEAD subject: visible in full, or in full on hover.
    const subject = status.locator('.jp-Repro-Status-headSubject');
    await expect(subject).toHaveText(SUBJECT);
    const cut = await subject.evaluate(
      element => element.scrollWidth > element.clientWidth
    );
    if (cut) {
      expect(await subject.getAttribute('title')).toContain(SUBJECT);
    }
    // One line per fact.
    const rows = status.locator('.jp-Repro-Status-row');
    for (let i = 0; i < (await rows.count()); i++) {
      const box = await rows.nth(i).boundingBox();
      expect(box!.height).toBeLessThan(26);
    }
    // The Repository section is sized by its content.
    const section = page.locator('.jp-Repro-StatusSection');
    const sectionBox = await section.boundingBox();
    const contentBox = await status.boundingBox();
    expect(sectionBox!.height).toBeLessThanOrEqual(contentBox!.height + 2);

    // The snapshot button is in view, without scrolling.
    await expect(page.locator('.jp-Repro-Snapshot')).toHaveAttribute(
      'data-state',
      'ready'
    );
    await expect(page.locator('button.jp-Repro-Snapshot-commit')).toBeVisible();
    expect(
      await inSectionView(
        page,
        'button.jp-Repro-Snapshot-commit',
        '.jp-Repro-SnapshotSection'
      )
    ).toBe(true);

    // "New branch" on one line, like "Tag".
    await page.locator('.jp-Repro-Snapshot-more > summary').click();
    const fields = page.locator(
      '.jp-Repro-Snapshot-more .jp-Repro-Snapshot-field > span:first-child'
    );
    const tag = await fields.filter({ hasText: 'Tag' }).boundingBox();
    const branch = await fields.filter({ hasText: 'New branch' }).boundingBox();
    expect(branch!.height).toBeLessThanOrEqual(tag!.height + 1);
  });

  test('no section reopens 0 px tall after it was collapsed and the page reloaded', async ({
    page
  }) => {
    await openNotebook(page, 'demo/train.ipynb');
    await openRepro(page);
    const snapshotTitle = sectionTitle(page, 'Snapshot & commit');
    await expect(snapshotTitle).toHaveAttribute('aria-expanded', 'true');
    await snapshotTitle.click();
    await expect(snapshotTitle).toHaveAttribute('aria-expanded', 'false');

    // The restored layout shows the Repro panel, not the file browser that
    // Galata's readiness check waits for.
    await page.reload({ waitForIsReady: false });
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 30000
    });
    await openRepro(page);
    const title = sectionTitle(page, 'Snapshot & commit');
    if ((await title.getAttribute('aria-expanded')) !== 'true') {
      await title.click();
    }
    await expect(title).toHaveAttribute('aria-expanded', 'true');
    const section = page.locator('.jp-Repro-SnapshotSection');
    await expect(section).toBeVisible();
    await expect
      .poll(async () => (await section.boundingBox())?.height ?? 0)
      .toBeGreaterThan(100);
    // Every expanded section has room.
    const sections = page.locator(
      `#${SIDEBAR_ID} .jp-AccordionPanel > .lm-Widget:not(.lm-mod-hidden):not(.jp-AccordionPanel-title)`
    );
    for (let i = 0; i < (await sections.count()); i++) {
      const box = await sections.nth(i).boundingBox();
      expect(box!.height).toBeGreaterThan(40);
    }
  });
});

test.describe('Feedback after a commit and for no-ops', () => {
  test('after a commit the header and the snapshot section agree on outputs only; an empty message says why', async ({
    page,
    tmpPath
  }) => {
    const folder = `${tmpPath}/layout-${Date.now().toString(36)}`;
    const notebook = await makeRepository(page, folder);
    await openNotebook(page, notebook);
    await page.notebook.activate('train.ipynb');
    await openRepro(page);

    const status = page.locator('.jp-Repro-Status');
    const section = page.locator('.jp-Repro-Snapshot');
    const message = page.locator('input.jp-Repro-Snapshot-message');
    const commit = page.locator('button.jp-Repro-Snapshot-commit');
    await expect(section).toHaveAttribute('data-state', 'ready');
    await expect(
      section.locator('.jp-Repro-Snapshot-file[data-path="train.ipynb"]')
    ).toHaveAttribute('data-classification', 'source');

    // Empty message: the field says why nothing happened.
    await commit.click();
    const hint = section.locator('.jp-Repro-Snapshot-hint');
    await expect(hint).toBeVisible();
    await expect(hint).toContainText('commit message');
    await expect(message).toHaveAttribute('aria-invalid', 'true');
    await message.press('Enter');
    await expect(hint).toBeVisible();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'chore: initialize repository'
    );
    await message.fill('baseline');
    await expect(hint).toHaveCount(0);
    await expect(message).not.toHaveAttribute('aria-invalid', 'true');

    // A cell with an output, then the snapshot: the file keeps the output.
    await page.notebook.addCell('code', 'print("only" + " an output")');
    const last =
      (await page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell').count()) -
      1;
    await page.notebook.runCell(last);
    await expect(
      page.locator('.jp-NotebookPanel .jp-OutputArea-output', {
        hasText: 'only an output'
      })
    ).toHaveCount(1);
    await commit.click();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'exp: baseline'
    );

    // Now only outputs differ from the commit: both places say so.
    const row = section.locator(
      '.jp-Repro-Snapshot-file[data-path="train.ipynb"]'
    );
    await expect(row).toHaveAttribute('data-classification', 'outputs-only');
    await expect(row.locator('.jp-Repro-Snapshot-badge')).toHaveText(
      'outputs only'
    );
    const changes = status.locator('.jp-Repro-Status-changes');
    await expect(changes).toHaveText('outputs only (1 notebook)');
    await expect(changes).not.toHaveClass(/jp-mod-dirty/);
    await expect(status.locator('.jp-Repro-Status-fileState')).toHaveText(
      'outputs only'
    );

    // Nothing to commit: it says so.
    await message.fill('again');
    await commit.click();
    await expect(section.locator('.jp-Repro-Snapshot-result')).toContainText(
      'Nothing to commit'
    );
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'exp: baseline'
    );
  });

  test('the export notification with its "Open" action stays until dismissed', async ({
    page,
    tmpPath
  }) => {
    const notebook = `${tmpPath}/train.ipynb`;
    expect(
      await page.contents.uploadContent(
        fs.readFileSync(DEMO_NOTEBOOK, 'utf-8'),
        'text',
        notebook
      )
    ).toBe(true);
    await openNotebook(page, notebook);
    await page.notebook.activate('train.ipynb');
    await page
      .locator('.jp-NotebookPanel-toolbar [data-jp-item-name="repro-export"]')
      .click();
    const dialog = page.locator('.jp-Dialog.jp-Repro-ExportDialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('.jp-Dialog-footer .jp-mod-accept').click();
    await expect(dialog).toHaveCount(0);

    const toast = page.locator('.jp-Notification-Toast-success', {
      hasText: 'train.py'
    });
    await expect(toast).toBeVisible();
    await page.waitForTimeout(10000);
    await expect(toast).toBeVisible();
    const open = toast.getByRole('button', { name: 'Open' });
    await expect(open).toBeVisible();
    await open.click();
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: 'train.py'
      })
    ).toHaveCount(1);
  });
});
