/**
 * The settings table of the documentation (docs/user-guide/configuration.md;
 * the README or any Markdown file of docs/ counts) lists every setting of
 * schema/*.json, with its default and a meaning (issue 23: it listed 6 of 8),
 * so it cannot drift again.
 */
export {};

// Node's fs and path, typed as far as used here (the project compiles
// without Node's types).
declare const require: (id: string) => any;
declare const __dirname: string;
const fs: {
  readdirSync(
    dir: string,
    options: { withFileTypes: true }
  ): {
    name: string;
    isDirectory(): boolean;
  }[];
  readFileSync(file: string, encoding: 'utf-8'): string;
  existsSync(file: string): boolean;
} = require('fs');
const path: {
  resolve(...parts: string[]): string;
  join(...parts: string[]): string;
} = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

function files(dir: string, suffix: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...files(full, suffix));
    } else if (entry.name.endsWith(suffix)) {
      found.push(full);
    }
  }
  return found;
}

/** `name → {default, meaning}` of every settings-table row in `text`. */
function tableRows(
  text: string
): Map<string, { value: string; meaning: string }> {
  const rows = new Map<string, { value: string; meaning: string }>();
  const row =
    /^\|\s*`([A-Za-z][A-Za-z0-9]*)`\s*\|\s*`([^`]*)`\s*\|(.*)\|\s*$/gm;
  let match: RegExpExecArray | null;
  while ((match = row.exec(text)) !== null) {
    rows.set(match[1], { value: match[2], meaning: match[3].trim() });
  }
  return rows;
}

/** A default as the table writes it: strings bare, the rest as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

describe('the settings table of the documentation', () => {
  const schemas = files(path.join(ROOT, 'schema'), '.json');
  const documents = [
    path.join(ROOT, 'README.md'),
    ...files(path.join(ROOT, 'docs'), '.md')
  ];
  const rows = new Map<string, { value: string; meaning: string }>();
  for (const document of documents) {
    for (const [name, row] of tableRows(fs.readFileSync(document, 'utf-8'))) {
      rows.set(name, row);
    }
  }

  it('reads the schemas', () => {
    expect(schemas.length).toBeGreaterThan(0);
  });

  it('lists every setting with its default and what it does', () => {
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const schema of schemas) {
      const properties: Record<string, { default?: unknown }> =
        JSON.parse(fs.readFileSync(schema, 'utf-8')).properties ?? {};
      for (const [name, property] of Object.entries(properties)) {
        const row = rows.get(name);
        if (!row || row.meaning === '') {
          missing.push(name);
        } else if (row.value !== shown(property.default)) {
          wrong.push(`${name}: ${row.value} ≠ ${shown(property.default)}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(wrong).toEqual([]);
  });

  it('finds the rows it checks', () => {
    // The parser is not fooled by the other tables (server options, CLI).
    expect(rows.has('saveBeforeRun')).toBe(true);
    expect(rows.get('defaultCommitType')?.value).toBe('exp');
  });
});
