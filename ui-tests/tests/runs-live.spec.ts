/**
 * Every run records the code that actually ran (issue 12), in the lab:
 *
 * - with `saveBeforeRun` off, a run of edited, unsaved cells shows up in the
 *   Runs section as soon as the kernel is done, marked "ran with unsaved
 *   changes", its details diff the edit against the commit, and the
 *   notebook as it ran opens read-only without a kernel; Ctrl+S writes
 *   nothing; "Restore as branch" refuses (the notebook is open with unsaved
 *   work the switch would replace: the notification names it, no branch is
 *   made), and once the notebook is saved it makes `exp/<run name>` and
 *   switches, the notebook keeping its outputs (they came from that code);
 * - with `saveBeforeRun` on (the default), the notebook is saved before its
 *   cells run and the run is not marked unsaved; a run started from a
 *   console on the notebook's kernel shows up as soon as the kernel is idle.
 *
 * Each test uses the demo notebook (demo/train.ipynb, which trains with
 * MLflow via scikit-learn) in a repository of its own in Galata's per-test
 * folder, under a name of its own: `demo/` stays as the other specs expect
 * it, and no other test's runs are listed. The server's store is
 * demo/mlflow.db (jupyter_server_test_config.py).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';

import {
  demoRepository,
  editEpochs,
  escapeRegExp,
  PARAM_LINE,
  repro,
  showRuns
} from './support/repro';

/** The notebook on disk, through the contents API. */
async function onDisk(
  page: IJupyterLabPageFixture,
  file: string
): Promise<any> {
  const response = await page.request.get(
    `/api/contents/${file.split('/').map(encodeURIComponent).join('/')}?content=1`
  );
  expect(response.ok()).toBe(true);
  return (await response.json()).content;
}

/** The names in a folder, through the contents API. */
async function listing(
  page: IJupyterLabPageFixture,
  folder: string
): Promise<string[]> {
  const response = await page.request.get(
    `/api/contents/${folder.split('/').map(encodeURIComponent).join('/')}?content=1`
  );
  expect(response.ok()).toBe(true);
  const model = await response.json();
  return (model.content as { name: string }[]).map(item => item.name).sort();
}

