/**
 * The Repro sidebar at JupyterLab's default left-area width (1280×800):
 * the Repository section is compact with the HEAD subject in full on hover,
 * the snapshot button is in view, no section reopens 0 px tall after it was
 * collapsed and the page reloaded, labels do not wrap; with runs and a
 * release, at the default width and at 400 px, nothing in the sidebar
 * scrolls sideways, no run name or metric is cut, the Repository section is
 * as tall as its facts, the diff preview shows 8 lines with Runs open and
 * the Releases section stays compact; after a commit the header and the
 * snapshot section agree on "outputs only"; an empty message says why
 * nothing happened; the export notification, which has an action, stays
 * until dismissed.
 *
 * Specs that commit work in a repository of their own in Galata's per-test
 * folder; `demo/` is only read.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  DEMO,
  editEpochs,
  openRepro,
  repro,
  SIDEBAR_ID,
  unique
} from './support/repro';

// Written to the ignored ui-tests/screenshots/; `make screenshots` copies
// them into docs/images/ for the README.
const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

const DEMO_NOTEBOOK = path.resolve(
  __dirname,
  '..',
  '..',
  'demo',
  'train.ipynb'
);
const SUBJECT = 'feat: sample training notebook';

async function openNotebook(
  page: IJupyterLabPageFixture,
  notebook: string
): Promise<void> {
  await page.sidebar.openTab('filebrowser');
  await expect(page.locator('#filebrowser')).toBeVisible();
  expect(await page.notebook.openByPath(notebook)).toBe(true);
}

function sectionTitle(page: IJupyterLabPageFixture, name: string | RegExp) {
  return page
    .locator(`#${SIDEBAR_ID} .jp-AccordionPanel-title`)
    .filter({ hasText: name });
}

/** The element lies inside the visible part of its sidebar section. */
async function inSectionView(
  page: IJupyterLabPageFixture,
  selector: string,
  section: string
): Promise<boolean> {
  return page.evaluate(
    ([target, host]) => {
      const element = document.querySelector(target);
      const container = document.querySelector(host);
      if (!element || !container) {
        return false;
      }
      const box = element.getBoundingClientRect();
      const view = container.getBoundingClientRect();
      return (
        box.height > 0 &&
        box.top >= view.top - 1 &&
        box.bottom <= view.bottom + 1 &&
        box.bottom <= window.innerHeight
      );
    },
    [selector, section]
  );
}

/**
 * A folder holding the demo notebook, made a repository by the server (its
 * first commit holds the ML .gitignore only).
 */
async function makeRepository(
  page: IJupyterLabPageFixture,
  folder: string
): Promise<string> {
  const notebook = `${folder}/train.ipynb`;
  expect(
    await page.contents.uploadContent(
      fs.readFileSync(DEMO_NOTEBOOK, 'utf-8'),
      'text',
      notebook
    )
  ).toBe(true);
  const response = await page.request.post('/jupyterlab-repro/init', {
    data: { path: folder }
  });
  expect(response.ok(), await response.text()).toBe(true);
  return notebook;
}

