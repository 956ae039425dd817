import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { bin, fixtureSuite } from '../cli/harness.ts';

describe('cleanup lists cluster objects still labelled with a run id', () => {
  it('names the leftover objects of a run', async () => {
    const kubeconfig = inject('sandboxKubeconfig');
    const dir = mkdtempSync(join(tmpdir(), 'rb-leftovers-'));
    const file = join(dir, 'data.txt');
    writeFileSync(file, 'original\n');
    const home = join(dir, 'home');
    const env = { KUBECONFIG: kubeconfig, REBUILD_BENCH_CONFIG: '' };
    const run = await execa(
      'node',
      [bin, 'run', fixtureSuite('tempfile-fault'), '--home', home, '--opt', `file=${file}`, '--json'],
      { env, reject: false },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { id: string; cluster: { context: string } }).id;

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: `left-${id.slice(-4)}`, labels: { 'rebuild-bench/run': id } }, data: { a: '1' } },
    });
    const clean = await execa('node', [bin, 'cleanup', '--run', id, '--home', home], { env, reject: false });
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stdout).toContain(`run ${id}: 0 rolled back, 0 failed, 1 labelled object(s) left`);
    expect(clean.stdout).toContain(`left: ConfigMap default/left-${id.slice(-4)}`);

    // Without --run: the run has nothing to roll back, and its leftover is still listed.
    const bare = await execa('node', [bin, 'cleanup', '--home', home], { env, reject: false });
    expect(bare.exitCode, bare.stderr).toBe(0);
    expect(bare.stdout).toContain(`run ${id}: 0 rolled back, 0 failed, 1 labelled object(s) left`);
    expect(bare.stdout).toContain(`left: ConfigMap default/left-${id.slice(-4)}`);
    expect(bare.stdout).not.toContain('nothing to clean up');
    expect(bare.stdout).toContain('`rebuild-bench cleanup --yes` deletes them');

    const yes = await execa('node', [bin, 'cleanup', '--yes', '--home', home], { env, reject: false });
    expect(yes.exitCode, yes.stderr).toBe(0);
    expect(yes.stdout).toContain(`ConfigMap default/left-${id.slice(-4)}: deleted`);
    const gone = await kc
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedConfigMap({ namespace: 'default', name: `left-${id.slice(-4)}` })
      .then(
        () => false,
        () => true,
      );
    expect(gone).toBe(true);
    const after = await execa('node', [bin, 'cleanup', '--home', home], { env, reject: false });
    expect(after.stdout).toContain('nothing to clean up');
  });
});
