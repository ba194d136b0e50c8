/**
 * Compare runs side by side with the code that changed between them, and
 * release one as an annotated tag (issue 13), in the lab:
 *
 * - two runs of the demo notebook, the second after a user edited `epochs`
 *   (saved before it ran, so it is a snapshot run): tick both in the Runs
 *   section, "Compare (2)" opens the comparison in the main area; the
 *   differing parameter is highlighted, the metric charts are drawn on a
 *   canvas, the code section shows the changed line and no output;
 * - "Release this run…" from the comparison tags the run, the Runs section
 *   shows the badge and the Releases section lists the tag;
 * - "Compare with…" from a run's context menu picks the other run.
 *
 * Hostile run names and parameter values are in hostile.spec.ts.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  demoRepository,
  editEpochs,
  repro,
  showRuns,
  SIDEBAR_ID
} from './support/repro';

// Written to the ignored ui-tests/screenshots/; `make screenshots` copies it
// into docs/images/ for the README.
const SCREENSHOT = path.resolve(__dirname, '..', 'screenshots', 'compare.png');

/** Run all cells and wait for the run to be listed (the nth, from 1). */
async function runAll(
  page: IJupyterLabPageFixture,
  expected: number
): Promise<void> {
  await page.notebook.run();
  const rows = page.locator('.jp-Repro-Runs .jp-Repro-Runs-run');
  await expect(rows).toHaveCount(expected, { timeout: 30000 });
  await expect(rows.first()).toHaveAttribute('data-status', 'FINISHED');
}

