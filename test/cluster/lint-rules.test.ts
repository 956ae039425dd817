/**
 * Every lint rule against two recorded repositories (test/fixtures/lint/<rule-id>/{triggers,silent}, see the
 * README there): the real CLI must report the rule on `triggers`, about the app expect.json names, and must not
 * report it on `silent`, the same repository with the fix applied. Lint writes nothing into the repository, so
 * it runs on the fixture directories in place.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { rules } from '../../gitops/lint/rules/index.ts';
import { repoRoot } from './twin-harness.ts';

const bin = join(repoRoot, 'bin', 'rebuild-bench.js');
const fixtures = join(repoRoot, 'test', 'fixtures', 'lint');
const CASES = ['triggers', 'silent'] as const;

interface Json {
  apps: number;
  findings: Array<{ rule: string; app?: string; file?: string; message: string; severity: string }>;
  suppressed: Array<{ rule: string; app?: string; by: string }>;
}

/** expect.json of a fixture: how to lint it, and what the finding names (in `triggers`). */
interface Expected {
  overlay: string;
  /** The app the finding names; null for a finding about the whole repository. */
  app: string | null;
  /** The file the finding points at, when checked. */
  file?: string;
  /** A clean repository: no finding of any rule. */
  clean?: boolean;
}

const ruleDirs = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function expected(dir: string): Expected {
  const e = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Partial<Expected>;
  if (typeof e.overlay !== 'string' || (e.app !== null && typeof e.app !== 'string'))
    throw new Error(`${dir}/expect.json: needs "overlay" (string) and "app" (string or null)`);
  return {
    overlay: e.overlay,
    app: e.app,
    ...(e.file === undefined ? {} : { file: e.file }),
    ...(e.clean ? { clean: true } : {}),
  };
}

describe('lint rules on recorded repositories (no cluster)', () => {
  it('at least two silent fixtures are clean repositories (no finding at all)', () => {
    const clean = ruleDirs.filter(
      (d) => existsSync(join(fixtures, d, 'silent')) && expected(join(fixtures, d, 'silent')).clean,
    );
    expect(clean.length).toBeGreaterThanOrEqual(2);
  });

  it('every rule has a triggers and a silent fixture, and every fixture is a rule', () => {
    const ids = rules.map((r) => r.id).sort();
    const missing = ids.flatMap((id) =>
      CASES.filter((kase) => !existsSync(join(fixtures, id, kase, 'expect.json'))).map((kase) => `${id}/${kase}`),
    );
    expect(missing).toEqual([]);
    expect(ruleDirs.filter((d) => !ids.includes(d))).toEqual([]);
  });

  describe.each(ruleDirs)('%s', (rule) => {
    it.each(CASES.filter((kase) => existsSync(join(fixtures, rule, kase))))('%s', async (kase) => {
      const dir = join(fixtures, rule, kase);
      const want = expected(dir);
      const r = await execa(
        'node',
        [bin, 'lint', dir, '--overlay', want.overlay, '--format', 'json', '--fail-on', 'never'],
        { reject: false, all: true },
      );
      expect(r.exitCode, r.all).toBe(0);
      const out = JSON.parse(r.stdout) as Json;
      // A small repository: 2 to 5 child Applications.
      expect(out.apps).toBeGreaterThanOrEqual(2);
      expect(out.apps).toBeLessThanOrEqual(5);
      // Nothing of this rule hidden by a lint-ignore annotation.
      expect(out.suppressed.filter((s) => s.rule === rule)).toEqual([]);
      const mine = out.findings.filter((f) => f.rule === rule);
      const report = `${rule}/${kase} findings:\n${out.findings.map((f) => `  ${f.rule} ${f.app ?? '-'}: ${f.message}`).join('\n')}`;
      if (kase === 'silent') {
        expect(mine, report).toEqual([]);
        if (want.clean) expect(out.findings, report).toEqual([]);
        return;
      }
      expect(mine.length, report).toBeGreaterThan(0);
      const named = mine.map((f) => ({
        app: f.app ?? null,
        ...(want.file === undefined ? {} : { file: f.file ?? null }),
      }));
      expect(named, report).toContainEqual({
        app: want.app,
        ...(want.file === undefined ? {} : { file: want.file }),
      });
    });
  });
});
