import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { repoRoot } from './twin-harness.ts';

describe('rebuild-bench demo (the README\'s first command)', () => {
  const home = mkdtempSync(join(tmpdir(), 'rb-demo-'));
  afterAll(async () => void (await stopSandbox(join(home, 'demo-sandbox'), { wipe: true })));

  it('bootstraps the homelab twin on a fresh sandbox and records a passing run', async () => {
    const r = await execa('node', [join(repoRoot, 'bin', 'rebuild-bench.js'), 'demo', '--home', home, '--time-scale', '0.25'], {
      reject: false,
      all: true,
      env: { KUBECONFIG: join(home, 'none'), REBUILD_BENCH_CONFIG: '' },
      stdin: 'ignore',
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/bootstrap of 65 Applications: converged/);
    const runDir = /run store: (\S+)/.exec(r.stdout)?.[1];
    expect(runDir && existsSync(join(runDir, 'run.json'))).toBe(true);
    const list = await execa('node', [join(repoRoot, 'bin', 'rebuild-bench.js'), 'list', '--json', '--home', home]);
    const [run] = JSON.parse(list.stdout) as Array<{ suite: string; verdict: string; cluster: string }>;
    expect(run).toMatchObject({ suite: 'cluster-check', verdict: 'passed', cluster: 'sandbox' });
  });
});
