import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeRequest } from '../../cluster/http.ts';
import { executeRun } from '../../engine/engine.ts';
import { loadConfig } from '../../engine/config.ts';
import { readState } from '../../sandbox/control-plane.ts';
import { spawnDetached } from '../../sandbox/processes.ts';
import { applicationCrd } from '../../sandbox/twin/crds.ts';
import { writeFileAtomic } from '../../core/fs-durable.ts';
import { twinSandbox, type TwinSandbox } from './twin-harness.ts';
import { fixtureSuite } from '../cli/harness.ts';
import { collectorLines } from '../../cli/collector-lines.ts';
import { runOutputs } from '../../cli/run-outputs.ts';

/** Kills the sandbox's kube-apiserver, waits, and starts it again with the same flags and port. */
async function bounceApiserver(dir: string, downMs: number): Promise<void> {
  const state = readState(dir)!;
  const rec = state.processes.find((p) => p.name === 'kube-apiserver')!;
  process.kill(rec.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, downMs));
  const again = spawnDetached({ name: rec.name, bin: rec.bin, args: rec.args, log: rec.log }, rec.ports);
  state.processes = state.processes.map((p) => (p.name === 'kube-apiserver' ? again.record : p));
  writeFileAtomic(join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

describe('collectors survive an API server outage', () => {
  let tw: TwinSandbox | undefined;
  afterAll(async () => tw?.stop());

  it('records the gap, resumes collection, and marks the run invalid', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'rb-gap-repo-'));
    for (const [i, n] of ['alpha', 'beta'].entries()) {
      writeFileSync(
        join(repo, `${n}.yaml`),
        `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${n}\n  namespace: argocd\n  annotations: { argocd.argoproj.io/sync-wave: "${i}" }\nspec:\n  source: { repoURL: https://git.example/r.git, path: ${n} }\n  destination: { server: https://kubernetes.default.svc, namespace: gap-${n} }\n  syncPolicy: { automated: {}, syncOptions: [CreateNamespace=true] }\n`,
      );
    }
    tw = await twinSandbox({ dir: repo }, 0.25, { launch: false });
    await kubeRequest(tw.kc, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'argocd' } } });
    await kubeRequest(tw.kc, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: applicationCrd,
    });
    await new Promise((r) => setTimeout(r, 1500));
    const home = mkdtempSync(join(tmpdir(), 'rb-gap-home-'));
    const loaded = loadConfig(join(tw.dir, 'rebuild-bench.yaml'));
    const run = executeRun({
      suiteRef: fixtureSuite('observe'),
      loaded,
      optionOverrides: { holdMs: 45_000 },
      ...runOutputs(home, loaded.config),
      dryRun: false,
      yes: true,
      interactive: false,
      logLevel: 'warn',
      cwd: process.cwd(),
      handleSignals: false,
    });
    await new Promise((r) => setTimeout(r, 4000));
    await bounceApiserver(tw.dir, 6000);
    for (let i = 0; i < 60; i++) {
      if (
        await kubeRequest(tw.kc, 'GET', '/readyz', { accept: 'text/plain' }).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await tw.launch();
    const result = await run;
    const r = result.record;
    expect(r.validity.valid).toBe(false);
    expect(r.validity.reasons.some((x) => /^waves: Application watch gap .* → \d{4}-/.test(x))).toBe(true);
    const waves = (r.summary.collectors as { waves: { apps: Array<{ name: string; healthy?: { source: string } }> } })
      .waves;
    expect(waves.apps.map((a) => a.name).sort()).toEqual(['alpha', 'beta']);
    for (const a of waves.apps) expect(a.healthy?.source).toBe('watch');
    const shown = collectorLines(r.summary.collectors as Record<string, unknown>, r.startedAt).join('\n');
    expect(shown).toMatch(/waves +all 2 Applications Synced\+Healthy at \+\d+s; 2 waves; \d+ ordering violation\(s\)/);
    expect(shown).toMatch(/wave +1 +1 apps/);
  });
});
