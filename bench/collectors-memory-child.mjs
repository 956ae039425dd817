/**
 * Child of memory.bench.ts, plain Node on the compiled modules (dist/, as the CLI runs): watches a
 * cluster the way a run does and prints its own peak RSS and, after a full GC, the heap it retains.
 * `projected`: the collectors (waves, restarts, events) as they run. `whole`: the same three
 * watches keeping whole objects (what the collectors held before projections), for comparison.
 */
import * as k8s from '@kubernetes/client-node';
import { ResilientWatch } from '../dist/cluster/watch.js';
import { createCollectors } from '../dist/collectors/registry.js';
import { defaultArgocdSettings } from '../dist/collectors/settings.js';
import { silentLogger } from '../dist/core/logger.js';

const [kubeconfig, mode, holdMs] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
let peak = process.memoryUsage().rss;
const sampler = globalThis.setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const baseline = process.memoryUsage().rss;
const stops = [];
if (mode === 'projected') {
  for (const c of createCollectors(['waves', 'restarts', 'events'])) {
    await c.start({
      kc,
      runId: 'bench',
      log: silentLogger,
      emit: () => {},
      argocd: defaultArgocdSettings,
      activeFault: () => undefined,
      signal: new globalThis.AbortController().signal,
    });
    stops.push(() => c.stop());
  }
} else {
  for (const path of ['/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', '/api/v1/pods', '/api/v1/events']) {
    const w = new ResilientWatch(kc, { path });
    await w.start();
    stops.push(() => w.stop());
  }
}
await new Promise((r) => globalThis.setTimeout(r, Number(holdMs ?? 10_000)));
globalThis.clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
globalThis.gc?.();
const retained = process.memoryUsage().heapUsed;
for (const s of stops) await s();
console.log(JSON.stringify({ baselineRss: baseline, peakRss: peak, retainedHeap: retained }));