function sourceOf(notebook: any, cellId: string): string {
  const cell = notebook.cells.find((c: any) => c.id === cellId);
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/**
 * Open the notebook with the sidebar following it, and change the
 * hyperparameter like a user: click the line, replace `15,` with `value,`.
 * Nothing is saved.
 */
async function openAndEdit(
  page: IJupyterLabPageFixture,
  notebook: string,
  name: string,
  value: number
): Promise<void> {
  expect(await page.notebook.openByPath(notebook)).toBe(true);
  await page.notebook.activate(name);
  await showRuns(page);
  await expect(page.locator('.jp-Repro-Status')).toHaveAttribute(
    'data-state',
    'ready'
  );
  await expect(page.locator('.jp-Repro-Runs')).toHaveAttribute(
    'data-state',
    'empty'
  );
  await editEpochs(page, name, value);
}

test.describe('Runs while cells run, saveBeforeRun off', () => {
  test.use({
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-repro:plugin': { saveBeforeRun: false },
      // Nothing but the user saves: the notebook on disk stays as committed.
      '@jupyterlab/docmanager-extension:plugin': { autosave: false }
    }
  });

  test('a run of unsaved code appears at once, marked, and opens as it ran, read-only', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(120000);
    const { folder, name, notebook } = await demoRepository(page, tmpPath);
    await openAndEdit(page, notebook, name, 20);

    // Run all: the run shows up within 2 s of the kernel going idle.
    await page.notebook.run();
    const section = page.locator('.jp-Repro-Runs');
    const row = section.locator('.jp-Repro-Runs-run');
    await expect(row).toHaveCount(1, { timeout: 2000 });
    await expect(row).toHaveAttribute('data-status', 'FINISHED');
    await expect(row.locator('.jp-Repro-Runs-badge.jp-mod-unsaved')).toHaveText(
      'ran with unsaved changes'
    );
    await expect(
      row.locator('.jp-Repro-Runs-badge.jp-mod-outOfOrder')
    ).toHaveCount(0);
    // Nothing was saved: the file still has the committed value.
    expect(sourceOf(await onDisk(page, notebook), 'model')).toContain(
      PARAM_LINE
    );
    const group = section.locator('.jp-Repro-Runs-group', {
      has: page.locator('.jp-Repro-Runs-run')
    });
    await expect(group).toHaveAttribute('data-snapshot', 'true');

    // Its details: the edited source in the diff against its commit.
    await row.locator('button.jp-Repro-Runs-toggle').click();
    const details = section.locator('.jp-Repro-Runs-details');
    await expect(
      details.locator('.jp-Repro-Snapshot-diffLine.jp-mod-added', {
        hasText: '"epochs": 20,'
      })
    ).toHaveCount(1, { timeout: 15000 });
    await expect(
      details.locator('.jp-Repro-Snapshot-diffLine.jp-mod-removed', {
        hasText: PARAM_LINE
      })
    ).toHaveCount(1);
    await expect(details.locator('.jp-Repro-Runs-environment')).toContainText(
      'Python'
    );
    const sessionsBefore = await (
      await page.request.get('/api/sessions')
    ).json();

    // The notebook as it ran: read-only, no kernel, its own tab.
    const filesBefore = await listing(page, folder);
    await details.locator('button.jp-Repro-Runs-openNotebook').click();
    const tab = page.locator('.lm-DockPanel-tabBar .lm-TabBar-tabLabel', {
      hasText: new RegExp(
        `^${escapeRegExp(name)} @ [0-9a-f]{7} \\(read-only\\)$`
      )
    });
    await expect(tab).toHaveCount(1);
    const historical = page.locator('.jp-Repro-HistoryPanel:visible');
    await expect(
      historical.locator('.jp-Cell .cm-line', {
        hasText: '"epochs": 20,'
      })
    ).toHaveCount(1);
    // Its cells are read-only: typing changes nothing.
    const edited = historical.locator('.jp-Cell .cm-line', {
      hasText: '"epochs": 20,'
    });
    await expect(
      historical.locator('.jp-Cell .cm-content', {
        has: page.locator('.cm-line', { hasText: '"epochs": 20,' })
      })
    ).toHaveAttribute('aria-readonly', 'true');
    await edited.click();
    await page.keyboard.press('End');
    await page.keyboard.type('999');
    await page.keyboard.press('Escape');
    await expect(
      historical.locator('.jp-Cell .cm-line', { hasText: '999' })
    ).toHaveCount(0);
    const opened = await page.evaluate(() => {
      const widget = (window as any).jupyterapp.shell.currentWidget;
      const session = widget.context.sessionContext.session;
      return {
        path: widget.context.path as string,
        session: session ? session.id : null,
        kernel: session?.kernel ? session.kernel.id : null,
        writable: widget.context.contentsModel?.writable
      };
    });
    expect(opened.path.startsWith('ReproHistory:')).toBe(true);
    expect(opened.session).toBeNull();
    expect(opened.kernel).toBeNull();
    expect(opened.writable).toBe(false);
    const sessionsAfter = await (
      await page.request.get('/api/sessions')
    ).json();
    expect(sessionsAfter.map((s: any) => s.id).sort()).toEqual(
      sessionsBefore.map((s: any) => s.id).sort()
    );

    // The sidebar says what it is.
    const banner = page.locator('.jp-Repro-History');
    await expect(banner.locator('.jp-Repro-History-title')).toHaveText(
      'Historical copy (read-only)'
    );

    // Ctrl+S: JupyterLab says it is read-only, and nothing is written.
    await historical.locator('.jp-Cell').first().click();
    await page.keyboard.press('Control+s');
    await expect(
      page.locator('.jp-Notification-Toast-warning', { hasText: 'read-only' })
    ).toBeVisible();
    expect(await listing(page, folder)).toEqual(filesBefore);
    expect(sourceOf(await onDisk(page, notebook), 'model')).toContain(
      PARAM_LINE
    );
    expect(filesBefore.filter(f => f.endsWith('.ipynb'))).toEqual([name]);

    // Restore as branch: the notebook is open with its unsaved edit, and the
    // switch would change it on disk: refused in words naming it, nothing made.
    const heads = () =>
      execFileSync(
        'git',
        ['-C', repository, 'for-each-ref', '--format=%(refname)', 'refs/heads'],
        { encoding: 'utf-8' }
      );
    const root = JSON.parse(
      (await page.locator('#jupyter-config-data').textContent()) ?? '{}'
    ).serverRoot as string;
    const repository = path.join(root, folder);
    const headsBefore = heads();
    await banner.locator('button.jp-Repro-History-restoreBranch').click();
    await expect(banner.locator('.jp-Repro-History-message')).toContainText(
      `${name} is open in the lab with changes that are not saved`
    );
    await expect(
      page.locator('.jp-Notification-Toast-error', {
        hasText: 'Not switched to exp/'
      })
    ).toBeVisible();
    expect(heads()).toBe(headsBefore);

    // Saved, it is the run's code plus outputs: the restore switches and the
    // notebook keeps its outputs on the branch.
    await page
      .locator('.lm-DockPanel-tabBar .lm-TabBar-tabLabel', {
        hasText: new RegExp(`^${escapeRegExp(name)}$`)
      })
      .click();
    await page.notebook.save();
    const saved = await onDisk(page, notebook);
    await tab.click();
    await banner.locator('button.jp-Repro-History-restoreBranch').click();
    const outcome = banner.locator('.jp-Repro-History-outcome');
    await expect(outcome).toHaveAttribute('data-checked-out', 'true');
    const branch = (await outcome.getAttribute('data-branch'))!;
    expect(branch).toMatch(/^exp\/.+/);
    const status = await repro(
      page,
      'GET',
      `status?path=${encodeURIComponent(notebook)}`
    );
    expect(status.repository.branch).toBe(branch);
    await expect(page.locator('.jp-Repro-Status-branch')).toHaveText(branch);
    await expect(
      page.locator('.jp-Notification-Toast-success', {
        hasText: 'keeps its outputs'
      })
    ).toBeVisible();
    expect(await onDisk(page, notebook)).toEqual(saved);
    // The branch is at a commit whose notebook has the edit.
    const atBranch = execFileSync(
      'git',
      ['-C', repository, 'show', `refs/heads/${branch}:${name}`],
      { encoding: 'utf-8' }
    );
    expect(sourceOf(JSON.parse(atBranch), 'model')).toContain('"epochs": 20,');
    // Still nothing written beside the notebook.
    expect(
      (await listing(page, folder)).filter(f => f.endsWith('.ipynb'))
    ).toEqual([name]);
  });
});

