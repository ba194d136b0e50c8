// The editor settings every read-only code view here shares (the diff
// preview, the compare view's merge view): not editable, lines wrapped, and
// still reachable from the keyboard so its text can be scrolled and selected.
import { EditorState, Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';

/** A read-only, focusable, line-wrapping editor labelled `label`. */
export function readOnlyEditor(label: string): Extension[] {
  return [
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    EditorView.lineWrapping,
    // Read-only content is not focusable by default.
    EditorView.contentAttributes.of({
      tabindex: '0',
      'aria-label': label,
      'aria-readonly': 'true'
    })
  ];
}
