/**
 * "Snapshot & commit" in the Repro sidebar: the output-blind diff preview,
 * committing a notebook without its outputs while the open notebook keeps
 * them, and the entry points (toolbar button, file-browser context menu).
 *
 * Specs that commit work in a repository of their own, created through the
 * UI in Galata's per-test folder, so they never change `demo/` and run in
 * any order.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

const SIDEBAR_ID = 'jp-repro-sidebar';
const DEMO_NOTEBOOK = path.resolve(
  __dirname,
  '..',
  '..',
  'demo',
  'train.ipynb'
);
// The printed text never appears in the cell's source, so finding it in the
// diff would mean outputs leaked into it.
const OUTPUT_SOURCE = 'print("snap" + "shot-" + "output-" + "marker")';
const OUTPUT_TEXT = 'snapshot-output-marker';
// The parameter the spec changes, as the demo notebook sets it.
const EPOCHS = Number(
  /"epochs\\": (\d+),/.exec(fs.readFileSync(DEMO_NOTEBOOK, 'utf-8'))?.[1] ?? NaN
);

async function openRepro(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(SIDEBAR_ID);
  await expect(page.locator(`#${SIDEBAR_ID}.jp-Repro-Sidebar`)).toBeVisible();
}

async function openNotebook(
  page: IJupyterLabPageFixture,
  notebook: string
): Promise<void> {
  // Galata opens files through the file browser, which shares the left area.
  await page.sidebar.openTab('filebrowser');
  await expect(page.locator('#filebrowser')).toBeVisible();
  expect(await page.notebook.openByPath(notebook)).toBe(true);
}

function unique(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * A folder holding the demo notebook, made a repository with the sidebar's
 * init button (it commits only the ML .gitignore).
 */
