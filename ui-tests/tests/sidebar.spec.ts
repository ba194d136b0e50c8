/**
 * The Repro sidebar in JupyterLab: repository status for the followed
 * notebook or folder, initialization outside a repository, commands.
 *
 * The server (jupyter_server_test_config.py) prepares `demo/` (a repository
 * whose HEAD is "feat: sample training notebook") and `scratch/` (a plain
 * folder with untitled.ipynb) in its root.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

const SIDEBAR_ID = 'jp-repro-sidebar';
// Written to the ignored ui-tests/screenshots/; `make screenshots` copies it
// to docs/images/ for the README (tests never write tracked files).
const SCREENSHOT = path.resolve(__dirname, '..', 'screenshots', 'sidebar.png');
const DEMO = fs.readFileSync(
  path.resolve(__dirname, '..', '..', 'demo', 'train.ipynb'),
  'utf-8'
);
/** The demo notebook's suggested edit. */
const LEARNING_RATE = '"learning_rate": 0.001,';
const LEARNING_RATE_EDIT = '"learning_rate": 0.01,';

async function openRepro(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(SIDEBAR_ID);
  await expect(page.locator(`#${SIDEBAR_ID}.jp-Repro-Sidebar`)).toBeVisible();
}

async function openFileBrowser(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab('filebrowser');
  await expect(page.locator('#filebrowser')).toBeVisible();
}

