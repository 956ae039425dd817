import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bin, repoRoot } from './harness.ts';

/** A user's suite: a command fault held for a moment, and a measured wait (docs/writing-a-suite.md). */
const suite = `import { command, defineSuite } from 'rebuild-bench';

export default defineSuite({
  name: 'my-suite',
  description: 'a fault of my own, held and timed',
  async run(ctx) {
    await ctx.step('inject', () => ctx.fault(command({ title: 'switch on', apply: 'echo on > state', revert: 'echo off > state' })));
    const held = await ctx.step('hold', () => ctx.hold(300, undefined, { everyMs: 50 }));
    const ms = await ctx.timeUntil('state file on', async () => true, { timeoutMs: 1000 });
    ctx.summary('mine', { held: held >= 300, measured: ms !== null });
  },
});
`;

/** A directory outside the repository with rebuild-bench installed (a link, as npm link places it). */
function userDir(packageJson: object | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-user-suite-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repoRoot, join(dir, 'node_modules', 'rebuild-bench'));
  if (packageJson) writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  writeFileSync(join(dir, 'my-suite.ts'), suite);
  return dir;
}

const run = (dir: string, args: string[]) =>
  execa('node', [bin, 'run', './my-suite.ts', ...args, '--home', join(dir, 'home'), '--no-live'], {
    cwd: dir,
    reject: false,
    all: true,
    stdin: 'ignore',
    env: { KUBECONFIG: join(dir, 'none'), REBUILD_BENCH_CONFIG: '' },
  });

describe("a suite in the user's own directory, importing 'rebuild-bench'", () => {
  for (const [where, pkg] of [
    ['with no package.json', undefined],
    ['in a package without "type": "module" (what npm init writes)', { name: 'mine', version: '1.0.0' }],
    ['in a "type": "module" package', { name: 'mine', type: 'module' }],
  ] as const)
    it(`loads and runs ${where}: the fault applied and reverted, the hold and the wait measured`, async () => {
      const dir = userDir(pkg);
      const plan = await run(dir, ['--dry-run']);
      expect(plan.exitCode, plan.all).toBe(0);
      expect(plan.stdout).toMatch(
        /step: inject\n\s+fault: switch on[^\n]*\n\s*step: hold\n\s+hold: 300 ms\n\s*wait: state file on/,
      );
      const r = await run(dir, []);
      expect(r.exitCode, r.all).toBe(0);
      expect(readFileSync(join(dir, 'state'), 'utf8')).toBe('off\n');
      const runs = join(dir, 'home', 'runs');
      const [id] = (await import('node:fs')).readdirSync(runs);
      const record = JSON.parse(readFileSync(join(runs, id!, 'run.json'), 'utf8'));
      expect(record.summary.mine).toEqual({ held: true, measured: true });
    });
});