/** Two runs of the demo notebook: as committed, then with epochs 15 → 5. */
async function twoRuns(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<{ folder: string; name: string; notebook: string }> {
  const made = await demoRepository(page, tmpPath, 'compare');
  expect(await page.notebook.openByPath(made.notebook)).toBe(true);
  await page.notebook.activate(made.name);
  await showRuns(page);
  await expect(page.locator('.jp-Repro-Runs')).toHaveAttribute(
    'data-state',
    'empty'
  );
  await runAll(page, 1);
  await editEpochs(page, made.name, 5);
  await runAll(page, 2);
  return made;
}

test.describe('Compare runs', () => {
  test('two runs side by side: the differing param, charts, the changed line; release one @screenshot', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const { notebook } = await twoRuns(page, tmpPath);
    const section = page.locator('.jp-Repro-Runs');
    const checks = section.locator('input.jp-Repro-Runs-check');
    await expect(checks).toHaveCount(2);
    const runIds = await section
      .locator('.jp-Repro-Runs-run')
      .evaluateAll(rows =>
        rows.map(row => (row as HTMLElement).dataset.runId!)
      );
    expect(runIds).toHaveLength(2);

    // One ticked: the bar asks for another; two: "Compare (2)".
    await checks.nth(0).check();
    await expect(section.locator('.jp-Repro-Runs-selection')).toContainText(
      'Select another run to compare.'
    );
    await checks.nth(1).check();
    const compare = section.locator('button.jp-Repro-Runs-compare');
    await expect(compare).toHaveText('Compare (2)');
    await compare.click();

    const view = page.locator('.jp-Repro-CompareWidget:visible');
    await expect(view).toHaveCount(1);
    const content = view.locator('.jp-Repro-Compare');
    await expect(content).toHaveAttribute('data-state', 'ready', {
      timeout: 20000
    });
    await expect(content.locator('.jp-Repro-Compare-title')).toHaveText(
      'Comparing 2 runs'
    );
    await expect(
      content.locator('.jp-Repro-Compare-cards > *', {
        has: page.locator('.jp-Repro-Compare-baselineBadge')
      })
    ).toHaveCount(1);

    // Parameters: only the differing ones by default, epochs highlighted.
    const params = content.locator('.jp-Repro-Compare-params');
    const epochs = params.locator('tr[data-key="epochs"]');
    await expect(epochs).toHaveClass(/jp-mod-differs/);
    await expect(epochs).toContainText('15');
    await expect(epochs).toContainText('5');
    await expect(params.locator('tr[data-key="learning_rate"]')).toHaveCount(0);
    await params.locator('.jp-Repro-Compare-onlyDiff input').uncheck();
    await expect(params.locator('tr[data-key="learning_rate"]')).toHaveCount(1);
    await expect(
      params.locator('tr[data-key="learning_rate"]')
    ).not.toHaveClass(/jp-mod-differs/);

    // Metrics: a best value marked per row.
    const metrics = content.locator('.jp-Repro-Compare-metrics');
    await expect(
      metrics.locator('tr[data-key="val_accuracy"] .jp-Repro-Compare-best')
    ).toHaveCount(1);

    // Charts: the metric histories on a canvas, a legend entry per run.
    const charts = content.locator('.jp-Repro-Compare-charts');
    await expect(
      charts.locator('.jp-Repro-Compare-figure[data-metric="val_loss"] canvas')
    ).not.toHaveCount(0, { timeout: 20000 });
    await expect(
      charts.locator('.jp-Repro-Compare-legend [data-run-id]')
    ).toHaveCount(2);
    await expect(view).toHaveAttribute('data-repro-render-ms', /^\d+(\.\d+)?$/);

    // The code: the edited line, as text, and no outputs.
    const code = content.locator('.jp-Repro-Compare-codeSection');
    const cell = code.locator('.jp-Repro-Compare-cell[data-cell-id="model"]');
    await expect(cell).toHaveAttribute('data-status', 'modified');
    await expect(
      cell.locator('.cm-line', { hasText: '"epochs": 5,' })
    ).not.toHaveCount(0, { timeout: 15000 });
    await expect(
      cell.locator('.cm-line', { hasText: '"epochs": 15,' })
    ).not.toHaveCount(0);
    await expect(code.locator('img')).toHaveCount(0);
    await expect(code).not.toContainText('image/png');

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Release the edited run (the newest, the first row).
    const tag = `v0.1.${Date.now() % 100000}`;
    await content
      .locator(
        `.jp-Repro-Compare-cards [data-run-id="${runIds[0]}"] .jp-Repro-Compare-release`
      )
      .click();
    const dialog = page.locator('.jp-Dialog', {
      has: page.locator('input.jp-Repro-Release-name')
    });
    await expect(dialog).toBeVisible();
    // A name git refuses: the dialog says why and stays open.
    await dialog.locator('input.jp-Repro-Release-name').fill('HEAD');
    await dialog.getByRole('button', { name: 'Release' }).click();
    await expect(dialog.locator('.jp-Repro-Release-error')).not.toBeEmpty();
    await dialog.locator('input.jp-Repro-Release-name').fill(tag);
    await dialog
      .locator('.jp-Repro-Release-message')
      .fill('fewer epochs, same accuracy');
    await dialog.getByRole('button', { name: 'Release' }).click();
    await expect(dialog).toHaveCount(0);

    // The badge in the Runs section, the tag in the Releases section.
    const released = section.locator(
      `.jp-Repro-Runs-run[data-run-id="${runIds[0]}"] .jp-Repro-Runs-release`
    );
    await expect(released).toHaveText(`released ${tag}`, { timeout: 10000 });
    const titles = page.locator(`#${SIDEBAR_ID} .jp-AccordionPanel-title`);
    const releasesTitle = titles.filter({ hasText: /^Releases/ });
    if ((await releasesTitle.getAttribute('aria-expanded')) !== 'true') {
      await releasesTitle.click();
    }
    const item = page.locator(`.jp-Repro-Releases-item[data-tag="${tag}"]`);
    await expect(item).toHaveCount(1, { timeout: 10000 });
    await expect(item).toHaveAttribute('data-run-id', runIds[0]!);

    // The tag is annotated and its message names the run.
    const tags = await repro(
      page,
      'GET',
      `tags?path=${encodeURIComponent(notebook)}`
    );
    const made = (tags.tags as any[]).find(t => t.name === tag);
    expect(made.annotated).toBe(true);
    expect(made.release.run_id).toBe(runIds[0]);
  });

  test('"Compare with…" from a run\'s context menu', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    await twoRuns(page, tmpPath);
    const rows = page.locator('.jp-Repro-Runs .jp-Repro-Runs-run');
    const runIds = await rows.evaluateAll(items =>
      items.map(row => (row as HTMLElement).dataset.runId!)
    );
    await rows.first().click({ button: 'right' });
    await page.locator('.lm-Menu-item', { hasText: 'Compare with…' }).click();
    const picker = page.locator('.jp-Dialog .jp-Repro-Picker');
    await expect(picker).toBeVisible();
    const other = picker.locator(`[data-run-id="${runIds[1]}"] input`);
    await other.check();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Compare' })
      .click();
    const content = page.locator(
      '.jp-Repro-CompareWidget:visible .jp-Repro-Compare'
    );
    await expect(content).toHaveAttribute('data-state', 'ready', {
      timeout: 20000
    });
    await expect(
      content.locator('.jp-Repro-Compare-cards [data-run-id]')
    ).toHaveCount(2);
    // The run right-clicked is the baseline.
    await expect(
      content.locator(
        `.jp-Repro-Compare-cards [data-run-id="${runIds[0]}"] .jp-Repro-Compare-baselineBadge`
      )
    ).toHaveCount(1);
  });
});
