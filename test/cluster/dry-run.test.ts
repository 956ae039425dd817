import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { sandboxStatus } from '../../sandbox/control-plane.ts';
import { bin } from '../cli/harness.ts';

const cli = (args: string[]) => execa('node', [bin, ...args], { reject: false, env: { REBUILD_BENCH_CONFIG: '' } });
const alivePids = (dir: string) =>
  sandboxStatus(dir)
    .processes.filter((p) => p.alive)
    .map((p) => p.pid)
    .sort();

describe('--dry-run shows the plan and changes nothing', () => {
  it('sandbox down --wipe --dry-run on a running sandbox: every process still up, every file still there', async () => {
    const dir = inject('sandboxDir');
    const before = { pids: alivePids(dir), files: readdirSync(dir).sort() };
    expect(before.pids.length).toBeGreaterThan(3);
    const r = await cli(['sandbox', 'down', '--wipe', '--dry-run', '--dir', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('sandbox down --wipe (dry-run: nothing was changed)');
    expect(r.stdout).toMatch(
      new RegExp(`would stop ${before.pids.length} process\\(es\\)[^\\n]*kube-apiserver \\(pid`),
    );
    expect(r.stdout).toContain('would delete the etcd and InfluxDB data');
    expect(alivePids(dir)).toEqual(before.pids);
    expect(readdirSync(dir).sort()).toEqual(before.files);
  });

  it('sandbox up --dry-run starts nothing and creates no directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rb-dry-up-')), 'sandbox');
    const r = await cli(['sandbox', 'up', '--dry-run', '--dir', dir, '--nodes', '2', '--influx']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would start etcd, kube-apiserver.*\(2 node\(s\)\), and influxd/);
    expect(existsSync(dir)).toBe(false);
  });

  it('demo --dry-run prints its four steps and writes nothing under --home', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'rb-dry-demo-')), 'home');
    const r = await cli(['demo', '--dry-run', '--home', home]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('demo (dry-run: nothing was changed)');
    expect(r.stdout).toMatch(/toolchain: (every binary is already built|would build)/);
    expect(r.stdout).toContain(`${join(home, 'demo-sandbox')}: nothing is running`);
    expect(r.stdout).toContain('would start a fresh sandbox');
    expect(existsSync(home)).toBe(false);
  });
});
