import { parser as markdownParser } from '@lezer/markdown';
import { parser as pythonParser } from '@lezer/python';
import { classHighlighter } from '@lezer/highlight';

import { cellTypes, diffTokens, ParserFor } from '../common/diffHighlight';

const parsers: ParserFor = type =>
  type === 'code' ? pythonParser : type === 'markdown' ? markdownParser : null;

/** The highlighted text pieces with their classes. */
function pieces(text: string): [string, string][] {
  return diffTokens(text, parsers, classHighlighter).map(t => [
    text.slice(t.from, t.to),
    t.classes
  ]);
}

const DIFF = [
  '## cell 1 (code) modified',
  '@@ -1,2 +1,2 @@',
  ' import os',
  '-x = 1',
  '+x = "two"  # two',
  '## cell 2 (markdown) added',
  '+# Title',
  '## cell 3 (raw) added',
  '+def raw(): pass'
].join('\n');

describe('diffTokens', () => {
  it('highlights code as Python and markdown as Markdown, after the prefix', () => {
    const found = pieces(DIFF);
    expect(found).toContainEqual(['import', 'tok-keyword']);
    expect(found).toContainEqual(['"two"', 'tok-string']);
    expect(found).toContainEqual(['# two', 'tok-comment']);
    expect(found).toContainEqual(['1', 'tok-number']);
    expect(
      found.some(
        ([text, cls]) => text.includes('Title') && /tok-heading/.test(cls)
      )
    ).toBe(true);
  });

  it('never styles prefixes, headers, hunks or raw cells', () => {
    const tokens = diffTokens(DIFF, parsers, classHighlighter);
    const lines = DIFF.split('\n');
    let offset = 0;
    const starts = lines.map(line => {
      const at = offset;
      offset += line.length + 1;
      return at;
    });
    for (const token of tokens) {
      const line = starts.filter(s => s <= token.from).length - 1;
      expect(lines[line].startsWith('##')).toBe(false);
      expect(lines[line].startsWith('@@')).toBe(false);
      expect(token.from).toBeGreaterThan(starts[line]);
      expect(token.to).toBeLessThanOrEqual(starts[line] + lines[line].length);
    }
    expect(pieces(DIFF).some(([text]) => text === 'def')).toBe(false);
  });

  it('splits a token spanning lines into one range per line, sorted', () => {
    const diff = ['## cell 0 (code) added', '+s = """a', '+b"""'].join('\n');
    const strings = pieces(diff).filter(([, cls]) => cls === 'tok-string');
    expect(strings.map(([text]) => text)).toEqual(['"""a', 'b"""']);
    const tokens = diffTokens(diff, parsers, classHighlighter);
    expect(tokens.map(t => t.from)).toEqual(
      [...tokens.map(t => t.from)].sort((a, b) => a - b)
    );
  });

  it('reads the old type for removed lines and the new for the rest', () => {
    expect(cellTypes('## cell 1 -> 2 (markdown -> code) modified')).toEqual({
      old: 'markdown',
      new: 'code'
    });
    expect(cellTypes('## cell 4 (code) moved')).toEqual({
      old: 'code',
      new: 'code'
    });
    expect(cellTypes('## notebook metadata')).toBeNull();
  });

  it('keeps hostile text as plain ranges of the text', () => {
    const payload = '<img src=x onerror=window.__xss=1>';
    const diff = `## cell 0 (markdown) added\n+${payload}`;
    for (const token of diffTokens(diff, parsers, classHighlighter)) {
      expect(diff.slice(token.from, token.to).length).toBe(
        token.to - token.from
      );
      expect(token.classes).toMatch(/^[\w\s-]*$/);
    }
  });
});
