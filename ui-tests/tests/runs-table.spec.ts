/**
 * The runs table (issue 23): every run of a notebook in the main area,
 * opened from the Runs section's header. Two runs of the demo notebook (the
 * second after a user edited `epochs`): sort by a metric (the header says
 * the order in words), filter by words and comparisons, tick two runs with
 * the keyboard, open one's details with Enter, compare them in one click;
 * the comparison draws the metrics each run logged once (`accuracy`,
 * `loss`) as markers, not empty axes, and folds unchanged lines behind bars
 * with the lab's icons; the table comes back after a reload with its order.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  demoRepository,
  editEpochs,
  openRepro,
  SIDEBAR_ID
} from './support/repro';

// Written to the ignored ui-tests/screenshots/; `make screenshots` copies it
// into docs/images/ for the README.
const SCREENSHOT = path.resolve(
  __dirname,
  '..',
  'screenshots',
  'runs-table.png'
);

/** Run all cells and wait for the nth run (from 1) in the Runs section. */
async function runAll(
  page: IJupyterLabPageFixture,
  expected: number
): Promise<void> {
  await page.notebook.run();
  const rows = page.locator('.jp-Repro-Runs .jp-Repro-Runs-run');
  await expect(rows).toHaveCount(expected, { timeout: 60000 });
  await expect(rows.first()).toHaveAttribute('data-status', 'FINISHED');
}

/**
 * How many pixels of a canvas differ from its top-left pixel (the chart's
 * background): 0 for a blank chart.
 */
async function inkedPixels(
  page: IJupyterLabPageFixture,
  selector: string
): Promise<number> {
  return page.locator(selector).evaluate(canvas => {
    const context = (canvas as HTMLCanvasElement).getContext('2d');
    if (!context) {
      return 0;
    }
    const { width, height } = canvas as HTMLCanvasElement;
    const data = context.getImageData(0, 0, width, height).data;
    const background = Array.from(data.slice(0, 4));
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (
        Math.abs(data[i] - background[0]) +
          Math.abs(data[i + 1] - background[1]) +
          Math.abs(data[i + 2] - background[2]) +
          Math.abs(data[i + 3] - background[3]) >
        32
      ) {
        count++;
      }
    }
    return count;
  });
}

