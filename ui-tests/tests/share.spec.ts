/**
 * Run code shared across clones (issue 15), in the lab: clone A runs the
 * demo notebook with an uncommitted edit (a snapshot run) and presses
 * "Share run code"; clone B of the same remote lists that run with its code
 * not here, "Fetch code" gets it, and the notebook as it ran opens from B.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';

import { DEMO, editEpochs, repro, showRuns, unique } from './support/repro';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf-8',
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim();
}

async function serverRoot(page: IJupyterLabPageFixture): Promise<string> {
  return JSON.parse(
    (await page.locator('#jupyter-config-data').textContent()) ?? '{}'
  ).serverRoot as string;
}

test.describe('Share run code', () => {
  test.use({
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      '@jupyterlab/docmanager-extension:plugin': { autosave: false }
    }
  });

  test("a teammate's clone fetches the code of a snapshot run", async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const root = await serverRoot(page);
    const id = unique();
    const name = `train-${id}.ipynb`;
    const a = `${tmpPath}/a-${id}`;
    const b = `${tmpPath}/b-${id}`;
    const remote = path.join(root, tmpPath, `remote-${id}.git`);

    // Clone A: the demo notebook committed and pushed to a bare remote.
    expect(
      await page.contents.uploadContent(DEMO, 'text', `${a}/${name}`)
    ).toBe(true);
    await repro(page, 'POST', 'init', { path: a });
    await repro(page, 'POST', 'snapshot', {
      path: `${a}/${name}`,
      message: 'sample training notebook',
      type: 'feat'
    });
    fs.mkdirSync(remote, { recursive: true });
    git(remote, 'init', '-q', '--bare', '--initial-branch=main');
    git(path.join(root, a), 'remote', 'add', 'origin', remote);
    git(path.join(root, a), 'push', '-q', 'origin', 'main');
    git(path.join(root, tmpPath), 'clone', '-q', remote, path.basename(b));

    // A runs with epochs 15 → 5 (saved, not committed): a snapshot run.
    expect(await page.notebook.openByPath(`${a}/${name}`)).toBe(true);
    await page.notebook.activate(name);
    await showRuns(page);
    await editEpochs(page, name, 5);
    await page.notebook.run();
    const runsA = page.locator('.jp-Repro-Runs .jp-Repro-Runs-run');
    await expect(runsA).toHaveCount(1, { timeout: 30000 });
    const runId = (await runsA.first().getAttribute('data-run-id'))!;
    await expect(
      page.locator('.jp-Repro-Runs-group[data-snapshot="true"]')
    ).toHaveCount(1);

    // Share run code: the snapshot goes to origin.
    await page.locator('button.jp-Repro-Runs-share').click();
    await expect(
      page.locator('.jp-Notification-Toast-success', {
        hasText: 'Pushed 1 snapshot of run code to origin.'
      })
    ).toBeVisible({ timeout: 20000 });
    await page.notebook.close(true);

    // Clone B: the run is listed, its code is not here.
    await page.evaluate(async file => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', {
        path: file
      });
    }, `${b}/${name}`);
    await expect(
      page.locator('.jp-NotebookPanel:visible .jp-Cell').first()
    ).toBeVisible();
    await showRuns(page);
    const row = page.locator(`.jp-Repro-Runs-run[data-run-id="${runId}"]`);
    await expect(row).toHaveCount(1, { timeout: 20000 });
    const group = page.locator('.jp-Repro-Runs-group', { has: row });
    const fetchButton = group.locator('button.jp-Repro-Runs-fetch');
    await expect(fetchButton).toHaveText('Fetch code');
    const snapshot = await group.getAttribute('data-commit');
    expect(() =>
      git(path.join(root, b), 'cat-file', '-e', `${snapshot}^{commit}`)
    ).toThrow();

    await fetchButton.click();
    await expect(
      page.locator('.jp-Notification-Toast-success', {
        hasText: 'The code of the run is here now.'
      })
    ).toBeVisible({ timeout: 20000 });
    await expect(fetchButton).toHaveCount(0);
    git(path.join(root, b), 'cat-file', '-e', `${snapshot}^{commit}`);

    // B opens the notebook as the run ran it: the edit is there.
    await group.locator('button.jp-Repro-Runs-openNotebook').click();
    await expect(
      page.locator('.jp-Repro-HistoryPanel:visible .jp-Cell .cm-line', {
        hasText: '"epochs": 5,'
      })
    ).toHaveCount(1, { timeout: 15000 });
  });
});
