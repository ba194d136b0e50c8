import {
  EditorState,
  Extension,
  RangeSetBuilder,
  StateEffect,
  StateField
} from '@codemirror/state';
import { Decoration, DecorationSet, EditorView } from '@codemirror/view';
import {
  IEditorLanguageRegistry,
  jupyterHighlightStyle
} from '@jupyterlab/codemirror';
import type { Parser } from '@lezer/common';
import * as React from 'react';

import { diffTokens, ParserFor } from './diffHighlight';
import { readOnlyEditor } from './readOnlyEditor';

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

/**
 * The languages of a notebook's cells, from the lab's editor language
 * registry: Python for code cells, Markdown for markdown cells; raw cells
 * stay plain. Loaded once, on first use.
 */
export class DiffLanguages {
  constructor(registry: IEditorLanguageRegistry) {
    this._registry = registry;
  }

  /** The parsers, once loaded (a failed language stays plain). */
  load(): Promise<ParserFor> {
    if (!this._loaded) {
      this._loaded = (async () => {
        const parsers: Record<string, Parser> = {};
        for (const [cellType, name] of [
          ['code', 'python'],
          ['markdown', 'markdown']
        ]) {
          try {
            const language = await this._registry.getLanguage(name);
            const parser = language?.support?.language.parser;
            if (parser) {
              parsers[cellType] = parser;
            }
          } catch {
            // Not highlighted: the text shows as it is.
          }
        }
        return (cellType: string) => parsers[cellType] ?? null;
      })();
    }
    return this._loaded;
  }

  private _registry: IEditorLanguageRegistry;
  private _loaded: Promise<ParserFor> | null = null;
}

const setParsers = StateEffect.define<ParserFor>();

interface ISyntax {
  parserFor: ParserFor | null;
  decorations: DecorationSet;
}

function syntaxDecorations(
  state: EditorState,
  parserFor: ParserFor | null
): DecorationSet {
  if (parserFor === null) {
    return Decoration.none;
  }
  const builder = new RangeSetBuilder<Decoration>();
  for (const token of diffTokens(
    state.doc.toString(),
    parserFor,
    jupyterHighlightStyle
  )) {
    builder.add(
      token.from,
      token.to,
      Decoration.mark({ class: token.classes })
    );
  }
  return builder.finish();
}

/** Token marks over the diff text, once the cell languages are loaded. */
const syntax = StateField.define<ISyntax>({
  create: () => ({ parserFor: null, decorations: Decoration.none }),
  update: (value, tr) => {
    let parserFor = value.parserFor;
    for (const effect of tr.effects) {
      if (effect.is(setParsers)) {
        parserFor = effect.value;
      }
    }
    if (parserFor !== value.parserFor || tr.docChanged) {
      return { parserFor, decorations: syntaxDecorations(tr.state, parserFor) };
    }
    return value;
  },
  provide: field => EditorView.decorations.from(field, v => v.decorations)
});

function extensions(label: string): Extension[] {
  return [
    ...readOnlyEditor(label),
    diffLines,
    syntax,
    // The lab's token colours (the classes jupyterHighlightStyle makes).
    ...(jupyterHighlightStyle.module
      ? [EditorView.styleModule.of(jupyterHighlightStyle.module)]
      : [])
  ];
}

/**
 * The languages for the diff previews below it, for views that show diffs
 * deep inside (a run's details): a preview without a `languages` prop uses
 * this one.
 */
export const DiffLanguagesContext = React.createContext<DiffLanguages | null>(
  null
);

export interface IDiffPreviewProps {
  text: string;
  label: string;
  /**
   * With it, the cells' code and markdown are syntax highlighted; by
   * default, the {@link DiffLanguagesContext}'s.
   */
  languages?: DiffLanguages | null;
}

/**
 * A read-only CodeMirror 6 view of a diff text, `+`/`-` lines coloured and,
 * given the languages, the cells' code and markdown highlighted. The text
 * goes into the editor's document (highlighting only adds marks around
 * it): it is never parsed as HTML.
 */
export function DiffPreview(props: IDiffPreviewProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const view = React.useRef<EditorView | null>(null);
  const inherited = React.useContext(DiffLanguagesContext);
  const languages = props.languages !== undefined ? props.languages : inherited;

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

  React.useEffect(() => {
    let live = true;
    void languages?.load().then(parserFor => {
      if (live && view.current) {
        view.current.dispatch({ effects: setParsers.of(parserFor) });
      }
    });
    return () => {
      live = false;
    };
  }, [languages, props.label]);

  return <div className="jp-Repro-Snapshot-diff" ref={host} />;
}

const SHARED_LANGUAGES = new WeakMap<IEditorLanguageRegistry, DiffLanguages>();

/**
 * One set of parsers per language registry, for every diff of the lab (the
 * snapshot preview and the runs' diffs); null without a registry.
 */
export function sharedDiffLanguages(
  registry: IEditorLanguageRegistry | null
): DiffLanguages | null {
  if (!registry) {
    return null;
  }
  let languages = SHARED_LANGUAGES.get(registry);
  if (!languages) {
    languages = new DiffLanguages(registry);
    SHARED_LANGUAGES.set(registry, languages);
  }
  return languages;
}
