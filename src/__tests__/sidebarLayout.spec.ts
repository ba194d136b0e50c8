import {
  clampSizes,
  ISectionNeed,
  LEAST_HEIGHT,
  MIN_SHARE,
  sectionLimits
} from '../status/sizes';
import { baseName, headerParts, summarizeChanges } from '../status/summary';
import { IRepository, IStatusReply } from '../tokens';

function repository(overrides: Partial<IRepository> = {}): IRepository {
  return {
    root: '',
    contains_server_root: false,
    branch: 'main',
    detached: false,
    has_commits: true,
    head: null,
    upstream: null,
    ahead: null,
    behind: null,
    changes: {
      staged: 0,
      unstaged: 1,
      untracked: 0,
      conflicted: 0,
      dirty: true
    },
    dirty: true,
    file_state: 'modified',
    ...overrides
  };
}

function reply(path: string, repo: IRepository | null): IStatusReply {
  return {
    version: '1.0.0',
    path,
    kind: path.endsWith('.ipynb') ? 'file' : 'directory',
    directory: '',
    repository: repo,
    reason: repo ? null : 'not-a-repository',
    identity: { name: 'a', email: 'a@b', missing: false }
  };
}

describe('summarizeChanges', () => {
  it('counts an outputs-only notebook as outputs only, not as a change', () => {
    const summary = summarizeChanges(repository(), 'train.ipynb', [
      { server_path: 'train.ipynb', classification: 'outputs-only' }
    ]);
    expect(summary).toEqual({
      changed: 0,
      outputsOnly: 1,
      dirty: false,
      fileState: 'outputs-only'
    });
  });

  it('keeps source changes and other files as changes', () => {
    const repo = repository({
      changes: {
        staged: 0,
        unstaged: 1,
        untracked: 2,
        conflicted: 0,
        dirty: true
      }
    });
    const summary = summarizeChanges(repo, 'train.ipynb', [
      { server_path: 'train.ipynb', classification: 'source' },
      { server_path: 'other.ipynb', classification: 'outputs-only' },
      { server_path: 'train.py', classification: null }
    ]);
    expect(summary).toEqual({
      changed: 2,
      outputsOnly: 1,
      dirty: true,
      fileState: 'modified'
    });
  });

  it('uses the status counts until the files are classified, or when none are listed', () => {
    const repo = repository({
      changes: {
        staged: 1,
        unstaged: 1,
        untracked: 1,
        conflicted: 0,
        dirty: true
      }
    });
    expect(summarizeChanges(repo, 'x.ipynb', null).changed).toBe(3);
    expect(summarizeChanges(repo, 'x.ipynb', []).changed).toBe(3);
    expect(summarizeChanges(repo, 'x.ipynb', []).dirty).toBe(true);
  });

  it('says clean for a clean repository whatever the files say', () => {
    const repo = repository({
      dirty: false,
      file_state: 'unmodified',
      changes: {
        staged: 0,
        unstaged: 0,
        untracked: 0,
        conflicted: 0,
        dirty: false
      }
    });
    const summary = summarizeChanges(repo, 'x.ipynb', [
      { server_path: 'x.ipynb', classification: 'source' }
    ]);
    expect(summary).toEqual({
      changed: 0,
      outputsOnly: 0,
      dirty: false,
      fileState: 'unmodified'
    });
  });

  it('leaves an untracked notebook untracked', () => {
    const repo = repository({ file_state: 'untracked' });
    const summary = summarizeChanges(repo, 'new.ipynb', [
      { server_path: 'new.ipynb', classification: 'clean' }
    ]);
    expect(summary.fileState).toBe('untracked');
  });
});

describe('headerParts', () => {
  it("names a repository at the server root after the root's folder", () => {
    const status = reply('demo/train.ipynb', repository({ root: '' }));
    expect(headerParts('demo/train.ipynb', status, 'work')).toEqual({
      repository: 'work',
      path: 'demo/train.ipynb'
    });
    expect(headerParts('', reply('', repository()), 'work')).toEqual({
      repository: 'work',
      path: ''
    });
    // An unknown root name is never guessed.
    expect(headerParts('', reply('', repository()), '')).toEqual({
      repository: '/',
      path: ''
    });
  });

  it('names a repository in a folder after that folder, the path inside it', () => {
    const status = reply('a/demo/train.ipynb', repository({ root: 'a/demo' }));
    expect(headerParts('a/demo/train.ipynb', status, 'work')).toEqual({
      repository: 'demo',
      path: 'train.ipynb'
    });
    const folder = reply('a/demo', repository({ root: 'a/demo' }));
    expect(headerParts('a/demo', folder, 'work')).toEqual({
      repository: 'demo',
      path: ''
    });
  });

  it('shows the path alone outside a repository, above the root, or for another path', () => {
    expect(headerParts('x/y', reply('x/y', null), 'work')).toEqual({
      repository: '',
      path: 'x/y'
    });
    const above = reply(
      'sub',
      repository({ root: null, contains_server_root: true })
    );
    expect(headerParts('sub', above, 'work')).toEqual({
      repository: '',
      path: 'sub'
    });
    const stale = reply('old', repository({ root: 'old' }));
    expect(headerParts('new/file.ipynb', stale, 'work')).toEqual({
      repository: '',
      path: 'new/file.ipynb'
    });
  });

  it('baseName takes the last component', () => {
    expect(baseName('/home/me/work')).toBe('work');
    expect(baseName('/home/me/work/')).toBe('work');
    expect(baseName('C:\\Users\\me\\work')).toBe('work');
    expect(baseName('')).toBe('');
    expect(baseName('/')).toBe('');
  });
});

