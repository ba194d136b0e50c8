/**
 * Beside jupyterlab-git and nbdime, as the Docker Stacks images ship them.
 *
 * Runs only in `make ui-test-git` (a clean venv with the wheel and
 * jupyterlab-git, which brings nbdime); `make ui-test` leaves these tests out
 * with `--grep-invert @coexist`. Without jupyterlab-git loaded they fail.
 *
 * Checked: both sidebars load and show the same repository; no command id or
 * key binding of ours clashes with theirs; a snapshot committed from the
 * Repro sidebar shows in their History; their "Clean & Commit" (the output
 * clearing commit jupyterlab-git offers when a staged notebook has outputs)
 * is picked up by the Repro header, and a snapshot still works after it;
 * nbdime's git diff and the Repro diff preview both render a modified
 * notebook.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  demoRepository,
  editEpochs,
  openRepro,
  SIDEBAR_ID,
  unique
} from './support/repro';

/** jupyterlab-git's side panel (its id in @jupyterlab/git 0.55). */
const GIT_ID = 'jp-git-sessions';

/** What a commit box user types when jupyterlab-git asks who is committing. */
const IDENTITY = { name: 'Repro UI Tests', email: 'ui-tests@example.invalid' };

async function openGit(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(GIT_ID);
  await expect(page.locator(`#${GIT_ID}`)).toBeVisible();
}

async function openNotebook(
  page: IJupyterLabPageFixture,
  folder: string,
  name: string
): Promise<void> {
  // jupyterlab-git follows the file browser's folder, Repro the active notebook.
  await page.sidebar.openTab('filebrowser');
  await page.filebrowser.openDirectory(folder);
  expect(await page.notebook.openByPath(`${folder}/${name}`)).toBe(true);
  await page.notebook.activate(name);
}

/**
 * The commits jupyterlab-git's History lists, newest first (0.55 shows
 * Changes, History and Branches as sections of one panel, all expanded).
 */
function gitHistory(page: IJupyterLabPageFixture) {
  return page
    .locator(`#${GIT_ID}`)
    .getByRole('region', { name: 'History Section' })
    .locator('li[title="View commit details"]');
}

interface IBinding {
  command: string;
  keys: string[];
  selector: string;
}

/** Two key sequences collide when one starts the other (or they are equal). */
function sameOrPrefix(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n).every((chord, i) => chord === b[i]);
}

