/**
 * Syntax highlighting of the output-blind diff text: each cell's lines are
 * parsed in the cell's language (the new side, context and added lines, in
 * the new cell type; the removed lines in the old one), and the tokens are
 * mapped back to the diff text, one range per line, after the `+`/`-`/` `
 * prefix. Pure: ranges and class names, no DOM (the view turns them into
 * CodeMirror marks over its text).
 */
import type { Parser } from '@lezer/common';
import { Highlighter, highlightTree } from '@lezer/highlight';

/** A styled range of the diff text. */
export interface IDiffToken {
  from: number;
  to: number;
  classes: string;
}

/** The parser for a cell type ('code', 'markdown', 'raw'), if any. */
export type ParserFor = (cellType: string) => Parser | null;

/**
 * The old and new cell types a cell header names:
 * `## cell 3 (code) modified`, `## cell 1 (markdown -> code) modified`.
 */
export function cellTypes(header: string): { old: string; new: string } | null {
  const match = /^## cell [^(]*\((\w+)(?: -> (\w+))?\)/.exec(header);
  if (!match) {
    return null;
  }
  return { old: match[1], new: match[2] ?? match[1] };
}

interface ISideLine {
  /** Where the line's text (after its prefix) starts in the diff text. */
  at: number;
  text: string;
  /** Tokens of this side are shown on this line. */
  shown: boolean;
}

interface IBlock {
  old: string;
  new: string;
  oldLines: ISideLine[];
  newLines: ISideLine[];
}

/**
 * The highlighted ranges of a diff text, sorted by position.
 */
export function diffTokens(
  text: string,
  parserFor: ParserFor,
  highlighter: Highlighter | readonly Highlighter[]
): IDiffToken[] {
  const tokens: IDiffToken[] = [];
  let block: IBlock | null = null;
  const flush = () => {
    if (block) {
      highlightSide(block.oldLines, parserFor(block.old), highlighter, tokens);
      highlightSide(block.newLines, parserFor(block.new), highlighter, tokens);
    }
    block = null;
  };
  let offset = 0;
  for (const line of text.split('\n')) {
    const at = offset;
    offset += line.length + 1;
    if (line.startsWith('## ')) {
      flush();
      const types = cellTypes(line);
      block = types ? { ...types, oldLines: [], newLines: [] } : null;
      continue;
    }
    if (block === null) {
      continue;
    }
    const current: IBlock = block;
    const prefix = line.charAt(0);
    const side = { at: at + 1, text: line.slice(1) };
    if (prefix === ' ') {
      current.oldLines.push({ ...side, shown: false });
      current.newLines.push({ ...side, shown: true });
    } else if (prefix === '+') {
      current.newLines.push({ ...side, shown: true });
    } else if (prefix === '-') {
      current.oldLines.push({ ...side, shown: true });
    }
    // '@@' hunk headers and '\' notes are not cell text.
  }
  flush();
  return tokens.sort((a, b) => a.from - b.from || a.to - b.to);
}

function highlightSide(
  lines: ISideLine[],
  parser: Parser | null,
  highlighter: Highlighter | readonly Highlighter[],
  out: IDiffToken[]
): void {
  if (parser === null || !lines.some(line => line.shown)) {
    return;
  }
  const source = lines.map(line => line.text).join('\n');
  // Where each line starts in `source`.
  const starts: number[] = [];
  let position = 0;
  for (const line of lines) {
    starts.push(position);
    position += line.text.length + 1;
  }
  let index = 0;
  highlightTree(parser.parse(source), highlighter, (from, to, classes) => {
    while (index + 1 < lines.length && starts[index + 1] <= from) {
      index++;
    }
    // A token may span lines (a docstring): one range per line.
    for (let i = index; i < lines.length && starts[i] < to; i++) {
      const start = Math.max(from, starts[i]) - starts[i];
      const end = Math.min(to, starts[i] + lines[i].text.length) - starts[i];
      if (lines[i].shown && end > start) {
        out.push({
          from: lines[i].at + start,
          to: lines[i].at + end,
          classes
        });
      }
    }
  });
}
