/**
 * `npm run bench -- pods`: the pods collector against the twin's ground truth. The homelab twin is
 * rebuilt at time scale 0.25 with the collector watching from before; for every pod the twin made
 * Ready, |collector − truth| of its Ready time and of the end of its image pulls (the twin's kubelet
 * writes the truth when its status write or Pulled event completes). Goal: p99 ≤ 100 ms.
 */
import { quantileSorted } from 'simple-statistics';
import { kubeRequest } from '../cluster/http.ts';
import { createCollectors } from '../collectors/registry.ts';
import type { PodsSummary } from '../record/summaries.ts';
import { applicationCrd } from '../sandbox/twin/crds.ts';
import { homelab, twinSandbox } from '../test/cluster/twin-harness.ts';
import { benchCollectorContext } from './collector-context.ts';
import type { BenchResult } from './run.ts';

export async function run(): Promise<BenchResult[]> {
  const tw = await twinSandbox({ dir: homelab }, 0.25, { launch: false });
  try {
    const collectors = createCollectors(['pods']);
    await kubeRequest(tw.kc, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'argocd' } } });
    await kubeRequest(tw.kc, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: applicationCrd,
    });
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of collectors) await c.start(benchCollectorContext(tw.kc, 'pods-bench'));
    await tw.launch();
    if (!(await tw.converge()).converged) throw new Error('the homelab twin did not converge');
    for (const c of collectors) await c.stop();
    const pods = collectors.find((c) => c.name === 'pods')!.summary() as PodsSummary;
    const byPod = new Map(pods.records.map((r) => [`${r.namespace}/${r.pod}`, r]));
    const ready: number[] = [];
    const pulled: number[] = [];
    const seen = new Set<string>();
    for (const e of tw.truth()) {
      if (e.kind !== 'pod-ready' && e.kind !== 'pod-pulled') continue;
      const key = `${e.kind} ${e.namespace}/${e.pod}`;
      const r = byPod.get(`${e.namespace}/${e.pod}`);
      if (seen.has(key) || !r) continue;
      seen.add(key);
      const phase = e.kind === 'pod-ready' ? r.phases.ready : r.phases.pulled;
      if (phase !== undefined) (e.kind === 'pod-ready' ? ready : pulled).push(Math.abs(r.created.t + phase - e.t));
    }
    const p99 = (xs: number[]) =>
      Math.round(
        quantileSorted(
          [...xs].sort((a, b) => a - b),
          0.99,
        ),
      );
    return [
      { name: 'pods timed (Ready in the truth log)', value: ready.length, unit: 'pods' },
      { name: '|collector − truth| Ready, p99', value: p99(ready), unit: 'ms', goal: { op: '<=', value: 100 } },
      { name: '|collector − truth| end of pulls, p99', value: p99(pulled), unit: 'ms', goal: { op: '<=', value: 100 } },
    ];
  } finally {
    await tw.stop();
  }
}
