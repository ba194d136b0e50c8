/**
 * Restore a run as a branch from the Runs section (issue 23): the notebook
 * has been run, so it has outputs on disk that its commit lacks. "Restore…"
 * in the run's context menu switches anyway, keeping those outputs in a git
 * stash entry; back on the branch they belong to, the lab offers them and
 * "Bring back" puts them back, byte for byte.
 *
 * The demo notebook in a repository of its own in Galata's per-test folder;
 * The server's store is demo/mlflow.db (jupyter_server_test_config.py).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

import { demoRepository, editEpochs, repro, showRuns } from './support/repro';

test('restore a run over outputs on disk: switched, outputs kept and brought back', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(180000);
  const { folder, name, notebook } = await demoRepository(
    page,
    tmpPath,
    'restore'
  );
  const root = JSON.parse(
    (await page.locator('#jupyter-config-data').textContent()) ?? '{}'
  ).serverRoot as string;
  const repository = path.join(root, folder);
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repository, ...args], {
      encoding: 'utf-8'
    }).trim();

  // Run A on the first commit, then a committed edit and run B.
  expect(await page.notebook.openByPath(notebook)).toBe(true);
  await page.notebook.activate(name);
  await showRuns(page);
  await page.notebook.run();
  const rows = page.locator('.jp-Repro-Runs .jp-Repro-Runs-run');
  await expect(rows).toHaveCount(1, { timeout: 60000 });
  const runA = (await rows.first().getAttribute('data-run-id'))!;
  await editEpochs(page, name, 20);
  await page.notebook.save();
  await repro(page, 'POST', 'snapshot', {
    path: notebook,
    message: 'twenty epochs',
    type: 'exp'
  });
  await page.notebook.run();
  await expect(rows).toHaveCount(2, { timeout: 60000 });
  await page.notebook.save(); // the outputs of run B, on disk
  const withOutputs = fs.readFileSync(path.join(repository, name));
  expect(withOutputs.toString()).toContain('"output_type"');
  expect(git('status', '--porcelain')).toBe(`M ${name}`);

  // Restore… on run A: the dialog, then the switch.
  await page
    .locator(`.jp-Repro-Runs-run[data-run-id="${runA}"]`)
    .click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: 'Restore…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Restore the code of run');
  await dialog.locator('button', { hasText: 'Switch to a branch' }).click();
  const switched = page.locator('.jp-Notification-Toast-success', {
    hasText: 'Switched to branch exp/'
  });
  await expect(switched).toBeVisible({ timeout: 30000 });
  await expect(switched).toContainText('kept in stash@{0}');
  const branch = git('symbolic-ref', '--short', 'HEAD');
  expect(branch).toMatch(/^exp\//);
  await expect(page.locator('.jp-Repro-Status-branch')).toHaveText(branch);
  expect(git('stash', 'list')).toContain(
    `On main: jupyterlab-repro: outputs of ${name}`
  );
  // The open notebook shows run A's code (reloaded, no outputs).
  const onDisk = JSON.parse(
    fs.readFileSync(path.join(repository, name), 'utf-8')
  );
  const sources = onDisk.cells
    .map((c: any) => (Array.isArray(c.source) ? c.source.join('') : c.source))
    .join('\n');
  expect(sources).toContain('"epochs": 15,');
  expect(onDisk.cells.every((c: any) => (c.outputs ?? []).length === 0)).toBe(
    true
  );
  await expect(
    page.locator('.jp-NotebookPanel .cm-line', { hasText: '"epochs": 15,' })
  ).toHaveCount(1);

  // Back on main (with git, as anyone would): the lab offers the outputs.
  git('switch', '--quiet', 'main');
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('jupyterlab-repro:refresh')
  );
  const offer = page.locator('.jp-Notification-Toast-info', {
    hasText: 'were kept aside'
  });
  await expect(offer).toBeVisible({ timeout: 30000 });
  await offer.locator('button', { hasText: 'Bring back' }).click();
  await expect(
    page.locator('.jp-Notification-Toast-success', {
      hasText: 'Brought back the outputs of'
    })
  ).toBeVisible();
  expect(fs.readFileSync(path.join(repository, name))).toEqual(withOutputs);
  expect(git('stash', 'list')).toBe('');
  await expect(
    page.locator('.jp-Repro-Status-fileState', { hasText: 'outputs only' })
  ).toBeVisible();
});