test.describe('Runs while cells run, saveBeforeRun on', () => {
  test('saves the notebook before its cells run: the run is not marked unsaved', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(120000);
    const { notebook, name } = await demoRepository(page, tmpPath);
    await openAndEdit(page, notebook, name, 25);

    await page.notebook.run();
    // The file on disk has the edit.
    expect(sourceOf(await onDisk(page, notebook), 'model')).toContain(
      '"epochs": 25,'
    );
    const section = page.locator('.jp-Repro-Runs');
    const row = section.locator('.jp-Repro-Runs-run');
    await expect(row).toHaveCount(1, { timeout: 2000 });
    await expect(row).toHaveAttribute('data-status', 'FINISHED');
    await expect(row).not.toHaveClass(/jp-mod-unsaved/);
    await expect(row.locator('.jp-Repro-Runs-badge')).toHaveCount(0);
    // Saved but not committed: the run sits on a snapshot of its changes.
    await expect(
      section.locator('.jp-Repro-Runs-group', {
        has: page.locator('.jp-Repro-Runs-run')
      })
    ).toHaveAttribute('data-snapshot', 'true');

    // A console on the notebook's kernel runs code too: the sidebar keeps
    // the notebook, and the run shows up as soon as the kernel is idle
    // again, not at the next poll.
    await page.notebook.activate(name);
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute(
        'notebook:create-console'
      );
    });
    const prompt = page.locator('.jp-CodeConsole-input .cm-content');
    await expect(prompt).toBeVisible();
    // The sidebar keeps following the notebook the console runs on.
    await expect(row).toHaveCount(1);
    await prompt.click();
    await page.keyboard.type(
      'with mlflow.start_run(run_name="from-console"): mlflow.log_param("where", "console")'
    );
    await page.keyboard.press('Shift+Enter');
    await expect(
      page.locator('.jp-CodeConsole-content .jp-InputArea-prompt', {
        hasText: /\[\d+\]/
      })
    ).toHaveCount(1, { timeout: 30000 });
    await expect(row).toHaveCount(2, { timeout: 2000 });
    await expect(
      section.locator('.jp-Repro-Runs-run', { hasText: 'from-console' })
    ).toHaveCount(1);
  });
});