test.describe('Runs table', () => {
  test('sort, filter, select two with the keyboard, compare; single-value metrics drawn @screenshot', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(240000);
    const made = await demoRepository(page, tmpPath, 'table');
    expect(await page.notebook.openByPath(made.notebook)).toBe(true);
    await page.notebook.activate(made.name);
    await openRepro(page);
    // Saved first: the kernel then reads a whole file when the run starts.
    expect(await page.notebook.save()).toBe(true);
    await runAll(page, 1);
    await editEpochs(page, made.name, 5);
    expect(await page.notebook.save()).toBe(true);
    await runAll(page, 2);
    const sidebarIds = await page
      .locator('.jp-Repro-Runs .jp-Repro-Runs-run')
      .evaluateAll(rows =>
        rows.map(row => (row as HTMLElement).dataset.runId!)
      );

    // The Runs section's header opens the table of the followed notebook.
    await page
      .locator(
        `#${SIDEBAR_ID} .jp-AccordionPanel-title [data-command="jupyterlab-repro:runs-table"]`
      )
      .click();
    const widget = page.locator('.jp-Repro-RunsTableWidget:visible');
    await expect(widget).toHaveCount(1);
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current')
    ).toHaveText(`Runs: ${made.name}`);
    const table = widget.locator('.jp-Repro-RunsTable');
    await expect(table).toHaveAttribute('data-state', 'ready');
    const rows = table.locator('tr.jp-Repro-RunsTable-run');
    await expect(rows).toHaveCount(2);
    // Grouped by commit as the sidebar groups them: the edited run on its
    // snapshot, the first on the committed notebook.
    await expect(table.locator('tr.jp-Repro-RunsTable-group')).toHaveCount(2);
    await expect(
      table.locator('tr.jp-Repro-RunsTable-group[data-snapshot="true"]')
    ).toHaveCount(1);
    // Params and metrics are columns; the differing param among them.
    const head = (id: string) =>
      table.locator(`th.jp-Repro-RunsTable-head[data-column="${id}"]`);
    for (const id of [
      'metric:accuracy',
      'metric:loss',
      'metric:val_accuracy',
      'metric:val_loss',
      'param:epochs'
    ]) {
      await expect(head(id)).toHaveCount(1);
    }
    const ids = () =>
      rows.evaluateAll(items =>
        items.map(row => (row as HTMLElement).dataset.runId!)
      );
    expect(await ids()).toEqual(sidebarIds);

    // Sort by loss, in one list: lowest (best) first, and the header says so.
    await table.locator('.jp-Repro-RunsTable-grouped input').uncheck();
    await expect(table.locator('tr.jp-Repro-RunsTable-group')).toHaveCount(0);
    await head('metric:loss').locator('button').click();
    await expect(head('metric:loss')).toHaveAttribute('aria-sort', 'ascending');
    await expect(head('metric:loss').locator('button')).toHaveAttribute(
      'title',
      /^loss: lowest first \(best first\)/
    );
    const losses = async () =>
      (
        await rows
          .locator('td.jp-Repro-RunsTable-cell.jp-mod-metric')
          .evaluateAll(cells =>
            cells
              .filter(cell => cell.getAttribute('title')?.startsWith('loss = '))
              .map(cell => Number(cell.getAttribute('title')!.slice(7)))
          )
      ).filter(Number.isFinite);
    const ascending = await losses();
    expect(ascending).toHaveLength(2);
    expect(ascending[0]).toBeLessThanOrEqual(ascending[1]);
    await head('metric:loss').locator('button').click();
    await expect(head('metric:loss')).toHaveAttribute(
      'aria-sort',
      'descending'
    );
    const descending = await losses();
    expect(descending[0]).toBeGreaterThanOrEqual(descending[1]);

    // Filter: a comparison keeps the edited run only; words find names.
    const filter = table.locator('input.jp-Repro-RunsTable-filter');
    await filter.fill('epochs=5');
    await expect(rows).toHaveCount(1);
    await expect(rows.first().locator('td[title="5"]')).toHaveCount(1);
    await filter.fill('epochs>100');
    await expect(rows).toHaveCount(0);
    await expect(table.locator('.jp-Repro-RunsTable-note')).toContainText(
      'epochs>100'
    );
    await filter.fill('');
    await expect(rows).toHaveCount(2);

    // At 1280 px the default columns fit: the table does not scroll sideways.
    const scroller = table.locator('.jp-Repro-RunsTable-scroll');
    const sideways = () =>
      scroller.evaluate(box => ({
        over: box.scrollWidth - box.clientWidth,
        left: box.scrollLeft
      }));
    expect(await sideways()).toEqual({ over: 0, left: 0 });

    // Keyboard: Space ticks, arrows move, Enter opens the details.
    await rows.first().focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await expect(rows.nth(1)).toBeFocused();
    await page.keyboard.press('Space');
    await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true');
    await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('Enter');
    const details = table.locator('tr.jp-Repro-RunsTable-details');
    await expect(details).toHaveCount(1);
    // Nothing moved sideways, and no column slides under the run's name.
    const [boxes, names, next] = await Promise.all([
      sideways(),
      head('name').boundingBox(),
      head('started').boundingBox()
    ]);
    expect(boxes).toEqual({ over: 0, left: 0 });
    expect(names!.x + names!.width).toBeLessThanOrEqual(next!.x + 0.5);
    await expect(details.locator('.jp-Repro-Runs-params')).toContainText(
      'epochs'
    );
    // The run's actions are buttons, one click each.
    await expect(
      rows.nth(1).locator('button.jp-Repro-RunsTable-release')
    ).toBeEnabled();
    await page.mouse.move(640, 790);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Compare (2), one click.
    const compare = table.locator('button.jp-Repro-RunsTable-compare');
    await expect(compare).toHaveText('Compare (2)');
    await compare.click();
    const content = page.locator(
      '.jp-Repro-CompareWidget:visible .jp-Repro-Compare'
    );
    await expect(content).toHaveAttribute('data-state', 'ready', {
      timeout: 20000
    });
    await expect(
      content.locator('.jp-Repro-Compare-cards [data-run-id]')
    ).toHaveCount(2);

    // A metric each run logged once: one marker per run, not empty axes.
    const figure = content.locator(
      '.jp-Repro-Compare-figure[data-metric="accuracy"]'
    );
    await expect(figure).toHaveAttribute('data-kind', 'values');
    await expect(figure.locator('canvas')).not.toHaveCount(0, {
      timeout: 20000
    });
    await expect(
      page.locator('.jp-Repro-CompareWidget:visible')
    ).toHaveAttribute('data-repro-render-ms', /^\d+(\.\d+)?$/);
    const canvas =
      '.jp-Repro-CompareWidget:visible .jp-Repro-Compare-figure[data-metric="accuracy"] canvas';
    await figure.scrollIntoViewIfNeeded();
    const accuracyInk = await inkedPixels(page, canvas);
    // Axes and labels alone ink a few thousand pixels; two markers (12 px
    // across, with their value labels) add hundreds more. Compare with the
    // same chart without runs: hide both in the legend.
    const legend = content.locator('.jp-Repro-Compare-legend [data-run-id]');
    await expect(legend).toHaveCount(2);
    await legend.nth(0).click();
    await legend.nth(1).click();
    await expect
      .poll(() => inkedPixels(page, canvas))
      .toBeLessThan(accuracyInk - 200);
    await legend.nth(0).click();
    await legend.nth(1).click();
    await expect
      .poll(() => inkedPixels(page, canvas))
      .toBeGreaterThan(accuracyInk - 50);
    // A metric with steps stays a line chart.
    await expect(
      content.locator('.jp-Repro-Compare-figure[data-metric="val_loss"]')
    ).toHaveAttribute('data-kind', 'history');

    // The changed cell's unchanged lines fold behind bars that carry the
    // lab's icons (SVG), not a font glyph.
    const bars = content.locator(
      '.jp-Repro-Compare-cell[data-cell-id="model"] .cm-collapsedLines'
    );
    await expect(bars).not.toHaveCount(0, { timeout: 15000 });
    await expect(
      bars.first().locator('.jp-Repro-Compare-foldIcon svg')
    ).toHaveCount(2);
    await expect(bars.first()).toHaveText(/^\d+ unchanged lines$/);
    expect(
      await bars
        .first()
        .evaluate(bar =>
          [
            window.getComputedStyle(bar, '::before').content,
            window.getComputedStyle(bar, '::after').content
          ].join(' ')
        )
    ).toBe('none none');

    // Back to the table; after a reload it is there again, sorted the same.
    await page
      .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: `Runs: ${made.name}`
      })
      .click();
    await page.reload({ waitForIsReady: false });
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 30000
    });
    const tab = page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
      hasText: `Runs: ${made.name}`
    });
    await expect(tab).toHaveCount(1, { timeout: 20000 });
    await tab.click();
    const restored = page.locator('.jp-Repro-RunsTableWidget:visible');
    await expect(restored).toHaveCount(1);
    await expect(
      restored.locator('th[data-column="metric:loss"]')
    ).toHaveAttribute('aria-sort', 'descending');
    await expect(restored.locator('tr.jp-Repro-RunsTable-run')).toHaveCount(2);
  });
});
