/**
 * Opening a notebook is not an edit (issue 23): when its kernel starts,
 * JupyterLab writes the kernel's `language_info` into the notebook's
 * metadata, which used to mark the tab modified, although a snapshot strips
 * it anyway. Until the user changes something the tab stays clean; the first
 * real edit marks it as usual.
 */
import { expect, test } from '@jupyterlab/galata';

import { DEMO } from './support/repro';

test.describe('An untouched notebook', () => {
  test('stays unmodified when its kernel starts, and an edit still marks it', async ({
    page,
    tmpPath
  }) => {
    const name = 'train.ipynb';
    const notebook = `${tmpPath}/${name}`;
    // The demo notebook as saved before any kernel ran it: no language_info.
    const saved = JSON.parse(DEMO);
    delete saved.metadata.language_info;
    expect(
      await page.contents.uploadContent(
        JSON.stringify(saved, null, 1),
        'text',
        notebook
      )
    ).toBe(true);

    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await page.notebook.activate(name);
    // The kernel is up and has answered: its language_info is in the model.
    await expect
      .poll(
        () =>
          page.evaluate(
            () =>
              (window as any).jupyterapp.shell.currentWidget?.context?.model
                ?.metadata?.language_info?.name ?? null
          ),
        { timeout: 60000 }
      )
      .toBe('python');
    const tab = page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
      hasText: name
    });
    await expect(tab).not.toHaveClass(/jp-mod-dirty/);

    // A real edit marks it.
    await page.notebook.setCell(0, 'markdown', '# edited');
    await expect(tab).toHaveClass(/jp-mod-dirty/);
  });
});