test.describe('Sidebar layout at the default width', () => {
  test('compact repository facts, the snapshot button in view, labels on one line', async ({
    page
  }) => {
    await openNotebook(page, 'demo/train.ipynb');
    await openRepro(page);
    const status = page.locator('.jp-Repro-Status');
    await expect(status).toHaveAttribute('data-state', 'ready');

    // The header names the repository's folder, not '/'.
    await expect(status.locator('.jp-Repro-Status-repoName')).toHaveText(
      'demo'
    );
    await expect(status.locator('.jp-Repro-Status-path')).toHaveText(
      'demo/train.ipynb'
    );

    // The HEAD subject: visible in full, or in full on hover.
    const subject = status.locator('.jp-Repro-Status-headSubject');
    await expect(subject).toHaveText(SUBJECT);
    const cut = await subject.evaluate(
      element => element.scrollWidth > element.clientWidth
    );
    if (cut) {
      expect(await subject.getAttribute('title')).toContain(SUBJECT);
    }
    // One line per fact.
    const rows = status.locator('.jp-Repro-Status-row');
    for (let i = 0; i < (await rows.count()); i++) {
      const box = await rows.nth(i).boundingBox();
      expect(box!.height).toBeLessThan(26);
    }
    // The Repository section is sized by its content.
    const section = page.locator('.jp-Repro-StatusSection');
    const sectionBox = await section.boundingBox();
    const contentBox = await status.boundingBox();
    expect(sectionBox!.height).toBeLessThanOrEqual(contentBox!.height + 2);

    // The snapshot button is in view, without scrolling.
    await expect(page.locator('.jp-Repro-Snapshot')).toHaveAttribute(
      'data-state',
      'ready'
    );
    await expect(page.locator('button.jp-Repro-Snapshot-commit')).toBeVisible();
    expect(
      await inSectionView(
        page,
        'button.jp-Repro-Snapshot-commit',
        '.jp-Repro-SnapshotSection'
      )
    ).toBe(true);

    // "New branch" on one line, like "Tag".
    await page.locator('.jp-Repro-Snapshot-more > summary').click();
    const fields = page.locator(
      '.jp-Repro-Snapshot-more .jp-Repro-Snapshot-field > span:first-child'
    );
    const tag = await fields.filter({ hasText: 'Tag' }).boundingBox();
    const branch = await fields.filter({ hasText: 'New branch' }).boundingBox();
    expect(branch!.height).toBeLessThanOrEqual(tag!.height + 1);
  });

  test('no section reopens 0 px tall after it was collapsed and the page reloaded', async ({
    page
  }) => {
    await openNotebook(page, 'demo/train.ipynb');
    await openRepro(page);
    const snapshotTitle = sectionTitle(page, 'Snapshot & commit');
    await expect(snapshotTitle).toHaveAttribute('aria-expanded', 'true');
    await snapshotTitle.click();
    await expect(snapshotTitle).toHaveAttribute('aria-expanded', 'false');

    // The restored layout shows the Repro panel, not the file browser that
    // Galata's readiness check waits for.
    await page.reload({ waitForIsReady: false });
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 30000
    });
    await openRepro(page);
    const title = sectionTitle(page, 'Snapshot & commit');
    if ((await title.getAttribute('aria-expanded')) !== 'true') {
      await title.click();
    }
    await expect(title).toHaveAttribute('aria-expanded', 'true');
    const section = page.locator('.jp-Repro-SnapshotSection');
    await expect(section).toBeVisible();
    await expect
      .poll(async () => (await section.boundingBox())?.height ?? 0)
      .toBeGreaterThan(100);
    // Every expanded section has room.
    const sections = page.locator(
      `#${SIDEBAR_ID} .jp-AccordionPanel > .lm-Widget:not(.lm-mod-hidden):not(.jp-AccordionPanel-title)`
    );
    for (let i = 0; i < (await sections.count()); i++) {
      const box = await sections.nth(i).boundingBox();
      expect(box!.height).toBeGreaterThan(40);
    }
  });
});

/** Expand every section of the sidebar. */
async function expandAll(page: IJupyterLabPageFixture): Promise<void> {
  const titles = page.locator(`#${SIDEBAR_ID} .jp-AccordionPanel-title`);
  for (let i = 0; i < (await titles.count()); i++) {
    if ((await titles.nth(i).getAttribute('aria-expanded')) !== 'true') {
      await titles.nth(i).click();
    }
    await expect(titles.nth(i)).toHaveAttribute('aria-expanded', 'true');
  }
}

/** Drag the left area's edge until the sidebar is `width` px wide. */
async function setSidebarWidth(
  page: IJupyterLabPageFixture,
  width: number
): Promise<void> {
  const sidebar = page.locator(`#${SIDEBAR_ID}`);
  const handle = page
    .locator('#jp-main-split-panel > .lm-SplitPanel-handle')
    .first();
  const now = (await sidebar.boundingBox())!.width;
  const box = (await handle.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + 300;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - now), y, { steps: 5 });
  await page.mouse.up();
  await expect
    .poll(async () => Math.round((await sidebar.boundingBox())!.width))
    .toBe(width);
}

