/**
 * Hostile names render as text in every view: the repository header, the
 * snapshot section (changed files, diff preview, re-export), the runs panel
 * and the export dialog.
 *
 * The server (jupyter_server_test_config.py) prepares `hostile/`: a
 * repository whose branch, HEAD subject, tag, file names and notebook cells
 * are HTML/JS payloads, with uncommitted changes (a new cell in the notebook,
 * a new file), and two MLflow runs of that notebook whose run names,
 * parameters (keys and values), metric names, experiment name and tag
 * values are payloads. Each payload sets `window.__xss` if it ever becomes
 * HTML. The spec only reads: nothing in `hostile/` is changed.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

const SIDEBAR_ID = 'jp-repro-sidebar';

// As jupyter_server_test_config.py spells them.
const XSS_IMG = '<img src=x onerror=window.__xss=1>';
const XSS_SCRIPT = '<script>window.__xss=1</script>';
const XSS_SVG = '"><svg onload=window.__xss=1>';
const XSS_URL = 'javascript:alert(1)';
const XSS_SVG_TIGHT = '<svg/onload=window.__xss=1>';

const NOTEBOOK_NAME = `${XSS_IMG}.ipynb`;
const NOTEBOOK = `hostile/${NOTEBOOK_NAME}`;
const BRANCH = `exp/<b>bold</b>${XSS_SVG_TIGHT}`;
const SUBJECT = `exp: ${XSS_IMG} ${XSS_SCRIPT}`;
const UNTRACKED = `${XSS_SVG}.txt`;
const EXPERIMENT = `${XSS_SCRIPT} experiment`;

/**
 * Elements a payload would have created, anywhere in `scope`: images and
 * SVGs from the payloads, scripts, inline handlers, `javascript:` links,
 * the branch name's `<b>`.
 */
const FROM_PAYLOADS = [
  'img[src="x"]',
  'img[onerror]',
  'svg[onload]',
  'script',
  '[onerror]',
  '[onload]',
  'a[href^="javascript:"]',
  'b'
].join(', ');

async function expectInert(scope: Locator): Promise<void> {
  await expect(scope.locator(FROM_PAYLOADS)).toHaveCount(0);
}

async function openRepro(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(SIDEBAR_ID);
  await expect(page.locator(`#${SIDEBAR_ID}.jp-Repro-Sidebar`)).toBeVisible();
}

/** Expand one section of the Repro sidebar, fold the others. */
async function showSection(
  page: IJupyterLabPageFixture,
  title: RegExp
): Promise<void> {
  await openRepro(page);
  const titles = page.locator(`#${SIDEBAR_ID} .jp-AccordionPanel-title`);
  const count = await titles.count();
  for (let i = 0; i < count; i++) {
    const item = titles.nth(i);
    const wanted = title.test((await item.textContent()) ?? '');
    const expanded = (await item.getAttribute('aria-expanded')) === 'true';
    if (wanted !== expanded) {
      await item.click();
    }
  }
}

