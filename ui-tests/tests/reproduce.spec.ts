/**
 * Reproduce a run (issue 24), in the lab, as a user does it:
 *
 * - the demo notebook (demo/train.ipynb: scikit-learn's MLPClassifier with
 *   `random_state=42`, a seeded split, on a CPU) in a repository of its own
 *   runs once: its run is listed in the Runs section;
 * - right-click the run → "Reproduce…" (the context menu item), the dialog
 *   opens with the run's id, "Reproduce";
 * - the Reproductions view opens in the main area: the job runs (cell i of
 *   n, the running cell's first line), then its verdict: `exact` or
 *   `within-tolerance` (the same seeded code on the same machine), the
 *   metrics recorded against reproduced;
 * - a notification says so; the run's row in the Runs section gets the badge
 *   "reproduced: exact" (or "within tolerance"), and the reproduction is
 *   listed as a run of its own, marked "reproduction";
 * - "Compare with its reproduction" in the run's details opens the
 *   comparison of the two runs (two cards, the original the baseline).
 *
 * The reproduction runs a real kernel (nbclient) in a temporary work tree:
 * every wait is an expectation with a generous timeout, never a sleep.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

import { demoRepository, repro, showRuns, SIDEBAR_ID } from './support/repro';

// Written to the ignored ui-tests/screenshots/; `make screenshots` copies
// them into docs/images/ (the docs pick them up by name).
const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

/** A reproduction starts a kernel and trains again: allow for a slow machine. */
const REPRODUCTION_TIMEOUT = 120000;