/** What the layout checks read in the page (see the test). */
interface ILayoutFacts {
  /** Elements that scroll sideways: `class scrollWidth>clientWidth`. */
  sideways: string[];
  /** Run names and metric values cut or outside their section. */
  cut: string[];
  names: number;
  metrics: number;
  repository: { section: number; content: number };
  preview: { visible: number; line: number };
  releases: { section: number; content: number; sidebar: number };
}

async function layoutFacts(
  page: IJupyterLabPageFixture
): Promise<ILayoutFacts> {
  return page.evaluate(id => {
    const sidebar = document.getElementById(id)!;
    const sideways: string[] = [];
    sidebar.querySelectorAll<HTMLElement>('*').forEach(element => {
      const style = window.getComputedStyle(element);
      const scrolls =
        style.overflowX === 'auto' || style.overflowX === 'scroll';
      if (
        scrolls &&
        element.clientWidth > 0 &&
        element.scrollWidth > element.clientWidth + 1
      ) {
        sideways.push(
          `${element.className} ${element.scrollWidth}>${element.clientWidth}`
        );
      }
    });
    const section = sidebar.querySelector<HTMLElement>(
      '.jp-Repro-RunsSection'
    )!;
    const bounds = section.getBoundingClientRect();
    const cut: string[] = [];
    const texts = Array.from(
      sidebar.querySelectorAll<HTMLElement>(
        '.jp-Repro-Runs-runName, .jp-Repro-Runs-metric'
      )
    );
    for (const text of texts) {
      const box = text.getBoundingClientRect();
      if (
        text.scrollWidth > text.clientWidth + 1 ||
        box.left < bounds.left - 1 ||
        box.right > bounds.right + 1
      ) {
        cut.push(`${text.className} "${text.textContent}"`);
      }
    }
    const status = sidebar.querySelector<HTMLElement>(
      '.jp-Repro-StatusSection'
    )!;
    const snapshot = sidebar.querySelector<HTMLElement>(
      '.jp-Repro-SnapshotSection'
    )!;
    const diff = snapshot.querySelector<HTMLElement>('.jp-Repro-Snapshot-diff');
    const view = snapshot.getBoundingClientRect();
    const box = diff?.getBoundingClientRect();
    const releases = sidebar.querySelector<HTMLElement>(
      '.jp-Repro-ReleasesSection'
    )!;
    return {
      sideways,
      cut,
      names: sidebar.querySelectorAll('.jp-Repro-Runs-runName').length,
      metrics: sidebar.querySelectorAll('.jp-Repro-Runs-metric').length,
      repository: {
        section: status.getBoundingClientRect().height,
        content: (status.firstElementChild as HTMLElement).offsetHeight
      },
      preview: {
        visible: box
          ? Math.max(
              0,
              Math.min(box.bottom, view.bottom) - Math.max(box.top, view.top)
            )
          : 0,
        line: diff?.querySelector<HTMLElement>('.cm-line')?.offsetHeight ?? 0
      },
      releases: {
        section: releases.getBoundingClientRect().height,
        content: (releases.firstElementChild as HTMLElement).offsetHeight,
        sidebar: sidebar.getBoundingClientRect().height
      }
    };
  }, SIDEBAR_ID);
}

