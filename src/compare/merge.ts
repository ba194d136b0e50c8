// The read-only code diff of one cell: CodeMirror 6's merge view, side by
// side or unified, with the lab's syntax highlighting. Loaded with
// `import('./merge')` by the compare view; @codemirror/state, view and
// language are the lab's shared singletons, only @codemirror/merge is
// bundled (in this chunk).
import { syntaxHighlighting } from '@codemirror/language';
import { MergeView, unifiedMergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { jupyterHighlightStyle } from '@jupyterlab/codemirror';

import { readOnlyEditor } from '../common/readOnlyEditor';

/** A mounted diff; destroy it before its host goes. */
export interface IMountedDiff {
  destroy(): void;
}

function readOnly(label: string, language: Extension | null): Extension[] {
  return [
    ...readOnlyEditor(label),
    syntaxHighlighting(jupyterHighlightStyle),
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