test.describe('Repro sidebar', () => {
  test('follows the file browser and the active notebook into the demo repository', async ({
    page
  }) => {
    const status = page.locator('.jp-Repro-Status');

    // Galata starts the file browser in this test's own folder: no repository.
    await openRepro(page);
    await expect(status).toHaveAttribute('data-state', 'not-repository');

    await openFileBrowser(page);
    await page.filebrowser.openDirectory('demo');
    await openRepro(page);
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText('main');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );
    await expect(status.locator('.jp-Repro-Status-headSha')).toHaveText(
      /^[0-9a-f]{7,}$/
    );
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      /clean/
    );
    await expect(status.locator('.jp-Repro-Status-path')).toContainText('demo');

    await openFileBrowser(page);
    expect(await page.notebook.openByPath('demo/train.ipynb')).toBe(true);
    await openRepro(page);
    await expect(status.locator('.jp-Repro-Status-path')).toContainText(
      'train.ipynb'
    );
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );
  });

  test('shows a commit, the diff preview of an edit and the runs of the notebook @screenshot', async ({
    page,
    tmpPath
  }) => {
    // The README picture: the demo notebook in a repository of its own,
    // committed, run, edited (the preview shows the edit) and run again.
    test.setTimeout(240000);
    const folder = `${tmpPath}/demo-${Date.now().toString(36)}`;
    const name = 'train.ipynb';
    const notebook = `${folder}/${name}`;
    expect(await page.contents.uploadContent(DEMO, 'text', notebook)).toBe(
      true
    );
    for (const [endpoint, data] of [
      ['init', { path: folder }],
      [
        'snapshot',
        { path: notebook, message: 'sample training notebook', type: 'feat' }
      ]
    ] as const) {
      const response = await page.request.post(
        `/jupyterlab-repro/${endpoint}`,
        { data }
      );
      expect(response.ok(), await response.text()).toBe(true);
    }

    await openFileBrowser(page);
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );

    // A first run of the committed code.
    const runs = page.locator('.jp-Repro-Runs');
    await page.notebook.run();
    await expect(runs.locator('.jp-Repro-Runs-run')).toHaveCount(1, {
      timeout: 60000
    });

    // The edit the notebook suggests, saved: a source change to preview.
    const edited = await page.evaluate(
      ([from, to]) => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        for (const cell of panel.content.widgets) {
          const source: string = cell.model.sharedModel.getSource();
          if (source.includes(from)) {
            cell.model.sharedModel.setSource(source.replace(from, to));
            return true;
          }
        }
        return false;
      },
      [LEARNING_RATE, LEARNING_RATE_EDIT]
    );
    expect(edited).toBe(true);
    expect(await page.notebook.save()).toBe(true);
    await page.notebook.run();
    await expect(runs.locator('.jp-Repro-Runs-run')).toHaveCount(2, {
      timeout: 60000
    });
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(
      section.locator(
        `.jp-Repro-Snapshot-file[data-path="${name}"][data-classification="source"]`
      )
    ).toHaveCount(1);
    await expect(
      section.locator('.jp-Repro-Snapshot-diffLine.jp-mod-added', {
        hasText: LEARNING_RATE_EDIT
      })
    ).toHaveCount(1);
    await page
      .locator('input.jp-Repro-Snapshot-message')
      .fill('a faster learning rate');
    // With a preview to show, the snapshot button is still in view.
    expect(
      await page.evaluate(() => {
        const button = document.querySelector(
          'button.jp-Repro-Snapshot-commit'
        );
        const host = document.querySelector('.jp-Repro-SnapshotSection');
        if (!button || !host) {
          return false;
        }
        const box = button.getBoundingClientRect();
        const view = host.getBoundingClientRect();
        return (
          box.height > 0 && box.top >= view.top && box.bottom <= view.bottom
        );
      })
    ).toBe(true);

    // The picture: the notebook at its plot, the sidebar beside it.
    const launcherTab = page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
      hasText: 'Launcher'
    });
    if (await launcherTab.count()) {
      await launcherTab.locator('.lm-TabBar-tabCloseIcon').click();
    }
    await page
      .locator('#jp-main-statusbar', { hasText: 'Idle' })
      .waitFor({ timeout: 20000 })
      .catch(() => undefined);
    await page
      .locator('.jp-NotebookPanel:visible .jp-OutputArea-output img')
      .first()
      .scrollIntoViewIfNeeded()
      .catch(() => undefined);
    // The picture shows the button and the preview below it.
    await page
      .locator('button.jp-Repro-Snapshot-commit')
      .evaluate(button => button.scrollIntoView({ block: 'start' }));
    await page.mouse.move(640, 780); // no hover effect in the picture
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  test('offers to initialize a repository next to a notebook outside one', async ({
    page
  }) => {
    expect(await page.notebook.openByPath('scratch/untitled.ipynb')).toBe(true);
    await openRepro(page);

    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'not-repository');
    const init = page.locator('button.jp-Repro-Status-init');
    await expect(init).toBeVisible();
    await expect(init).toHaveText('Initialize a repository here');
  });

  test('initializes a repository in a plain folder, then refreshes', async ({
    page,
    tmpPath
  }) => {
    const folder = `${tmpPath}/project`;
    await page.contents.createDirectory(folder);
    await page.contents.uploadContent(
      'print("hello")\n',
      'text',
      `${folder}/train.py`
    );

    await page.filebrowser.openDirectory(folder);
    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'not-repository');

    await page.locator('button.jp-Repro-Status-init').click();
    // The frontend asks for confirmation first (a JupyterLab dialog).
    const accept = page.locator('.jp-Dialog .jp-mod-accept');
    await expect(
      accept.or(status.locator('.jp-Repro-Status-branch'))
    ).toBeVisible();
    if (await accept.isVisible()) {
      await accept.click();
    }
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText('main');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'chore: initialize repository'
    );
    // Only .gitignore is committed: train.py stays untracked.
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      /1 changed file/
    );

    await page.contents.uploadContent(
      'seed = 0\n',
      'text',
      `${folder}/config.py`
    );
    const refresh = page.locator('button.jp-Repro-Status-refresh');
    await expect(refresh).toHaveAttribute('aria-label', 'Refresh');
    await refresh.click();
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      /2 changed files/
    );
  });

  test('registers its commands, and "open" shows the sidebar', async ({
    page
  }) => {
    for (const id of [
      'jupyterlab-repro:open',
      'jupyterlab-repro:refresh',
      'jupyterlab-repro:init'
    ]) {
      const registered = await page.evaluate(
        commandId => (window as any).jupyterapp.commands.hasCommand(commandId),
        id
      );
      expect(registered, id).toBe(true);
    }

    // The tab in the left side bar carries the caption "Repro".
    await expect(page.sidebar.getTabLocator(SIDEBAR_ID)).toHaveAttribute(
      'title',
      /Repro/
    );
    await expect(page.locator(`#${SIDEBAR_ID}`)).toBeHidden();
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute(
        'jupyterlab-repro:open'
      );
    });
    await expect(page.locator(`#${SIDEBAR_ID}`)).toBeVisible();
    expect(await page.sidebar.isTabOpen(SIDEBAR_ID)).toBe(true);
  });
});