/** Every layout promise of issue 23 at the sidebar's current width. */
async function expectFits(
  page: IJupyterLabPageFixture,
  width: string,
  screenshot: string
): Promise<void> {
  // The sizes settle on the frame after a change.
  await expect
    .poll(async () => (await layoutFacts(page)).sideways, {
      message: `nothing scrolls sideways at ${width}`
    })
    .toEqual([]);
  await page.mouse.move(640, 780);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, screenshot) });
  const facts = await layoutFacts(page);
  expect(facts.cut, `run names and metrics at ${width}`).toEqual([]);
  expect(facts.names).toBeGreaterThanOrEqual(2);
  expect(facts.metrics).toBeGreaterThanOrEqual(2);
  expect(facts.repository.section).toBeGreaterThanOrEqual(
    facts.repository.content - 1
  );
  expect(facts.preview.line).toBeGreaterThan(0);
  expect(
    facts.preview.visible,
    `diff preview in view at ${width}: ${facts.preview.visible} px`
  ).toBeGreaterThanOrEqual(8 * facts.preview.line);
  // One release: a line or two, not half the sidebar.
  expect(facts.releases.section).toBeLessThanOrEqual(
    facts.releases.content + 1
  );
  expect(facts.releases.section).toBeLessThan(facts.releases.sidebar / 6);
}

test.describe('Sidebar layout with runs and a release', () => {
  test('fits the default width and 400 px: nothing scrolls sideways or is cut, the preview keeps 8 lines @screenshot', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    // A repository of its own; a short notebook name, as users have.
    const id = unique();
    const folder = `${tmpPath}/fit-${id}`;
    const name = `train${id.slice(-4)}.ipynb`;
    const notebook = `${folder}/${name}`;
    expect(await page.contents.uploadContent(DEMO, 'text', notebook)).toBe(
      true
    );
    await repro(page, 'POST', 'init', { path: folder });
    await repro(page, 'POST', 'snapshot', {
      path: notebook,
      message: 'sample training notebook',
      type: 'feat'
    });
    await openNotebook(page, notebook);
    await page.notebook.activate(name);
    await openRepro(page);
    await expandAll(page);
    // Saved first: the kernel then reads a whole file when the run starts.
    expect(await page.notebook.save()).toBe(true);

    // Two runs (the second with fewer epochs, saved before it ran).
    const rows = page.locator('.jp-Repro-Runs .jp-Repro-Runs-run');
    await page.notebook.run();
    await expect(rows).toHaveCount(1, { timeout: 60000 });
    await editEpochs(page, name, 5);
    expect(await page.notebook.save()).toBe(true);
    await page.notebook.run();
    await expect(rows).toHaveCount(2, { timeout: 60000 });
    await expect(rows.first()).toHaveAttribute('data-status', 'FINISHED');
    const runId = await rows.first().getAttribute('data-run-id');
    await repro(page, 'POST', 'runs/release', {
      path: notebook,
      run_id: runId,
      name: `v0.${id.slice(-3)}`,
      message: 'fewer epochs',
      model_card: false
    });
    await page.locator(`#${SIDEBAR_ID} .jp-Repro-Runs-refresh`).click();
    await page.locator(`#${SIDEBAR_ID} .jp-Repro-Releases-refresh`).click();
    await expect(page.locator('.jp-Repro-Releases-item')).toHaveCount(1);
    await expect(rows.first().locator('.jp-Repro-Runs-release')).toBeVisible();
    // The change the preview shows: epochs 15 → 5, saved.
    await expect(
      page.locator('.jp-Repro-Snapshot-diffLine.jp-mod-added', {
        hasText: '"epochs": 5,'
      })
    ).toHaveCount(1);
    // Every section is open, Runs included.
    await expect(sectionTitle(page, /^Runs/)).toHaveAttribute(
      'aria-expanded',
      'true'
    );

    expect(
      Math.round((await page.locator(`#${SIDEBAR_ID}`).boundingBox())!.width)
    ).toBe(250);
    await expectFits(page, 'the default width', 'sidebar-default-width.png');

    await setSidebarWidth(page, 400);
    await expectFits(page, '400 px', 'sidebar-400.png');
  });
});