test.describe('Reproduce a run', () => {
  test('right-click → Reproduce…: progress, the verdict, the badge, the comparison @screenshot', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(300000);
    const { notebook, name } = await demoRepository(page, tmpPath, 'reproduce');
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await showRuns(page);
    const section = page.locator('.jp-Repro-Runs');
    await expect(section).toHaveAttribute('data-state', 'empty');

    // One run of the notebook, listed as soon as the kernel is done.
    await page.notebook.run();
    const rows = section.locator('.jp-Repro-Runs-run');
    await expect(rows).toHaveCount(1, { timeout: 60000 });
    await expect(rows.first()).toHaveAttribute('data-status', 'FINISHED');
    const runId = (await rows.first().getAttribute('data-run-id'))!;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    const row = section.locator(`.jp-Repro-Runs-run[data-run-id="${runId}"]`);

    // Right-click the run → "Reproduce…": the dialog names the run.
    await row.click({ button: 'right' });
    const item = page.locator('.lm-Menu-item', { hasText: 'Reproduce…' });
    await expect(item).toBeVisible();
    await expect(item).not.toHaveClass(/lm-mod-disabled/);
    await item.click();
    const dialog = page.locator('.jp-Dialog', {
      has: page.locator('.jp-Repro-ReproduceForm')
    });
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText(
      'Reproduce the run'
    );
    await expect(dialog.locator('.jp-Repro-Reproduce-run')).toHaveText(
      `Run: ${runId.slice(0, 8)}`
    );
    await expect(dialog.locator('input.jp-Repro-Reproduce-rtol')).toHaveValue(
      '1e-9'
    );
    await dialog.getByRole('button', { name: 'Reproduce' }).click();
    await expect(dialog).toHaveCount(0);

    // The Reproductions view: the job, running, then cell i of n.
    const view = page.locator('.jp-Repro-ReproduceWidget:visible');
    await expect(view).toHaveCount(1);
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current', {
        hasText: 'Reproductions'
      })
    ).toHaveCount(1);
    const job = view.locator('.jp-Repro-Reproduce-job');
    await expect(job).toHaveCount(1);
    const started = Date.now();
    await expect(job.locator('.jp-Repro-Reproduce-title')).toContainText(
      runId.slice(0, 8)
    );
    await expect(job.locator('.jp-Repro-Reproduce-plan')).toContainText(name);
    const progress = job.locator('.jp-Repro-Reproduce-progress');
    await expect(progress).toContainText(/^cell \d+ of \d+ \(notebook cell/, {
      timeout: REPRODUCTION_TIMEOUT
    });
    await expect(job.locator('.jp-Repro-Reproduce-cancel')).toBeEnabled();

    // The verdict: the same seeded code on the same machine comes back.
    const badge = job.locator('.jp-Repro-VerdictBadge');
    await expect(badge).toHaveCount(1, { timeout: REPRODUCTION_TIMEOUT });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    test.info().annotations.push({
      type: 'reproduction',
      description: `verdict after ${seconds} s`
    });
    await expect(job).toHaveClass(/jp-mod-finished/);
    await expect(badge).toHaveClass(/jp-mod-(exact|within-tolerance)/);
    const verdict = (await badge.getAttribute('title'))!;
    expect(['exact', 'within-tolerance']).toContain(verdict);
    await expect(badge).toHaveText(
      verdict === 'exact' ? 'reproduced exactly' : 'within tolerance'
    );
    await expect(progress).toHaveCount(0);
    await expect(job.locator('.jp-Repro-Reproduce-failure')).toHaveCount(0);
    await expect(job.locator('.jp-Repro-Reproduce-cancel')).toHaveCount(0);
    // Every metric the run logged, recorded against reproduced.
    const metrics = job.locator('.jp-Repro-Reproduce-metrics tbody tr');
    await expect(metrics).toHaveCount(4);
    for (const key of ['accuracy', 'loss', 'val_accuracy', 'val_loss']) {
      await expect(
        metrics.filter({ has: page.locator(`td:text-is("${key}")`) })
      ).toHaveClass(/jp-mod-(exact|within)/);
    }
    // The notification says the verdict and offers the comparison.
    const toast = page.locator('.jp-Notification-Toast-success', {
      hasText: 'Reproduction of'
    });
    await expect(toast).toContainText(
      verdict === 'exact' ? 'reproduced exactly' : 'within tolerance'
    );
    await expect(toast.getByRole('button', { name: 'Compare' })).toHaveCount(1);

    // The server agrees, and names the reproduction's run.
    const reply = await repro(page, 'GET', 'runs/reproduce');
    const done = (reply.jobs as any[]).find(j => j.run_id === runId);
    expect(done.state).toBe('finished');
    expect(done.verdict.verdict).toBe(verdict);
    const reproductionId = done.reproduction_run_id as string;
    expect(reproductionId).toMatch(/^[0-9a-f]{32}$/);
    await expect(job.locator('.jp-Repro-Reproduce-compare')).toBeVisible();

    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({
      path: path.join(SCREENSHOTS, 'reproduce-verdict.png')
    });

    // The Runs section: the run's badge, and the reproduction as a run.
    const reproduced = row.locator('.jp-Repro-Runs-badge.jp-mod-reproduced');
    await expect(reproduced).toHaveText(
      verdict === 'exact'
        ? 'reproduced: exact'
        : 'reproduced: within tolerance',
      { timeout: 30000 }
    );
    await expect(reproduced).toHaveClass(
      new RegExp(`jp-mod-verdict-${verdict}`)
    );
    const reproduction = section.locator(
      `.jp-Repro-Runs-run[data-run-id="${reproductionId}"]`
    );
    await expect(reproduction).toHaveCount(1, { timeout: 30000 });
    await expect(
      reproduction.locator('.jp-Repro-Runs-badge.jp-mod-reproduction')
    ).toHaveText('reproduction');
    await page
      .locator(`#${SIDEBAR_ID}`)
      .screenshot({ path: path.join(SCREENSHOTS, 'runs-verdict-badge.png') });

    // Its details: "Compare with its reproduction" opens both runs side by side.
    await row.locator('button.jp-Repro-Runs-toggle').click();
    const compareButton = section.locator(
      'button.jp-Repro-Runs-compareReproduction'
    );
    await expect(compareButton).toBeVisible();
    await compareButton.click();
    const content = page.locator(
      '.jp-Repro-CompareWidget:visible .jp-Repro-Compare'
    );
    await expect(content).toHaveAttribute('data-state', 'ready', {
      timeout: 30000
    });
    const cards = content.locator('.jp-Repro-Compare-cards [data-run-id]');
    await expect(cards).toHaveCount(2);
    await expect(
      content.locator(`.jp-Repro-Compare-cards [data-run-id="${runId}"]`)
    ).toHaveCount(1);
    await expect(
      content.locator(
        `.jp-Repro-Compare-cards [data-run-id="${reproductionId}"]`
      )
    ).toHaveCount(1);
    // The original is the baseline.
    await expect(
      content.locator(
        `.jp-Repro-Compare-cards [data-run-id="${runId}"] .jp-Repro-Compare-baselineBadge`
      )
    ).toHaveCount(1);
  });
});
