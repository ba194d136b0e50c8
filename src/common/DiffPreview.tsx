import {
  EditorState,
  Extension,
  RangeSetBuilder,
  StateField
} from '@codemirror/state';
import { Decoration, DecorationSet, EditorView } from '@codemirror/view';
import * as React from 'react';

/**
 * The class of a line of the output-blind diff text, if it has one.
 */
export function diffLineClass(line: string): string | null {
  if (line.startsWith('## ')) {
    return 'jp-Repro-Snapshot-diffLine jp-mod-cell';
  }
  if (line.startsWith('@@')) {
    return 'jp-Repro-Snapshot-diffLine jp-mod-hunk';
  }
  if (line.startsWith('+')) {
    return 'jp-Repro-Snapshot-diffLine jp-mod-added';
  }
  if (line.startsWith('-')) {
    return 'jp-Repro-Snapshot-diffLine jp-mod-removed';
  }
  if (line.startsWith('\\')) {
    return 'jp-Repro-Snapshot-diffLine jp-mod-note';
  }
  return null;
}

function decorate(state: EditorState): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (let n = 1; n <= state.doc.lines; n++) {
    const line = state.doc.line(n);
    const cls = diffLineClass(line.text);
    if (cls !== null) {
      builder.add(line.from, line.from, Decoration.line({ class: cls }));
    }
  }
  return builder.finish();
}

const diffLines = StateField.define<DecorationSet>({
  create: decorate,
  update: (decorations, tr) =>
    tr.docChanged ? decorate(tr.state) : decorations,
  provide: field => EditorView.decorations.from(field)
});

function extensions(label: string): Extension[] {
  return [
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    EditorView.lineWrapping,
    // Read-only content is not focusable by default: keep it reachable
    // from the keyboard so it can be scrolled and its text selected.
    EditorView.contentAttributes.of({
      tabindex: '0',
      'aria-label': label,
      'aria-readonly': 'true'
    }),
    diffLines
  ];
}

export interface IDiffPreviewProps {
  text: string;
  label: string;
}

/**
 * A read-only CodeMirror 6 view of a diff text, `+`/`-` lines coloured.
 * The text goes into the editor's document: it is never parsed as HTML.
 */
export function DiffPreview(props: IDiffPreviewProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const view = React.useRef<EditorView | null>(null);

  React.useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.text,
        extensions: extensions(props.label)
      })
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, [props.label]);

  React.useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== props.text) {
      editor.dispatch({
        changes: { from: 0, to: editor.state.doc.length, insert: props.text }
      });
    }
  }, [props.text]);

  return <div className="jp-Repro-Snapshot-diff" ref={host} />;
}
