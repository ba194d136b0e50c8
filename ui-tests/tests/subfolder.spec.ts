/**
 * Runs of a notebook in a subfolder are found (issue 23), as a user who set
 * no MLFLOW_TRACKING_URI lives it: the UI-test server has its store as a
 * setting (c.Repro.tracking_uri) and nothing in the environment, so the
 * kernel logs where the Runs section reads only because the server gives its
 * kernels that URI. Without it, MLflow's default store is relative to the
 * kernel's working directory: `<subfolder>/mlflow.db`, and the section said
 * "No runs for this notebook yet".
 *
 * And a folder that does hold another store (runs logged before, by a kernel
 * with no URI) is named in the Runs section instead of "No runs".
 */
import { expect, test } from '@jupyterlab/galata';

import { DEMO, repro, showRuns, unique } from './support/repro';

test.describe('Runs of a notebook in a subfolder', () => {
  test('are listed, and nothing is logged beside the notebook', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const folder = `${tmpPath}/project-${unique()}`;
    const sub = `${folder}/experiments/mlp`;
    const name = 'train.ipynb';
    const notebook = `${sub}/${name}`;
    expect(await page.contents.uploadContent(DEMO, 'text', notebook)).toBe(
      true
    );
    await repro(page, 'POST', 'init', { path: folder });
    await repro(page, 'POST', 'snapshot', {
      path: notebook,
      message: 'sample training notebook',
      type: 'feat'
    });

    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await showRuns(page);
    const section = page.locator('.jp-Repro-Runs');
    await expect(section).toHaveAttribute('data-state', 'empty');

    await page.notebook.run();
    const rows = section.locator('.jp-Repro-Runs-run');
    await expect(rows).toHaveCount(1, { timeout: 60000 });
    await expect(rows.first()).toHaveAttribute('data-status', 'FINISHED');
    // The server lists it under the notebook's path in its repository.
    const reply = await repro(
      page,
      'GET',
      `runs?path=${encodeURIComponent(notebook)}`
    );
    const runs = (reply.groups as any[]).flatMap(g => g.runs as any[]);
    expect(runs).toHaveLength(1);
    expect(runs[0].tags['repro.notebook']).toBe(`experiments/mlp/${name}`);
    expect(reply.other_stores).toEqual([]);
    // The kernel logged to the server's store, not to a store of its own.
    expect(await page.contents.fileExists(`${sub}/mlflow.db`)).toBe(false);
    expect(await page.contents.directoryExists(`${sub}/mlruns`)).toBe(false);
  });

  test('a folder holding another store is named instead of "No runs"', async ({
    page,
    tmpPath
  }) => {
    const folder = `${tmpPath}/old-${unique()}`;
    const name = 'train.ipynb';
    const notebook = `${folder}/${name}`;
    expect(await page.contents.uploadContent(DEMO, 'text', notebook)).toBe(
      true
    );
    // What a kernel with no tracking URI left there before.
    expect(
      await page.contents.uploadContent('', 'text', `${folder}/mlflow.db`)
    ).toBe(true);
    await repro(page, 'POST', 'init', { path: folder });

    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await showRuns(page);
    const note = page.locator('.jp-Repro-Runs-empty.jp-mod-otherStore');
    await expect(note).toBeVisible({ timeout: 30000 });
    await expect(note).toContainText(
      `Runs of this notebook may be in ${folder}/mlflow.db`
    );
    await expect(note).toContainText('which this lab does not read');
    await expect(
      page.locator('.jp-Repro-Runs-empty', {
        hasText: 'No runs for this notebook yet.'
      })
    ).toHaveCount(0);
  });
});
