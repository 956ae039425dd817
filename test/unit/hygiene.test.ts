import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const skipDirs = new Set(['node_modules', '.git', '.rebuild-bench', 'dist', 'coverage']);

/** Every file of the repository (what git would track), as text. */
function repoFiles(dir = root, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skipDirs.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) repoFiles(p, out);
    else if (e.isFile() && statSync(p).size < 5_000_000) out.push(p);
  }
  return out;
}

/** Package-registry hosts, spelled in pieces so that this file does not contain them either. */
const registryHosts = [
  ['registry', 'npmjs', 'org'],
  ['registry', 'npmjs', 'com'],
  ['registry', 'yarnpkg', 'com'],
  ['proxy', 'golang', 'org'],
  ['sum', 'golang', 'org'],
  ['goproxy', 'io'],
  ['goproxy', 'cn'],
  ['pypi', 'org'],
  ['files', 'pythonhosted', 'org'],
  ['crates', 'io'],
  ['rubygems', 'org'],
  ['repo1', 'maven', 'org'],
  ['repo', 'maven', 'apache', 'org'],
  ['api', 'nuget', 'org'],
  ['packagist', 'org'],
].map((parts) => parts.join('.'));

describe('repository hygiene', () => {
  it('names no package-registry host anywhere (GOPROXY tests use example.invalid hosts)', () => {
    const hits: string[] = [];
    for (const f of repoFiles()) {
      const text = readFileSync(f, 'latin1').toLowerCase();
      for (const h of registryHosts) if (text.includes(h)) hits.push(`${relative(root, f)}: ${h}`);
    }
    expect(hits).toEqual([]);
  });

  it('uses no execaCommand (deprecated; it splits user commands on spaces and collapses whitespace)', () => {
    const uses = repoFiles()
      .filter((f) => f.endsWith('.ts') && !f.endsWith('hygiene.test.ts'))
      .filter((f) => /\bexecaCommand(Sync)?\b/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(uses).toEqual([]);
  });

  it('engines.node allows only Node versions every runtime dependency supports', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
    };
    const ours = pkg.engines.node;
    const candidates: string[] = [];
    for (let major = 16; major <= 30; major++)
      for (let minor = 0; minor <= 30; minor++)
        for (const patch of [0, 9]) candidates.push(`${major}.${minor}.${patch}`);
    const allowed = candidates.filter((v) => satisfies(v, ours));
    expect(allowed.length).toBeGreaterThan(0);
    const conflicts: string[] = [];
    for (const [name, p] of Object.entries(lock.packages)) {
      const need = !p.dev && p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
      if (!name || !need) continue;
      const bad = allowed.find((v) => !satisfies(v, need));
      if (bad) conflicts.push(`${name} needs node ${need}, engines allows ${bad}`);
    }
    expect(conflicts).toEqual([]);
    // yargs 18 needs ^20.19: 20.18 must be refused.
    expect(satisfies('20.18.0', ours)).toBe(false);
    expect(satisfies('20.19.0', ours)).toBe(true);
  });

  it('the CI example uploads the reports only, never whole run directories (run.log, journal, points)', () => {
    const wf = parse(readFileSync(join(root, 'examples', 'ci', 'github-actions.yml'), 'utf8')) as {
      jobs: Record<string, { steps: Array<{ uses?: string; with?: { path?: string } }> }>;
    };
    const uploads = Object.values(wf.jobs).flatMap((j) =>
      j.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact')),
    );
    expect(uploads.length).toBeGreaterThan(0);
    for (const u of uploads) {
      const paths = (u.with?.path ?? '').split('\n').filter((l) => l.trim());
      expect(paths.length).toBeGreaterThan(0);
      for (const p of paths) expect(p.trim()).toMatch(/\/(report\.(md|html|json)|junit\.xml)$/);
    }
  });
});

/** A small semver range check: `||`, space-separated comparators, ^ ~ >= > <= < =, x/partial versions. */
function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number) as [number, number, number];
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  return range.split('||').some((set) => {
    const parts = set
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    return parts.every((c) => {
      const m = /^(>=|<=|>|<|=|\^|~)?v?(\*|x|\d+)(?:\.(\*|x|\d+))?(?:\.(\*|x|\d+))?/.exec(c);
      if (!m) throw new Error(`cannot read range ${range}`);
      const op = m[1] ?? '';
      const nums = [m[2], m[3], m[4]].filter((x) => x !== undefined && x !== '*' && x !== 'x').map(Number);
      if (nums.length === 0) return true;
      const base = [nums[0]!, nums[1] ?? 0, nums[2] ?? 0];
      const d = cmp(v, base);
      switch (op) {
        case '>=':
          return d >= 0;
        case '>':
          return d > 0;
        case '<=':
          return d <= 0;
        case '<':
          return d < 0;
        case '^': {
          const upper = base[0]! > 0 ? [base[0]! + 1, 0, 0] : [0, base[1]! + 1, 0];
          return d >= 0 && cmp(v, upper) < 0;
        }
        case '~':
          return d >= 0 && cmp(v, [base[0]!, base[1]! + 1, 0]) < 0;
        default: {
          // "=1.2" or "1.2": every version with that prefix.
          if (nums.length === 3) return d === 0;
          const upper = nums.length === 1 ? [nums[0]! + 1, 0, 0] : [nums[0]!, nums[1]! + 1, 0];
          return d >= 0 && cmp(v, upper) < 0;
        }
      }
    });
  });
}
