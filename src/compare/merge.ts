// The read-only code diff of one cell: CodeMirror 6's merge view, side by
// side or unified, with the lab's syntax highlighting; its "N unchanged
// lines" bars carry icons of the lab's icon set (the merge view's own
// markers are a font glyph, ⦚, which machines without that font draw as a
// missing-glyph box). Loaded with
// `import('./merge')` by the compare view; @codemirror/state, view and
// language are the lab's shared singletons, only @codemirror/merge is
// bundled (in this chunk).
import { syntaxHighlighting } from '@codemirror/language';
import { MergeView, unifiedMergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';
import { jupyterHighlightStyle } from '@jupyterlab/codemirror';
import { caretDownIcon, ellipsesIcon } from '@jupyterlab/ui-components';

import { readOnlyEditor } from '../common/readOnlyEditor';

/** A mounted diff; destroy it before its host goes. */
export interface IMountedDiff {
  destroy(): void;
}

/** The class of the icons put on a collapsed-lines bar. */
export const FOLD_ICON_CLASS = 'jp-Repro-Compare-foldIcon';

/**
 * Put the lab's icons on the "N unchanged lines" bars under `root` that do
 * not have them yet: an ellipsis before the text, a caret (click to expand)
 * after it. The bar's text stays as the merge view wrote it.
 */
export function decorateFolds(root: HTMLElement): void {
  for (const bar of Array.from(
    root.querySelectorAll<HTMLElement>('.cm-collapsedLines')
  )) {
    if (bar.querySelector(`.${FOLD_ICON_CLASS}`)) {
      continue;
    }
    bar.classList.add('jp-Repro-Compare-fold');
    bar.prepend(
      ellipsesIcon.element({ tag: 'span', className: FOLD_ICON_CLASS })
    );
    bar.append(
      caretDownIcon.element({ tag: 'span', className: FOLD_ICON_CLASS })
    );
  }
}

const foldMeasure = {};

/**
 * Decorates the collapsed-lines bars after each update of the editor has
 * drawn them (the bars are widgets: the editor ignores changes inside).
 */
const foldIcons = ViewPlugin.define(view => {
  const schedule = () =>
    view.requestMeasure({
      key: foldMeasure,
      read: () => null,
      write: () => decorateFolds(view.dom)
    });
  schedule();
  return { update: schedule };
});

function readOnly(label: string, language: Extension | null): Extension[] {
  return [
    ...readOnlyEditor(label),
    syntaxHighlighting(jupyterHighlightStyle),
    foldIcons,
    ...(language ? [language] : [])
  ];
}

/**
 * Mount a diff of `before` → `after` in `parent`. The sources go into the
 * editors' documents: they are never parsed as HTML.
 */
export function mountDiff(options: {
  parent: HTMLElement;
  before: string;
  after: string;
  mode: 'side-by-side' | 'unified';
  language: Extension | null;
  labels: { before: string; after: string };
}): IMountedDiff {
  const { parent, before, after, language, labels } = options;
  if (options.mode === 'side-by-side') {
    const view = new MergeView({
      parent,
      a: { doc: before, extensions: readOnly(labels.before, language) },
      b: { doc: after, extensions: readOnly(labels.after, language) },
      highlightChanges: true,
      gutter: true,
      collapseUnchanged: { margin: 3, minSize: 6 }
    });
    return { destroy: () => view.destroy() };
  }
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: after,
      extensions: [
        ...readOnly(labels.after, language),
        unifiedMergeView({
          original: before,
          mergeControls: false,
          highlightChanges: true,
          gutter: true,
          collapseUnchanged: { margin: 3, minSize: 6 }
        })
      ]
    })
  });
  return { destroy: () => view.destroy() };
}
