import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixtureSuite, read, runDirs, untilApplied, workspace, type Workspace } from './harness.ts';

/** A kubeconfig with two contexts pointing at a closed loopback port: nothing ever connects. */
function kubeconfig(ws: Workspace): string {
  const path = join(ws.dir, 'kubeconfig');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: dev
  cluster: { server: "https://127.0.0.1:1" }
- name: prod
  cluster: { server: "https://127.0.0.1:2" }
users:
- name: u
  user: { token: "s3cr3t-token-value" }
contexts:
- name: admin@dev
  context: { cluster: dev, user: u }
- name: admin@prod
  context: { cluster: prod, user: u }
current-context: admin@prod
`,
  );
  return path;
}

function destructiveWs(allow: boolean): Workspace & { kc: string } {
  const ws = workspace();
  const kc = kubeconfig(ws);
  writeFileSync(
    ws.config,
    `clusters:
  dev:
    context: admin@dev
    allowDestructive: ${allow}
  prod:
    context: admin@prod
suites:
  destructive-fault:
    file: ${ws.file}
`,
  );
  return { ...ws, kc };
}

const suite = fixtureSuite('destructive-fault');

describe('guards', () => {
  it('refuses a destructive suite on a context that is not allowlisted, touching nothing', async () => {
    const ws = destructiveWs(true);
    const r = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--context', 'admin@prod', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('not allowlisted');
    expect(r.stderr).toContain('allowDestructive: true');
    expect(runDirs(ws)).toEqual([]);
    expect(read(ws.file)).toBe('original\n');
  });

  it('refuses the current context when it is not in the config', async () => {
    const ws = destructiveWs(true);
    writeFileSync(ws.config, `suites:\n  destructive-fault:\n    file: ${ws.file}\n`);
    const r = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('context "admin@prod" is not a cluster in');
  });

  it('refuses without --yes when there is no terminal to ask', async () => {
    const ws = destructiveWs(true);
    const r = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--context', 'admin@dev']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('pass --yes');
    expect(read(ws.file)).toBe('original\n');
  });

  it('--non-interactive runs an allowlisted cluster without a prompt, and still refuses one that is not', async () => {
    const ws = destructiveWs(true);
    const refused = await cli(ws, [
      'run',
      suite,
      '--kubeconfig',
      ws.kc,
      '--context',
      'admin@prod',
      '--non-interactive',
    ]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('not allowlisted');
    expect(runDirs(ws)).toEqual([]);
    const r = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--context', 'admin@dev', '--non-interactive']);
    expect(r.exitCode, r.all).toBe(0);
    expect(read(ws.file)).toBe('original\n');
  });

  it('refuses an allowlisted cluster whose flag is false', async () => {
    const ws = destructiveWs(false);
    const r = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--context', 'dev', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('clusters.dev.allowDestructive: true');
  });

  it('runs on an allowlisted context with --yes', async () => {
    const ws = destructiveWs(true);
    const r = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--context', 'admin@dev', '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    expect(read(ws.file)).toBe('original\n');
    expect(r.all).not.toContain('s3cr3t-token-value');
  });

  it('--dry-run prints the plan, applies no fault and writes no run', async () => {
    const ws = destructiveWs(true);
    const r = await cli(ws, [
      'run',
      suite,
      '--kubeconfig',
      ws.kc,
      '--context',
      'admin@dev',
      '--dry-run',
      '--opt',
      'holdMs=60000',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('step: destroy');
    expect(r.stdout).toContain('fault: destroy file (would apply, then roll back)');
    expect(r.stdout).toContain('sleep: 1 min 0 s');
    expect(read(ws.file)).toBe('original\n');
    expect(existsSync(`${ws.file}.bak`)).toBe(false);
    expect(runDirs(ws)).toEqual([]);
  });

  it('refuses a second run on the same cluster with exit 5, naming the holder', async () => {
    const ws = destructiveWs(true);
    const first = cli(ws, [
      'run',
      suite,
      '--kubeconfig',
      ws.kc,
      '--context',
      'admin@dev',
      '--yes',
      '--opt',
      'holdMs=60000',
    ]);
    const dir = await untilApplied(ws);
    const second = await cli(ws, ['run', suite, '--kubeconfig', ws.kc, '--context', 'admin@dev', '--yes']);
    expect(second.exitCode).toBe(5);
    expect(second.stderr).toContain(`is busy: run ${dir.split('/').pop()}`);
    first.kill('SIGTERM');
    expect((await first).exitCode).toBe(3);
    expect(read(ws.file)).toBe('original\n');
  });

  it('replaces and reports a stale lock left by a dead process', async () => {
    const ws = destructiveWs(true);
    const first = cli(ws, [
      'run',
      suite,
      '--kubeconfig',
      ws.kc,
      '--context',
      'admin@dev',
      '--yes',
      '--opt',
      'holdMs=60000',
    ]);
    await untilApplied(ws);
    first.kill('SIGKILL');
    await first;
    const r = await cli(ws, [
      'run',
      fixtureSuite('tempfile-fault'),
      '--kubeconfig',
      ws.kc,
      '--context',
      'admin@dev',
      '--opt',
      `file=${ws.dir}/other.txt`,
    ]);
    expect(r.stderr).toContain('replaced a stale run lock');
    await cli(ws, ['cleanup']);
    expect(read(ws.file)).toBe('original\n');
  });
});