test.describe('Hostile names', () => {
  test('render as text in the header, snapshot, runs, compare and export views', async ({
    page
  }) => {
    const sidebar = page.locator(`#${SIDEBAR_ID}`);
    // alert() from a payload would open a browser dialog.
    const dialogs: string[] = [];
    page.on('dialog', dialog => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });

    // The notebook named like an <img> tag, opened like the file browser does.
    await page.evaluate(async path => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', {
        path
      });
    }, NOTEBOOK);
    await expect(page.locator('.jp-NotebookPanel .jp-Cell')).toHaveCount(3);
    await expect(
      page.getByRole('main').getByRole('tab', { name: NOTEBOOK_NAME })
    ).toHaveCount(1);

    // 1. Repository header: the path, branch and HEAD subject as text.
    await showSection(page, /^Repository/);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status.locator('.jp-Repro-Status-path')).toHaveText(NOTEBOOK);
    await expect(status.locator('.jp-Repro-Status-branch')).toHaveText(BRANCH);
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      SUBJECT
    );
    await expect(status.locator('.jp-Repro-Status-changes')).toHaveText(
      '2 changed files'
    );
    await expect(status.locator('.jp-Repro-Status-fileState')).toHaveText(
      'modified'
    );
    // git knows who commits here: no identity form to fill.
    await expect(status.locator('.jp-Repro-Identity')).toHaveCount(0);
    await expectInert(status);

    // 2. Snapshot & commit: both changed files, the diff, re-export.
    await showSection(page, /^Snapshot & commit/);
    const snapshot = page.locator('.jp-Repro-Snapshot');
    await expect(snapshot).toHaveAttribute('data-state', 'ready');
    const names = snapshot.locator('.jp-Repro-Snapshot-fileName');
    // The followed notebook first, then the new file.
    await expect(names).toHaveText([NOTEBOOK_NAME, UNTRACKED]);
    await expect(
      snapshot
        .locator('.jp-Repro-Snapshot-file')
        .filter({ hasText: NOTEBOOK_NAME })
    ).toHaveAttribute('data-classification', 'source');
    await expect(
      snapshot.locator('.jp-Repro-Snapshot-file').filter({ hasText: UNTRACKED })
    ).toHaveAttribute('data-state', 'untracked');
    const preview = snapshot.locator('.jp-Repro-Snapshot-preview');
    await expect(preview.locator('.jp-Repro-Snapshot-heading')).toHaveText(
      `Changes in ${NOTEBOOK_NAME} as saved (outputs ignored)`
    );
    const diff = preview.locator('.jp-Repro-Snapshot-diff .cm-content');
    await expect(diff).toContainText(`+print('${XSS_IMG}')`);
    await expect(
      snapshot.locator('button.jp-Repro-Export-reexport')
    ).toHaveText('Re-export to hostile_module.py');
    await expectInert(snapshot);

    // 3. Runs: names, metric columns, parameters, experiment, tag values.
    await showSection(page, /^Runs/);
    const runs = page.locator('.jp-Repro-Runs');
    await expect(runs).toHaveAttribute('data-state', 'ready');
    const group = runs.locator('.jp-Repro-Runs-group');
    await expect(group).toHaveCount(1);
    await expect(group.locator('.jp-Repro-Runs-subject')).toHaveText(SUBJECT);
    await expect(group.locator('.jp-Repro-Runs-branch')).toHaveText(BRANCH);
    // Newest first.
    await expect(runs.locator('.jp-Repro-Runs-runName')).toHaveText([
      XSS_SCRIPT,
      XSS_IMG
    ]);
    // The metric picker lists the metric names as text.
    const metrics0 = runs.locator('select.jp-Repro-Runs-metricPick option');
    await expect(metrics0.filter({ hasText: XSS_SVG })).toHaveCount(1);
    await expect(metrics0.filter({ hasText: 'acc' })).toHaveCount(1);

    const first = runs.locator('.jp-Repro-Runs-run', { hasText: XSS_IMG });
    await first.locator('button.jp-Repro-Runs-toggle').click();
    const details = runs.locator('.jp-Repro-Runs-details');
    await expect(details).toHaveCount(1);
    const params = details.locator('.jp-Repro-Runs-params dl');
    await expect(params.locator('dt')).toHaveText([XSS_SCRIPT, 'url']);
    await expect(params.locator('dd')).toHaveText([XSS_SVG, XSS_URL]);
    const metrics = details.locator('.jp-Repro-Runs-metrics dl');
    await expect(metrics.locator('dt')).toHaveText([XSS_SVG, 'acc']);
    const facts = details.locator('.jp-Repro-Runs-facts');
    await expect(facts).toContainText(EXPERIMENT);
    await expect(facts).toContainText(XSS_SVG); // mlflow.user
    await first.locator('button.jp-Repro-Runs-toggle').click();

    const second = runs.locator('.jp-Repro-Runs-run', { hasText: XSS_SCRIPT });
    await second.locator('button.jp-Repro-Runs-toggle').click();
    await expect(details).toHaveCount(1);
    await expect(details.locator('.jp-Repro-Runs-params dd')).toHaveText([
      XSS_IMG
    ]);
    await expect(details.locator('.jp-Repro-Runs-facts')).toContainText(
      XSS_URL
    );
    // A payload in the filter is echoed as text too.
    const filter = runs.locator('input.jp-Repro-Runs-filter');
    await filter.fill(`${XSS_SVG_TIGHT}-nomatch`);
    await expect(runs.locator('.jp-Repro-Runs-note')).toHaveText(
      `No loaded run matches “${XSS_SVG_TIGHT}-nomatch”.`
    );
    await expectInert(runs);
    await filter.fill('');
    await expect(runs.locator('.jp-Repro-Runs-run')).toHaveCount(2);

    // 4. The export dialog: title, the remembered selector, the module text.
    await page.evaluate(() => {
      // The command resolves when the dialog closes: do not wait for it.
      void (window as any).jupyterapp.commands.execute(
        'jupyterlab-repro:export'
      );
    });
    const dialog = page.locator('.jp-Dialog.jp-Repro-ExportDialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText(
      `Export cells of ${NOTEBOOK_NAME} to a module`
    );
    await expect(
      dialog.locator('input.jp-Repro-Export-choice[value="remembered"]')
    ).toBeChecked();
    await expect(
      dialog
        .locator('.jp-Repro-Export-choiceLabel')
        .filter({ hasText: 'As last time' })
    ).toHaveText(`As last time: tag:${XSS_SVG_TIGHT}`);
    const text = dialog.locator('.jp-Repro-Export-text');
    await expect(text).toContainText(`from ${NOTEBOOK_NAME}`);
    await expect(text).toContainText(`return '${XSS_SCRIPT}'  # ${XSS_SVG}`);
    await expect(dialog.locator('.jp-Repro-Export-summary')).toContainText(
      '1 cell'
    );
    await expectInert(dialog);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);

    // 5. The comparison of both runs: cards, parameters, metrics, the tab
    // title and the release dialog, all as text.
    await showSection(page, /^Runs/);
    await runs.locator('input.jp-Repro-Runs-check').nth(0).check();
    await runs.locator('input.jp-Repro-Runs-check').nth(1).check();
    await runs.locator('button.jp-Repro-Runs-compare').click();
    const view = page.locator('.jp-Repro-CompareWidget:visible');
    const compare = view.locator('.jp-Repro-Compare');
    await expect(compare).toHaveAttribute('data-state', 'ready', {
      timeout: 20000
    });
    await expect(compare.locator('.jp-Repro-Compare-cardName')).toHaveText([
      XSS_SCRIPT,
      XSS_IMG
    ]);
    const compared = compare.locator('.jp-Repro-Compare-params');
    await expect(
      compared.locator(`tr[data-key="${XSS_SCRIPT}"]`)
    ).toContainText(XSS_SVG);
    await expect(compared.locator('tr[data-key="note"]')).toContainText(
      XSS_IMG
    );
    await expect(
      compare.locator('.jp-Repro-Compare-metrics').getByText(XSS_SVG)
    ).not.toHaveCount(0);
    await expect(
      page.getByRole('main').getByRole('tab', { name: /^Compare: / })
    ).toContainText(XSS_IMG);
    await expectInert(view);
    await compare
      .locator('.jp-Repro-Compare-card', { hasText: XSS_IMG })
      .locator('.jp-Repro-Compare-release')
      .click();
    const release = page.locator('.jp-Dialog', {
      has: page.locator('input.jp-Repro-Release-name')
    });
    await expect(release.locator('.jp-Repro-Release-run')).toContainText(
      XSS_IMG
    );
    await expectInert(release);
    await release.getByRole('button', { name: 'Cancel' }).click();
    await expect(release).toHaveCount(0);

    // 6. The runs table: names, parameters and metric columns as text.
    await page.evaluate(async path => {
      await (window as any).jupyterapp.commands.execute(
        'jupyterlab-repro:runs-table',
        { path }
      );
    }, NOTEBOOK);
    const table = page.locator('.jp-Repro-RunsTableWidget:visible');
    await expect(table.locator('.jp-Repro-RunsTable')).toHaveAttribute(
      'data-state',
      'ready'
    );
    await expect(table.locator('.jp-Repro-RunsTable-runName')).toHaveText([
      XSS_SCRIPT,
      XSS_IMG
    ]);
    const heads = table.locator('th.jp-Repro-RunsTable-head');
    await expect(heads.filter({ hasText: XSS_SVG })).toHaveCount(1);
    await expect(heads.filter({ hasText: XSS_SCRIPT })).toHaveCount(1);
    await expect(
      page.getByRole('main').getByRole('tab', { name: /^Runs: / })
    ).toContainText(XSS_IMG);
    await expectInert(table);

    // Nothing ran, and nothing was made of a payload anywhere in the sidebar.
    expect(dialogs).toEqual([]);
    await expectInert(sidebar);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  });
});
