/**
 * The layering the folders' index.ts promise: common/ imports no feature,
 * features do not import each other, and no import cycle exists.
 */
// Node's fs and path, typed as far as used here (the project compiles
// without Node's types).
declare const require: (id: string) => any;
declare const __dirname: string;
interface IEntry {
  name: string;
  isDirectory(): boolean;
}
const fs: {
  readdirSync(dir: string, options: { withFileTypes: true }): IEntry[];
  readFileSync(file: string, encoding: 'utf-8'): string;
  existsSync(file: string): boolean;
} = require('fs');
const path: {
  resolve(...parts: string[]): string;
  join(...parts: string[]): string;
  dirname(file: string): string;
  relative(from: string, to: string): string;
  sep: string;
} = require('path');

const SRC = path.resolve(__dirname, '..');
const FEATURES = [
  'status',
  'commit',
  'export',
  'runs',
  'history',
  'compare',
  'reproduce'
];

function sources(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__tests__') {
        files.push(...sources(full));
      }
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      files.push(full);
    }
  }
  return files;
}

/** The source files a module imports (relative imports only). */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf-8');
  const found: string[] = [];
  const pattern = /from '(\.[^']*)'/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const base = path.resolve(path.dirname(file), match[1]);
    const target = [
      `${base}.ts`,
      `${base}.tsx`,
      path.join(base, 'index.ts')
    ].find(candidate => fs.existsSync(candidate));
    if (target) {
      found.push(target);
    }
  }
  return found;
}

/** The top folder of a source file: 'common', a feature, or '' for src/. */
function room(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}

const graph = new Map(sources(SRC).map(file => [file, imports(file)]));
const rel = (file: string) => path.relative(SRC, file);

describe('layers', () => {
  it('finds the sources', () => {
    expect(graph.size).toBeGreaterThan(20);
  });

  it('common/ imports nothing of the features, tokens or index', () => {
    const bad: string[] = [];
    for (const [file, targets] of graph) {
      if (room(file) !== 'common') {
        continue;
      }
      for (const target of targets) {
        if (room(target) !== 'common') {
          bad.push(`${rel(file)} -> ${rel(target)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('features import common/ and tokens.ts, not each other', () => {
    const bad: string[] = [];
    for (const [file, targets] of graph) {
      const own = room(file);
      if (!FEATURES.includes(own)) {
        continue;
      }
      for (const target of targets) {
        const other = room(target);
        const allowed =
          other === own || other === 'common' || rel(target) === 'tokens.ts';
        if (!allowed) {
          bad.push(`${rel(file)} -> ${rel(target)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'visiting');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'visiting') {
          const start = stack.indexOf(target);
          cycles.push([...stack.slice(start), target].map(rel).join(' -> '));
        } else if (!state.has(target)) {
          visit(target);
        }
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) {
      if (!state.has(file)) {
        visit(file);
      }
    }
    expect(cycles).toEqual([]);
  });
});

describe('rooms', () => {
  it('every folder of src/ is a room the rules know', () => {
    const folders = fs
      .readdirSync(SRC, { withFileTypes: true })
      .filter(entry => entry.isDirectory() && entry.name !== '__tests__')
      .map(entry => entry.name)
      .sort();
    expect(folders).toEqual(['common', ...FEATURES].sort());
  });

  it('each room says in its index.ts what it may import', () => {
    for (const folder of ['common', ...FEATURES]) {
      const text = fs.readFileSync(path.join(SRC, folder, 'index.ts'), 'utf-8');
      expect(text).toMatch(/May import:/);
    }
  });
});