describe('clampSizes', () => {
  const defaults = [1, 3, 2];

  it('leaves usable sizes alone', () => {
    expect(
      clampSizes([0.2, 0.5, 0.3], [true, true, true], defaults)
    ).toBeNull();
  });

  it('gives a squashed section its default share back (a restored 0)', () => {
    const sizes = clampSizes([0.3, 0, 0.7], [true, true, true], defaults)!;
    expect(sizes).not.toBeNull();
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(sizes[1] / total).toBeCloseTo(0.5);
    // The others keep their proportions.
    expect(sizes[0] / sizes[2]).toBeCloseTo(0.3 / 0.7);
    expect(clampSizes(sizes, [true, true, true], defaults)).toBeNull();
  });

  it('ignores collapsed sections and keeps their sizes for later', () => {
    expect(clampSizes([0.5, 0, 0.5], [true, false, true], defaults)).toBeNull();
    const sizes = clampSizes([0.5, 0.5, 0.001], [true, false, true], defaults)!;
    expect(sizes[1]).toBeGreaterThan(0);
    const open = sizes[0] + sizes[2];
    expect(sizes[2] / open).toBeGreaterThanOrEqual(MIN_SHARE);
  });

  it('does nothing when at most one section is open', () => {
    expect(clampSizes([1, 0, 0], [true, false, false], defaults)).toBeNull();
    expect(clampSizes([0, 0, 0], [false, false, false], defaults)).toBeNull();
  });
});

describe('sectionLimits', () => {
  // The sidebar at 1280×800: about 640 px for the sections' contents.
  const need = (
    content: number,
    floor: number,
    priority: number,
    overrides: Partial<ISectionNeed> = {}
  ): ISectionNeed => ({
    expanded: true,
    content,
    floor,
    priority,
    ...overrides
  });

  it('never lets a section grow past its content', () => {
    const limits = sectionLimits(
      [need(98, 98, 0), need(300, 300, 1), need(60, 60, 2)],
      640
    );
    expect(limits.map(l => l.max)).toEqual([98, 300, 60]);
    // Room for every floor: each keeps all of its content.
    expect(limits.map(l => l.min)).toEqual([98, 300, 60]);
  });

  it('keeps the repository facts whole, then the preview, then the runs', () => {
    const limits = sectionLimits(
      [
        need(98, 98, 0), // Repository: all of it
        need(480, 420, 1), // Snapshot: the form and 8 preview lines
        need(400, 120, 2, { least: 80 }), // Runs: its toolbar and a run
        need(42, 42, 13) // Releases
      ],
      640
    );
    expect(limits[0].min).toBe(98);
    // The runs keep their least, the releases theirs; the preview the rest.
    expect(limits[2].min).toBe(80);
    expect(limits[3].min).toBe(42);
    expect(limits[1].min).toBe(640 - 98 - 80 - 42);
    expect(limits[1].max).toBe(480);
    expect(limits.reduce((sum, l) => sum + l.min, 0)).toBe(640);
  });

  it('grants floors in priority order, not in the order of the sections', () => {
    const limits = sectionLimits([need(300, 300, 2), need(300, 300, 1)], 400);
    expect(limits.map(l => l.min)).toEqual([100, 300]);
  });

  it('keeps the least of each section when even the floors do not fit', () => {
    const limits = sectionLimits(
      [need(98, 98, 0), need(480, 420, 1), need(20, 20, 2)],
      100
    );
    expect(limits.map(l => l.min)).toEqual([LEAST_HEIGHT, LEAST_HEIGHT, 20]);
  });

  it('gives collapsed sections no limits', () => {
    const limits = sectionLimits(
      [need(98, 98, 0), need(480, 420, 1, { expanded: false })],
      640
    );
    expect(limits[1]).toEqual({ min: 0, max: Infinity });
    expect(limits[0]).toEqual({ min: 98, max: 98 });
  });
});
