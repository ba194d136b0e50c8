/**
 * What the lab tells the user (issue 23), in the lab as a user meets it:
 *
 * - "Share run code" in a repository without a remote: a notification with
 *   the server's message (it used to reach only the server log);
 * - an edit typed and not saved: the diff preview says it lacks it, and
 *   "Save and preview" shows it — what the snapshot will commit;
 * - a 2,255-character commit subject: counted and warned about, its rest
 *   moved to the details; a long notification is not cut by JupyterLab
 *   but shortened at a sentence with "Show all", whose dialog holds all of it.
 *
 * Screenshots go to the ignored ui-tests/screenshots/.
 */
import * as fs from 'fs';
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
  openRepro,
  showRuns
} from './support/repro';

const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

async function shoot(page: IJupyterLabPageFixture, name: string) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.mouse.move(640, 790); // no hover effect in the picture
  await page.screenshot({ path: path.join(SCREENSHOTS, name) });
}

/** The 2,255-character subject of the issue: 451 words, one line. */
const LONG =
  Array.from({ length: 451 }, (_, i) => `w${String(i).padStart(3, '0')}`).join(
    ' '
  ) + '.';

test.describe('Failures and labels that speak', () => {
  test.use({
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      // An edit stays unsaved until the test (or the user) saves it.
      '@jupyterlab/docmanager-extension:plugin': { autosave: false }
    }
  });

  test('share run code without a remote: a notification with the server message', async ({
    page,
    tmpPath
  }) => {
    const { notebook, name } = await demoRepository(page, tmpPath, 'noremote');
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await showRuns(page);

    await page.locator('button.jp-Repro-Runs-share').click();
    const toast = page.locator('.jp-Notification-Toast-error', {
      hasText:
        'The repository has no remote to share run code with (git remote add).'
    });
    await expect(toast).toBeVisible({ timeout: 15000 });
    // The whole message, on lines of its own inside the toast.
    const message = toast.locator('.jp-toast-message');
    await expect(message).toHaveText(
      'The repository has no remote to share run code with (git remote add).'
    );
    const box = await toast.boundingBox();
    const text = await message.boundingBox();
    expect(text!.x + text!.width).toBeLessThanOrEqual(box!.x + box!.width + 1);
    // The fix, when the lab has terminals: one in the notebook's folder.
    const terminals = await page.evaluate(() =>
      (window as any).jupyterapp.commands.hasCommand('terminal:create-new')
    );
    await expect(
      toast.getByRole('button', { name: 'Open a terminal' })
    ).toHaveCount(terminals ? 1 : 0);
    await shoot(page, 'feedback-share-no-remote.png');
  });

  test('the preview saves first to show an unsaved edit', async ({
    page,
    tmpPath
  }) => {
    const { notebook, name } = await demoRepository(page, tmpPath, 'preview');
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await openRepro(page);
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(section).toHaveAttribute('data-state', 'ready');
    const preview = section.locator('.jp-Repro-Snapshot-preview');
    await expect(preview.locator('.jp-Repro-Snapshot-heading')).toHaveText(
      `Changes in ${name} as saved (outputs ignored)`
    );

    // The kernel started and wrote its language_info (the notebook is
    // "modified"): no code is unsaved, nothing is said.
    await expect(
      page.locator('#jp-main-statusbar', { hasText: /\|\s*Idle/ })
    ).toHaveCount(1, { timeout: 60000 });
    await expect(section.locator('.jp-Repro-Snapshot-unsaved')).toHaveCount(0);

    // Typed, not saved: the preview says what it lacks.
    await editEpochs(page, name, 7);
    const unsaved = section.locator('.jp-Repro-Snapshot-unsaved');
    await expect(unsaved).toContainText(
      `${name} has unsaved changes: the changes and preview below are of the saved notebook; a snapshot saves first.`
    );
    await expect(unsaved).toBeInViewport();
    await expect(preview).toContainText(
      'Unsaved changes are not in this preview yet.'
    );
    await expect(preview.locator('.jp-Repro-Snapshot-diff')).toHaveCount(0);
    await shoot(page, 'feedback-preview-unsaved.png');

    await unsaved.getByRole('button', { name: 'Save and preview' }).click();
    const diff = preview.locator('.jp-Repro-Snapshot-diff .cm-content');
    await expect(diff).toContainText('+    "epochs": 7,', { timeout: 15000 });
    await expect(diff).toContainText('-    "epochs": 15,');
    await expect(preview.locator('.jp-Repro-Snapshot-saved')).toHaveText(
      `${name} was saved to show what will be committed.`
    );
    // Brought into view: the user asked to see it.
    await expect(preview.locator('.jp-Repro-Snapshot-saved')).toBeInViewport();
    await expect(unsaved).toHaveCount(0);
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty', {
        hasText: name
      })
    ).toHaveCount(0);
    await shoot(page, 'feedback-preview-saved.png');
  });

  test('a 2,255-character subject: counted, warned about, refused with a toast whole behind "Show all", its rest in the details', async ({
    page,
    tmpPath
  }) => {
    expect(LONG.length).toBe(2255);
    const { notebook, name } = await demoRepository(page, tmpPath, 'subject');
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    await editEpochs(page, name, 9);
    expect(await page.notebook.save()).toBe(true);
    await openRepro(page);
    const section = page.locator('.jp-Repro-Snapshot');
    await expect(section).toHaveAttribute('data-state', 'ready');
    // The saved edit is listed (the section has read the changes again).
    await expect(
      section.locator(`.jp-Repro-Snapshot-file[data-path="${name}"]`)
    ).toHaveAttribute('data-classification', 'source');
    const message = section.locator('input.jp-Repro-Snapshot-message');
    const form = section.locator('form.jp-Repro-Snapshot-form');
    const formHeight = (await form.boundingBox())!.height;

    await message.fill(LONG);
    const info = section.locator('.jp-Repro-Snapshot-subjectInfo');
    await expect(info.locator('.jp-Repro-Snapshot-counter')).toHaveText(
      '2260/72'
    );
    await expect(info).toContainText("Longer than git's 72 characters");
    // The form stays about its size: the subject does not fill the section.
    expect((await form.boundingBox())!.height).toBeLessThan(formHeight + 120);
    await shoot(page, 'feedback-subject-long.png');

    await info
      .getByRole('button', { name: 'Move the rest to the details' })
      .click();
    await expect(info.locator('.jp-Repro-Snapshot-subjectWarning')).toHaveCount(
      0
    );
    await expect(info.locator('.jp-Repro-Snapshot-counter')).toHaveText(
      /^(5\d|6\d|7[0-2])\/72$/
    );
    const subject = await message.inputValue();
    expect(`exp: ${subject}`.length).toBeLessThanOrEqual(72);
    const body = section.locator('textarea.jp-Repro-Snapshot-body');
    expect(`${subject} ${await body.inputValue()}`).toBe(LONG);
    const bodyBox = (await body.boundingBox())!;
    expect(bodyBox.height).toBeGreaterThan(40); // it grew with its text
    expect(bodyBox.height).toBeLessThan(260); // up to a limit
    await shoot(page, 'feedback-subject-moved.png');

    // Committed with the long subject after all: the server refuses a
    // subject line over 200 characters, the toast says why, whole behind
    // "Show all", and nothing is committed.
    await body.fill('');
    await message.fill(LONG);
    await section.locator('button.jp-Repro-Snapshot-commit').click();
    const refused = page.locator('.jp-Notification-Toast-error', {
      hasText: 'The commit subject is 2,260 characters long'
    });
    await expect(refused).toBeVisible({ timeout: 15000 });
    const shown = (await refused.locator('.jp-toast-message').textContent())!;
    expect(shown.length).toBeLessThanOrEqual(140);
    expect(shown.endsWith('…')).toBe(true);
    await expect(
      section.locator(`.jp-Repro-Snapshot-file[data-path="${name}"]`)
    ).toHaveAttribute('data-classification', 'source');
    await expect(message).toHaveValue(LONG); // the user's text is kept
    await shoot(page, 'feedback-toast-long.png');

    await refused.getByRole('button', { name: 'Show all' }).click();
    const full = page.locator('.jp-Dialog .jp-Repro-Notice-full');
    await expect(full).toContainText(
      'Keep the subject short and put the rest in the body.'
    );
    const dialogBox = (await page.locator('.jp-Dialog-content').boundingBox())!;
    expect(dialogBox.height).toBeLessThanOrEqual(800);
    await shoot(page, 'feedback-toast-show-all.png');
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Close' })
      .click();

    // The rest moved to the details, it commits; the committed subject in
    // the section takes two lines at most.
    await info
      .getByRole('button', { name: 'Move the rest to the details' })
      .click();
    const short = await message.inputValue();
    await section.locator('button.jp-Repro-Snapshot-commit').click();
    await expect(
      page.locator('.jp-Notification-Toast-success', { hasText: 'Committed' })
    ).toBeVisible({ timeout: 15000 });
    const result = section.locator('.jp-Repro-Snapshot-resultSubject');
    await expect(result).toHaveAttribute('title', `exp: ${short}`);
    expect((await result.boundingBox())!.height).toBeLessThan(50);
  });
});