async function makeRepository(
  page: IJupyterLabPageFixture,
  folder: string
): Promise<void> {
  const notebook = fs.readFileSync(DEMO_NOTEBOOK, 'utf-8');
  expect(
    await page.contents.uploadContent(notebook, 'text', `${folder}/train.ipynb`)
  ).toBe(true);
  await page.filebrowser.openDirectory(folder);
  await openRepro(page);
  const status = page.locator('.jp-Repro-Status');
  await expect(status).toHaveAttribute('data-state', 'not-repository');
  await expect(page.locator('.jp-Repro-Snapshot')).toHaveAttribute(
    'data-state',
    'not-repository'
  );
  await page.locator('button.jp-Repro-Status-init').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.getByRole('button', { name: 'Initialize' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
    'chore: initialize repository'
  );
}

test.describe('Snapshot & commit', () => {
  test('commits the source change without outputs and leaves the open notebook alone', async ({
    page,
    tmpPath
  }) => {
    // Two commits, a kernel, a cell run and saves: more than the default
    // minute on a loaded two-core machine.
    test.setTimeout(180000);
    expect(EPOCHS).toBeGreaterThan(0);
    const id = unique();
    const folder = `${tmpPath}/snap-${id}`;
    await makeRepository(page, folder);

    const status = page.locator('.jp-Repro-Status');
    const section = page.locator('.jp-Repro-Snapshot');
    const message = page.locator('input.jp-Repro-Snapshot-message');
    const commit = page.locator('button.jp-Repro-Snapshot-commit');
    const row = section.locator(
      '.jp-Repro-Snapshot-file[data-path="train.ipynb"]'
    );

    await openNotebook(page, `${folder}/train.ipynb`);
    await page.notebook.activate('train.ipynb');

    // The toolbar button with no message yet: opens the form, focuses it.
    const button = page.locator(
      '.jp-NotebookPanel-toolbar [data-jp-item-name="repro-snapshot"]'
    );
    await expect(button).toBeVisible();
    await button.click();
    await expect(page.locator(`#${SIDEBAR_ID}`)).toBeVisible();
    await expect(message).toBeFocused();

    // 1. Baseline: the new notebook, committed as it is.
    await expect(section).toHaveAttribute('data-state', 'ready');
    await expect(row).toHaveAttribute('data-classification', 'source');
    // No message yet: enabled, and a click says why nothing happens.
    await expect(commit).toBeEnabled();
    await commit.click();
    await expect(message).toHaveAttribute('aria-invalid', 'true');
    await message.fill(`baseline ${id}`);
    await expect(message).not.toHaveAttribute('aria-invalid', 'true');
    await commit.click();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      `exp: baseline ${id}`
    );
    // Saving may have rewritten what cleaning removes anyway: no source change left.
    await expect(
      section.locator(
        '.jp-Repro-Snapshot-file[data-path="train.ipynb"][data-classification="source"]'
      )
    ).toHaveCount(0);

    // 2. Run a cell (an output), change a parameter, save.
    await page.notebook.activate('train.ipynb');
    await page.notebook.addCell('code', OUTPUT_SOURCE);
    const last =
      (await page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell').count()) -
      1;
    await page.notebook.runCell(last);
    const outputs = page.locator('.jp-NotebookPanel .jp-OutputArea-output');
    await expect(outputs.filter({ hasText: OUTPUT_TEXT })).toHaveCount(1);
    const outputCount = await outputs.count();

    // Edit like a user: click the parameter's line, retype its value.
    const before = `"epochs": ${EPOCHS},`;
    const after = `"epochs": ${EPOCHS + 15},`;
    const cells = page.locator('.jp-NotebookPanel .jp-Cell');
    await cells.locator('.cm-line', { hasText: before }).click();
    await page.keyboard.press('End');
    for (let i = 0; i < `${EPOCHS},`.length; i++) {
      await page.keyboard.press('Backspace');
    }
    await page.keyboard.type(`${EPOCHS + 15},`);
    await page.keyboard.press('Escape');
    await expect(cells.locator('.cm-line', { hasText: after })).toHaveCount(1);
    expect(await page.notebook.save()).toBe(true);

    // 3. The preview shows the source change, never the output.
    await openRepro(page);
    await expect(row).toHaveAttribute('data-classification', 'source');
    const diff = section.locator('.jp-Repro-Snapshot-diff');
    await expect(diff.locator('.cm-content')).toContainText(`+    ${after}`);
    await expect(diff).toContainText(`-    ${before}`);
    await expect(diff).toContainText('"snap" + "shot-"');
    await expect(diff).not.toContainText(OUTPUT_TEXT);
    await expect(section.locator('select.jp-Repro-Snapshot-type')).toHaveValue(
      'exp'
    );
    await expect(
      section.locator('input.jp-Repro-Snapshot-clearOutputs')
    ).not.toBeChecked();

    // 4. Enter in the message commits.
    await message.fill(`more trees ${id}`);
    await message.press('Enter');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      `exp: more trees ${id}`
    );
    await expect(section.locator('.jp-Repro-Snapshot-result')).toContainText(
      `exp: more trees ${id}`
    );
    await expect(message).toHaveValue('');

    // The open notebook keeps its outputs; the commit has none (what is
    // left in the working copy is outputs only).
    await expect(outputs).toHaveCount(outputCount);
    await expect(outputs.filter({ hasText: OUTPUT_TEXT })).toHaveCount(1);
    await expect(row).toHaveAttribute('data-classification', 'outputs-only');
    await expect(section).toHaveAttribute('data-state', 'ready');
  });

  test('tags and branches a snapshot from "More options"', async ({
    page,
    tmpPath
  }) => {
    const id = unique();
    const folder = `${tmpPath}/tagged-${id}`;
    await makeRepository(page, folder);
    await openNotebook(page, `${folder}/train.ipynb`);
    await openRepro(page);

    const section = page.locator('.jp-Repro-Snapshot');
    await expect(section).toHaveAttribute('data-state', 'ready');
    await section.locator('select.jp-Repro-Snapshot-type').selectOption('feat');
    await section
      .locator('input.jp-Repro-Snapshot-message')
      .fill(`tagged ${id}`);
    await section.locator('.jp-Repro-Snapshot-more > summary').click();
    await section.locator('input.jp-Repro-Snapshot-tag').fill(`exp-${id}`);
    await section.locator('input.jp-Repro-Snapshot-branch').fill(`try-${id}`);
    await section.locator('button.jp-Repro-Snapshot-commit').click();

    const status = page.locator('.jp-Repro-Status');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      `feat: tagged ${id}`
    );
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText(
      `exp/try-${id}`
    );
    await expect(section.locator('input.jp-Repro-Snapshot-tag')).toHaveValue(
      ''
    );
  });

  test('the file-browser context menu opens the form for a notebook', async ({
    page
  }) => {
    // Reads demo/ only: nothing is committed.
    await page.filebrowser.openDirectory('demo');
    await page
      .locator('.jp-DirListing-item[data-file-type="notebook"]', {
        hasText: 'train.ipynb'
      })
      .click({ button: 'right' });
    const item = page.locator('.lm-Menu-item', {
      hasText: 'Snapshot & Commit Notebook…'
    });
    await expect(item).toBeVisible();
    await item.click();

    await expect(page.locator(`#${SIDEBAR_ID}`)).toBeVisible();
    await expect(page.locator('.jp-Repro-Status-path')).toContainText(
      'train.ipynb'
    );
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(section).toHaveAttribute('data-state', 'ready');
    await expect(
      section.locator('input.jp-Repro-Snapshot-message')
    ).toBeFocused();
    await expect(section.locator('.jp-Repro-Snapshot-preview')).toContainText(
      'train.ipynb'
    );
    // No message yet: the button explains instead of committing.
    await expect(section.locator('.jp-Repro-Snapshot-hint')).toHaveCount(0);
    await section.locator('button.jp-Repro-Snapshot-commit').click();
    await expect(section.locator('.jp-Repro-Snapshot-hint')).toBeVisible();
  });
});