test.describe('Feedback after a commit and for no-ops', () => {
  test('after a commit the header and the snapshot section agree on outputs only; an empty message says why', async ({
    page,
    tmpPath
  }) => {
    const folder = `${tmpPath}/layout-${Date.now().toString(36)}`;
    const notebook = await makeRepository(page, folder);
    await openNotebook(page, notebook);
    await page.notebook.activate('train.ipynb');
    await openRepro(page);

    const status = page.locator('.jp-Repro-Status');
    const section = page.locator('.jp-Repro-Snapshot');
    const message = page.locator('input.jp-Repro-Snapshot-message');
    const commit = page.locator('button.jp-Repro-Snapshot-commit');
    await expect(section).toHaveAttribute('data-state', 'ready');
    await expect(
      section.locator('.jp-Repro-Snapshot-file[data-path="train.ipynb"]')
    ).toHaveAttribute('data-classification', 'source');

    // Empty message: the field says why nothing happened.
    await commit.click();
    const hint = section.locator('.jp-Repro-Snapshot-hint');
    await expect(hint).toBeVisible();
    await expect(hint).toContainText('commit message');
    await expect(message).toHaveAttribute('aria-invalid', 'true');
    await message.press('Enter');
    await expect(hint).toBeVisible();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'chore: initialize repository'
    );
    await message.fill('baseline');
    await expect(hint).toHaveCount(0);
    await expect(message).not.toHaveAttribute('aria-invalid', 'true');

    // A cell with an output, then the snapshot: the file keeps the output.
    await page.notebook.addCell('code', 'print("only" + " an output")');
    const last =
      (await page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell').count()) -
      1;
    await page.notebook.runCell(last);
    await expect(
      page.locator('.jp-NotebookPanel .jp-OutputArea-output', {
        hasText: 'only an output'
      })
    ).toHaveCount(1);
    await commit.click();
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'exp: baseline'
    );

    // Now only outputs differ from the commit: both places say so.
    const row = section.locator(
      '.jp-Repro-Snapshot-file[data-path="train.ipynb"]'
    );
    await expect(row).toHaveAttribute('data-classification', 'outputs-only');
    await expect(row.locator('.jp-Repro-Snapshot-badge')).toHaveText(
      'outputs only'
    );
    const changes = status.locator('.jp-Repro-Status-changes');
    await expect(changes).toHaveText('outputs only (1 notebook)');
    await expect(changes).not.toHaveClass(/jp-mod-dirty/);
    await expect(status.locator('.jp-Repro-Status-fileState')).toHaveText(
      'outputs only'
    );

    // Nothing to commit: it says so.
    await message.fill('again');
    await commit.click();
    await expect(section.locator('.jp-Repro-Snapshot-result')).toContainText(
      'Nothing to commit'
    );
    await expect(status.locator('.jp-Repro-Status-headSubject')).toHaveText(
      'exp: baseline'
    );
  });

  test('the export notification with its "Open" action stays until dismissed', async ({
    page,
    tmpPath
  }) => {
    const notebook = `${tmpPath}/train.ipynb`;
    expect(
      await page.contents.uploadContent(
        fs.readFileSync(DEMO_NOTEBOOK, 'utf-8'),
        'text',
        notebook
      )
    ).toBe(true);
    await openNotebook(page, notebook);
    await page.notebook.activate('train.ipynb');
    await page
      .locator('.jp-NotebookPanel-toolbar [data-jp-item-name="repro-export"]')
      .click();
    const dialog = page.locator('.jp-Dialog.jp-Repro-ExportDialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('.jp-Dialog-footer .jp-mod-accept').click();
    await expect(dialog).toHaveCount(0);

    const toast = page.locator('.jp-Notification-Toast-success', {
      hasText: 'train.py'
    });
    await expect(toast).toBeVisible();
    // The lab's own record of it: no timer closes it, "Open" is its action.
    const exported = (await page.notifications).filter(notification =>
      notification.message.includes('train.py')
    );
    expect(exported).toHaveLength(1);
    expect(exported[0].type).toBe('success');
    expect(exported[0].options.autoClose).toBe(false);
    expect(
      (exported[0].options.actions ?? []).map(action => action.label)
    ).toContain('Open');
    await expect(toast).toBeVisible();
    const open = toast.getByRole('button', { name: 'Open' });
    await expect(open).toBeVisible();
    await open.click();
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: 'train.py'
      })
    ).toHaveCount(1);
  });
});