test.describe('Beside jupyterlab-git and nbdime @coexist', () => {
  test('both sidebars load and show the demo repository', async ({ page }) => {
    await page.filebrowser.openDirectory('demo');

    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText('main');
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      /clean/
    );

    await openGit(page);
    const git = page.locator(`#${GIT_ID}`);
    await expect(git.locator('.jp-git-toolbarRepository')).toContainText(
      'demo'
    );
    await expect(git.locator('.jp-git-toolbarBranch')).toContainText('main');
    // Clean for them too: no file listed as staged, changed or untracked.
    await expect(
      git
        .getByRole('region', { name: 'Changes Section' })
        .locator('[title*=" • "]')
    ).toHaveCount(0);
    await expect(gitHistory(page).first()).toContainText(
      'feat: sample training notebook'
    );
    await expect(gitHistory(page).nth(1)).toContainText(
      'chore: initialize repository'
    );

    // Both tabs stay in the left side bar; switching keeps ours working.
    await openRepro(page);
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'feat: sample training notebook'
    );
    await expect(
      page.locator(`.jp-SideBar [data-id="${GIT_ID}"]`)
    ).toBeVisible();
    await expect(
      page.locator(`.jp-SideBar [data-id="${SIDEBAR_ID}"]`)
    ).toBeVisible();
  });

  test('commands and keyboard shortcuts do not clash', async ({ page }) => {
    // Their lazily added commands and the selectors' targets exist once
    // the Git panel and a notebook are open.
    await openNotebook(page, 'demo', 'train.ipynb');
    await openGit(page);

    const { commands, bindings } = await page.evaluate(() => {
      const registry = (window as any).jupyterapp.commands;
      return {
        commands: registry.listCommands() as string[],
        bindings: (registry.keyBindings as IBinding[]).map(b => ({
          command: b.command,
          keys: [...b.keys],
          selector: b.selector
        }))
      };
    });
    const isOurs = (id: string) => id.startsWith('jupyterlab-repro:');
    const isTheirs = (id: string) =>
      id.startsWith('git:') || id.startsWith('nbdime:');
    const ours = commands.filter(isOurs);
    const theirs = commands.filter(isTheirs);
    const ourBindings = bindings.filter(b => isOurs(b.command));
    const theirBindings = bindings.filter(b => isTheirs(b.command));
    const summary =
      `commands: ${commands.length} (ours ${ours.length}, git/nbdime ` +
      `${theirs.length}); key bindings: ${bindings.length} (ours ` +
      `${ourBindings.length}, git/nbdime ${theirBindings.length})`;
    test.info().annotations.push({ type: 'registries', description: summary });
    console.log(summary);

    expect(theirs.filter(id => id.startsWith('git:')).length).toBeGreaterThan(
      10
    );
    expect(theirs).toContain('nbdime:diff-git');
    expect(ours.length).toBeGreaterThan(10);
    expect(ours.filter(id => theirs.includes(id))).toEqual([]);
    expect(new Set(commands).size).toBe(commands.length);
    expect(ourBindings.length).toBeGreaterThan(0);
    expect(theirBindings.length).toBeGreaterThan(0);

    // A clash: the same key sequence (or one a prefix of the other) where
    // both selectors can receive the key, i.e. equal selectors, or one
    // matching an element of the other's (or an ancestor of it) in the page.
    const pairs = ourBindings.flatMap(o =>
      bindings
        .filter(t => !isOurs(t.command) && sameOrPrefix(o.keys, t.keys))
        .map(t => ({ ours: o, theirs: t }))
    );
    const clashes = await page.evaluate(
      list =>
        list.filter(({ ours, theirs }) => {
          if (ours.selector === theirs.selector) {
            return true;
          }
          const reaches = (inner: string, outer: string) =>
            [...document.querySelectorAll(inner)].some(
              node => node.closest(outer) !== null
            );
          return (
            reaches(theirs.selector, ours.selector) ||
            reaches(ours.selector, theirs.selector)
          );
        }),
      pairs
    );
    const described = (list: typeof pairs) =>
      list.map(
        ({ ours, theirs }) =>
          `${ours.command} [${ours.keys.join(', ')}] on ${ours.selector} vs ` +
          `${theirs.command} [${theirs.keys.join(', ')}] on ${theirs.selector}`
      );
    console.log(
      `same key sequence as ours: ${pairs.length}; reachable together: ${clashes.length}`,
      described(clashes)
    );
    expect(
      described(clashes.filter(({ theirs }) => isTheirs(theirs.command)))
    ).toEqual([]);
    expect(
      described(pairs.filter(({ theirs }) => isTheirs(theirs.command)))
    ).toEqual([]);

    // And the keys work in each other's territory: ours from inside their
    // commit box (Accel Alt R opens the Repro sidebar) ...
    const commitBox = page
      .locator(`#${GIT_ID}`)
      .getByRole('textbox', { name: /Commit message/ });
    await commitBox.click();
    await page.keyboard.press('Control+Alt+R');
    await expect(page.locator(`#${SIDEBAR_ID}`)).toBeVisible();
    await expect(page.locator(`#${GIT_ID}`)).toBeHidden();
  });

  test('a snapshot committed from the Repro sidebar shows in the Git history', async ({
    page,
    tmpPath
  }) => {
    const id = unique();
    const { folder, name } = await demoRepository(page, tmpPath, 'history');
    await openNotebook(page, folder, name);
    await openGit(page);
    await expect(gitHistory(page).first()).toContainText(
      'feat: sample training notebook'
    );

    await editEpochs(page, name, 25);
    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(section).toHaveAttribute('data-state', 'ready');
    await section
      .locator('input.jp-Repro-Snapshot-message')
      .fill(`beside git ${id}`);
    await section.locator('button.jp-Repro-Snapshot-commit').click();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      `exp: beside git ${id}`
    );
    const sha = await status.locator('.jp-Repro-Status-headSha').innerText();

    // Their panel picks the commit up when shown (no refresh click).
    await openGit(page);
    await expect(gitHistory(page).first()).toContainText(
      `exp: beside git ${id}`
    );
    await expect(gitHistory(page).first()).toContainText(sha.slice(0, 7));
    await expect(gitHistory(page)).toHaveCount(3);
    // Both see the same working copy: what the snapshot left out (the
    // saved notebook's outputs and metadata) is a modified file for them,
    // an outputs-only change that would commit nothing for us.
    await expect(
      page.locator(`#${GIT_ID} [title="${name} • Modified"]`)
    ).toHaveCount(1);
    await openRepro(page);
    await expect(
      section.locator(`.jp-Repro-Snapshot-file[data-path="${name}"]`)
    ).toHaveAttribute('data-classification', 'outputs-only');
  });

  test('their "Clean & Commit" moves the Repro header, and a snapshot still works after it', async ({
    page,
    tmpPath
  }) => {
    // A kernel run, their output cleaning (`jupyter nbconvert` in a child
    // process, 8-14 s on two cores) and two commits.
    test.setTimeout(150000);
    const id = unique();
    const { folder, name, notebook } = await demoRepository(
      page,
      tmpPath,
      'clean'
    );
    await openNotebook(page, folder, name);

    // An output and a source change, saved: what their commit dialog is for.
    await page.notebook.addCell('code', 'print("clean" + "-and-" + "commit")');
    const cells = await page
      .locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell')
      .count();
    await page.notebook.runCell(cells - 1);
    const outputs = page.locator(
      '.jp-NotebookPanel:visible .jp-OutputArea-output'
    );
    await expect(outputs.filter({ hasText: 'clean-and-commit' })).toHaveCount(
      1
    );
    await editEpochs(page, name, 40);
    expect(await page.notebook.save()).toBe(true);

    const status = page.locator('.jp-Repro-Status');
    await openRepro(page);
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      /1 changed file/
    );
    const before = await status.locator('.jp-Repro-Status-headSha').innerText();

    // Stage and commit in their panel, with their shortcut (Ctrl+Enter).
    await openGit(page);
    const git = page.locator(`#${GIT_ID}`);
    const file = git.locator(`[title="${name} • Modified"]`);
    await file.hover();
    await file.getByRole('button', { name: 'Stage this change' }).click();
    const summary = `train on more epochs ${id}`;
    const box = git.getByRole('textbox', { name: /Commit message/ });
    await box.fill(summary);
    await box.press('Control+Enter');

    // Under the test server git has no configured identity: they ask (and
    // write it to the repository's config) as they would for a new user.
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Who is committing?');
    await dialog.getByPlaceholder('Name').fill(IDENTITY.name);
    await dialog.getByPlaceholder('Email').fill(IDENTITY.email);
    await dialog.getByRole('button', { name: 'Ok' }).click();
    await expect(dialog).toContainText('Notebook outputs detected');
    await dialog.getByRole('button', { name: 'Clean & Commit' }).click();
    await expect(dialog).toHaveCount(0);
    // Cleaning runs `jupyter nbconvert` in a child process: seconds here.
    await expect(gitHistory(page).first()).toContainText(summary, {
      timeout: 60000
    });

    // What they committed has no outputs (cleaned on disk, then staged).
    const onDisk = await page.request.get(
      `/api/contents/${notebook}?content=1&type=notebook`
    );
    expect(onDisk.ok()).toBe(true);
    const cleaned = (await onDisk.json()).content.cells.filter(
      (cell: any) => cell.cell_type === 'code'
    );
    expect(cleaned.some((cell: any) => cell.source.includes('-and-'))).toBe(
      true
    );
    expect(cleaned.flatMap((cell: any) => cell.outputs)).toEqual([]);

    // The Repro header follows their commit without a refresh click.
    await openRepro(page);
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      summary
    );
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText('main');
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      /clean/
    );
    const theirs = await status.locator('.jp-Repro-Status-headSha').innerText();
    expect(theirs).not.toBe(before);
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(section).toHaveAttribute('data-state', 'ready');

    // A second snapshot, ours, on top of theirs: the notebook on disk was
    // rewritten under the open one, so JupyterLab asks before overwriting.
    await page.notebook.activate(name);
    await editEpochs(page, name, 45, 40);
    await openRepro(page);
    await section
      .locator('input.jp-Repro-Snapshot-message')
      .fill(`after their commit ${id}`);
    await section.locator('button.jp-Repro-Snapshot-commit').click();
    const changed = page.locator('.jp-Dialog', { hasText: 'File Changed' });
    await expect(changed).toContainText('has changed on disk');
    await changed.getByRole('button', { name: 'Overwrite' }).click();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      `exp: after their commit ${id}`
    );
    await expect(status.locator('.jp-Repro-Status-headSha')).not.toHaveText(
      theirs
    );
    // The open notebook kept its output; the snapshot left it out.
    await expect(outputs.filter({ hasText: 'clean-and-commit' })).toHaveCount(
      1
    );
    await expect(
      section.locator(`.jp-Repro-Snapshot-file[data-path="${name}"]`)
    ).toHaveAttribute('data-classification', 'outputs-only');

    // Their History has both commits, ours on top of theirs.
    await openGit(page);
    await expect(gitHistory(page).first()).toContainText(
      `exp: after their commit ${id}`
    );
    await expect(gitHistory(page).nth(1)).toContainText(summary);
  });

  test("nbdime's git diff and the Repro diff preview both render a modified notebook", async ({
    page
  }) => {
    // Not in the test's own folder: nbdime 4.0.4 diffs a working copy inside
    // `pushd(repo)`, which never changes back (it returns to os.curdir, '.'),
    // so the whole server stays in that repository. Once Galata deleted it,
    // no kernel could start and in-process nbconvert failed for the specs
    // that follow ("Error Starting Kernel: [Errno 2] No such file or
    // directory"). A folder that outlives the test keeps them working.
    const { folder, name } = await demoRepository(
      page,
      'coexist-nbdime',
      'diff'
    );
    await openNotebook(page, folder, name);
    await editEpochs(page, name, 35);
    expect(await page.notebook.save()).toBe(true);

    // Ours: the output-blind preview in "Snapshot & commit".
    await openRepro(page);
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(
      section.locator(`.jp-Repro-Snapshot-file[data-path="${name}"]`)
    ).toHaveAttribute('data-classification', 'source');
    const diff = section.locator('.jp-Repro-Snapshot-diff');
    await expect(diff).toContainText('+    "epochs": 35,');
    await expect(diff).toContainText('-    "epochs": 15,');

    // Theirs: nbdime's "diff against git HEAD" button in the notebook toolbar.
    await page.notebook.activate(name);
    const button = page.locator(
      '.jp-NotebookPanel:visible .jp-NotebookPanel-toolbar .nbdime-toolbarButton'
    );
    await button
      .and(page.locator('[data-jp-item-name="Notebook Git diff"]'))
      .locator('jp-button')
      .click();
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: `Diff git: ${name.replace(/\.ipynb$/, '')}`
      })
    ).toHaveCount(1);
    const nbdiff = page.locator('.nbdime-Widget:visible');
    await expect(nbdiff).toContainText('Cell ID: model');
    await expect(nbdiff).toContainText('"epochs": 15,');
    await expect(nbdiff).toContainText('"epochs": 35,');

    // With their diff tab active Repro follows the folder (the file is
    // listed, no notebook to snapshot); back on the notebook, the preview.
    await openRepro(page);
    await expect(
      section.locator(`.jp-Repro-Snapshot-file[data-path="${name}"]`)
    ).toHaveAttribute('data-classification', 'source');
    await page.notebook.activate(name);
    await expect(diff).toContainText('+    "epochs": 35,');
    await expect(nbdiff).toBeHidden();
  });
});
