/**
 * "Runs" in the Repro sidebar: an MLflow run started from a notebook shows up
 * under the commit of the code that ran, and the notebook as it was for that
 * run opens read-only (nothing written beside the notebook).
 *
 * The server's store (c.Repro.tracking_uri in jupyter_server_test_config.py)
 * is `demo/mlflow.db` (git-ignored there); kernels get it from the server, and the
 * run-context plugin tags every run. Specs that commit work in a repository
 * of their own, created through the UI in Galata's per-test folder.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { openRepro, showRuns, unique } from './support/repro';

/** A notebook whose only cell logs one MLflow run named `runName`. */
function trainingNotebook(runName: string): string {
  const source = [
    'import mlflow',
    '',
    `with mlflow.start_run(run_name=${JSON.stringify(runName)}) as run:`,
    '    mlflow.log_param("lr", 0.1)',
    '    mlflow.log_metric("acc", 0.93)',
    'print("logged", run.info.run_id)'
  ].join('\n');
  return JSON.stringify({
    cells: [
      {
        cell_type: 'code',
        execution_count: null,
        id: 'train',
        metadata: {},
        outputs: [],
        source
      }
    ],
    metadata: {
      kernelspec: {
        display_name: 'Python 3 (ipykernel)',
        language: 'python',
        name: 'python3'
      }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

async function openNotebook(
  page: IJupyterLabPageFixture,
  notebook: string
): Promise<void> {
  await page.sidebar.openTab('filebrowser');
  await expect(page.locator('#filebrowser')).toBeVisible();
  expect(await page.notebook.openByPath(notebook)).toBe(true);
}

test.describe('Runs', () => {
  test('lists a run under the commit that ran and opens the notebook as it was', async ({
    page,
    tmpPath
  }) => {
    const id = unique();
    const folder = `${tmpPath}/runs-${id}`;
    const runName = `ui-run-${id}`;
    // Runs are found by the notebook's path in its repository, across
    // repositories: a name of its own keeps earlier tests' runs out.
    const name = `train-${id}`;
    expect(
      await page.contents.uploadContent(
        trainingNotebook(runName),
        'text',
        `${folder}/${name}.ipynb`
      )
    ).toBe(true);

    // A repository of its own, the notebook committed as it is.
    await page.filebrowser.openDirectory(folder);
    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'not-repository');
    await page.locator('button.jp-Repro-Status-init').click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.getByRole('button', { name: 'Initialize' }).click();
    await expect(dialog).toHaveCount(0);
    await openNotebook(page, `${folder}/${name}.ipynb`);
    await page.notebook.activate(`${name}.ipynb`);
    await openRepro(page);
    const message = page.locator('input.jp-Repro-Snapshot-message');
    await message.fill(`train ${id}`);
    await page.locator('button.jp-Repro-Snapshot-commit').click();
    const subject = `exp: train ${id}`;
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      subject
    );

    // Before any run: the section says how runs get linked.
    await showRuns(page);
    const section = page.locator('.jp-Repro-Runs');
    await expect(section).toHaveAttribute('data-state', 'empty');
    await expect(section.locator('.jp-Repro-Runs-empty')).toContainText(
      'mlflow.start_run()'
    );

    // Run the cell: one MLflow run, tagged by the kernel-side plugin.
    await page.notebook.activate(`${name}.ipynb`);
    // Run in place (Ctrl+Enter): Shift+Enter on the last cell adds an empty
    // cell that autosave may write before the plugin reads the file, and this
    // test is about a run of committed code.
    await page.notebook.runCell(0, { inplace: true });
    await expect(
      page
        .locator('.jp-NotebookPanel .jp-OutputArea-output')
        .filter({ hasText: 'logged' })
    ).toHaveCount(1, { timeout: 60000 });

    // Refresh like a user; the run sits under the commit that ran.
    await showRuns(page);
    await section.locator('button.jp-Repro-Runs-refresh').click();
    await expect(section).toHaveAttribute('data-state', 'ready');
    const row = section.locator('.jp-Repro-Runs-run', { hasText: runName });
    await expect(row).toHaveCount(1);
    const group = section.locator('.jp-Repro-Runs-group', {
      has: page.locator('.jp-Repro-Runs-run', { hasText: runName })
    });
    await expect(group).toHaveAttribute('data-snapshot', 'false');
    await expect(group).toHaveAttribute('data-commit', /^[0-9a-f]{40}$/);
    await expect(group.locator('.jp-Repro-Runs-subject')).toHaveText(subject);
    await expect(row).toHaveAttribute('data-status', 'FINISHED');
    await expect(row.locator('.jp-Repro-Runs-metric')).toHaveText(['0.93']);

    // The filter narrows the list by parameter.
    const filter = section.locator('input.jp-Repro-Runs-filter');
    await filter.fill('lr=0.1');
    await expect(row).toHaveCount(1);
    await filter.fill('lr=0.2');
    await expect(row).toHaveCount(0);
    await filter.fill('');
    await expect(row).toHaveCount(1);

    // Its parameters on expand, and the notebook as it was.
    await row.locator('button.jp-Repro-Runs-toggle').click();
    const details = section.locator('.jp-Repro-Runs-details');
    await expect(details.locator('.jp-Repro-Runs-params')).toContainText('lr');
    // Read-only in the lab (issue 12): nothing is written beside it.
    await details.locator('button.jp-Repro-Runs-openNotebook').click();
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tabLabel', {
        hasText: new RegExp(`^${name}\\.ipynb @ [0-9a-f]{7} \\(read-only\\)$`)
      })
    ).toHaveCount(1);
    await expect(section.locator('.jp-Repro-Runs-message')).toHaveCount(0);
    const listing = await page.request.get(`/api/contents/${folder}?content=1`);
    const names = ((await listing.json()).content as { name: string }[])
      .map(item => item.name)
      .filter(item => item.endsWith('.ipynb'));
    expect(names).toEqual([`${name}.ipynb`]);
  });

  test('stays idle for a folder and shows the empty state outside a repository', async ({
    page
  }) => {
    // Galata starts in the test's own folder: no notebook followed.
    await showRuns(page);
    const section = page.locator('.jp-Repro-Runs');
    await expect(section).toHaveAttribute('data-state', 'idle');

    await openNotebook(page, 'scratch/untitled.ipynb');
    await page.notebook.activate('untitled.ipynb');
    await showRuns(page);
    await expect(section).toHaveAttribute('data-state', 'empty');
    await expect(section.locator('.jp-Repro-Runs-empty')).toContainText(
      'no code needed'
    );
  });
});
