import { caretDownIcon, ellipsesIcon } from '@jupyterlab/ui-components';

import { decorateFolds, FOLD_ICON_CLASS, mountDiff } from '../compare/merge';

describe('the merge view’s unchanged-lines bars', () => {
  it('carry icons of the lab’s icon set, once', () => {
    const root = document.createElement('div');
    const bar = document.createElement('div');
    bar.className = 'cm-collapsedLines';
    bar.textContent = '9 unchanged lines';
    root.appendChild(bar);
    decorateFolds(root);
    decorateFolds(root);
    const icons = bar.querySelectorAll(`.${FOLD_ICON_CLASS}`);
    expect(icons).toHaveLength(2);
    expect(icons[0].querySelector('svg')).not.toBeNull();
    expect(icons[0].innerHTML).toBe(
      ellipsesIcon.element({ tag: 'span' }).innerHTML
    );
    expect(icons[1].innerHTML).toBe(
      caretDownIcon.element({ tag: 'span' }).innerHTML
    );
    expect(bar.textContent).toBe('9 unchanged lines');
    expect(bar.classList.contains('jp-Repro-Compare-fold')).toBe(true);
  });

  it('are decorated in a mounted side-by-side diff', async () => {
    const parent = document.createElement('div');
    document.body.appendChild(parent);
    const lines = Array.from({ length: 30 }, (_, i) => `x${i} = ${i}`);
    const after = [...lines];
    after[15] = 'x15 = 150';
    const mounted = mountDiff({
      parent,
      before: lines.join('\n'),
      after: after.join('\n'),
      mode: 'side-by-side',
      language: null,
      labels: { before: 'before', after: 'after' }
    });
    // The icons go in after the editor has drawn its bars.
    await new Promise(resolve => requestAnimationFrame(resolve));
    await new Promise(resolve => setTimeout(resolve, 50));
    const bars = parent.querySelectorAll('.cm-collapsedLines');
    expect(bars.length).toBeGreaterThan(0);
    for (const bar of Array.from(bars)) {
      expect(bar.querySelectorAll(`.${FOLD_ICON_CLASS} svg`)).toHaveLength(2);
      expect(bar.textContent).not.toContain('⦚');
    }
    mounted.destroy();
    parent.remove();
  });
});
