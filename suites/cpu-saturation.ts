import { z } from 'zod';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import { labelSelector } from '../cluster/labels.ts';
import { defineSuite, type SuiteContext } from '../engine/suite.ts';
import { cpuHog, nodeUtilisation } from '../faults/cpu-hog.ts';
import { startupPodRefusal, timePodStartup, type PodStartup } from './_pod-startup.ts';
import { steadyStateOptions } from './_options.ts';
import {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_NAMESPACE,
  KYVERNO_VALIDATING_WEBHOOK,
} from '../gitops/kyverno.ts';
import { admissionProbe, ProbeTally, startProbing, steadyState, timeUntil } from './_steady-state.ts';

const options = steadyStateOptions.extend({
  /**
   * Nodes to saturate. Default: the nodes running the admission webhooks' pods (the incident's case:
   * a saturated webhook node slows or blocks every pod creation), else the node running the most pods.
   */
  nodes: z.array(z.string()).default([]),
  durationSeconds: z.number().positive().default(120),
  /** CPU to burn per node (default: all of its allocatable CPU). */
  millicores: z.number().positive().optional(),
  /** Utilisation the hog must reach (checked before any effect is reported). */
  saturation: z.number().min(0).max(1).default(0.9),
  /**
   * Time pod start-up with a pause pod the suite creates in probeNamespace (admission, scheduling,
   * Ready), under saturation and again after it; its creation is retried while admission refuses it.
   */
  startupPod: z.boolean().default(true),
  recoveryTimeoutSeconds: z.number().positive().default(300),
});
type Options = z.infer<typeof options>;

/**
 * Saturate chosen nodes with burner pods for a while and measure what it costs: admission
 * latency (the webhooks' pods may run there), pod start-up on those nodes, restarts, and the
 * time until admission is fast again once the burners are gone.
 *
 *   steady state → saturate (verified) → hold (probe admission, time a pod start) → stop → recovery
 */
export default defineSuite({
  name: 'cpu-saturation',
  description: 'Saturate nodes with CPU burners; measure admission latency, pod start-up, restarts and recovery',
  options,
  hypothesis: (o) => steadyState(o),
  collectors: ['admission', 'restarts', 'events'],
  preflight: async ({ kube, options: o }) => {
    const refused = o.startupPod ? await startupPodRefusal(kube, o.probeNamespace) : null;
    return refused ? [`startupPod: ${refused}`] : [];
  },
  async run(ctx) {
    const o = ctx.options;
    const nodes = o.nodes.length ? o.nodes : await defaultNodes(ctx);
    const hog = await ctx.step('saturate', () =>
      ctx.fault(
        cpuHog({
          nodes,
          durationSeconds: o.durationSeconds + 60,
          saturation: o.saturation,
          ...(o.millicores ? { millicores: o.millicores } : {}),
        }),
      ),
    );

    const during = new ProbeTally();
    const startupAt = { namespace: o.probeNamespace, nodes };
    let startupSaturated: PodStartup | null = null;
    let probesDone: Promise<void> = Promise.resolve();
    await ctx.step('hold', async () => {
      // The hold keeps its own clock: blocked pod creations and slow probes never stretch it.
      const deadline = Date.now() + o.durationSeconds * 1000;
      const stopStartup = new AbortController();
      const startup = o.startupPod
        ? timePodStartup(ctx, { ...startupAt, deadline, when: 'under saturation', seq: 1, stop: stopStartup.signal })
        : null;
      startup?.catch(() => {}); // awaited below; its rejection after a failure or an abort is expected
      if (ctx.dryRun) {
        await startup;
        await ctx.sleep(o.durationSeconds * 1000);
        return;
      }
      const probing = startProbing(ctx.kube, ctx.runId, o.probeNamespace, during);
      try {
        while (Date.now() < deadline) {
          const u = await Promise.all(
            nodes.map(async (n) => {
              const busy = await nodeUtilisation(ctx.kube, n).catch(() => undefined);
              return `${n} ${busy ? `${Math.round(busy.utilisation * 100)} %` : '?'}`;
            }),
          );
          const s = during.summary();
          ctx.progress(
            `${Math.round((o.durationSeconds * 1000 - (deadline - Date.now())) / 1000)} s of ${o.durationSeconds} s · CPU ${u.join(', ')} · admission p50 ${s.latencyMs.p50 ?? '-'} ms, max ${s.latencyMs.max ?? '-'} ms, ${s.rejected} rejected`,
          );
          await ctx.sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
        }
        startupSaturated = await startup;
      } finally {
        // The timer stops now; probes still waiting for a webhook's timeout finish during the revert.
        probesDone = probing.stop();
        stopStartup.abort();
        await startup?.catch(() => {});
        if (ctx.signal.aborted) await probesDone;
      }
    });

    const recovery = await ctx.step('recover', async () => {
      const stoppedAt = Date.now();
      await hog.revert();
      await probesDone;
      if (ctx.dryRun) {
        if (o.startupPod) await timePodStartup(ctx, { ...startupAt, deadline: 0, when: 'after recovery', seq: 2 });
        return { cpuBelowSaturationMs: null, admissionFastMs: 0, startupAfter: null };
      }
      const cpuMs = await timeUntil(
        async () =>
          (await Promise.all(nodes.map((n) => nodeUtilisation(ctx.kube, n)))).every(
            (u) => !u || u.utilisation < o.saturation,
          ),
        {
          timeoutMs: o.recoveryTimeoutSeconds * 1000,
          signal: ctx.signal,
        },
      );
      const fastMs = await timeUntil(
        async () => {
          const r = await admissionProbe(ctx.kube, ctx.runId, o.probeNamespace, 15_000);
          return (
            r.outcome === 'admitted' && (o.hypothesis.admissionP99Ms === 0 || r.latencyMs < o.hypothesis.admissionP99Ms)
          );
        },
        { timeoutMs: o.recoveryTimeoutSeconds * 1000, everyMs: 1000, signal: ctx.signal },
      );
      const admissionFastMs = fastMs === null ? null : Date.now() - stoppedAt;
      const startupAfter = o.startupPod
        ? await timePodStartup(ctx, {
            ...startupAt,
            deadline: Date.now() + o.recoveryTimeoutSeconds * 1000,
            when: 'after recovery',
            seq: 2,
          })
        : null;
      return { cpuBelowSaturationMs: cpuMs, admissionFastMs, startupAfter };
    });

    ctx.summary('cpuSaturation', {
      nodes,
      durationSeconds: o.durationSeconds,
      admissionDuring: during.summary(),
      startupSaturated,
      ...recovery,
    });
    ctx.check(
      'admission fast again after the hog',
      recovery.admissionFastMs !== null,
      recovery.admissionFastMs === null
        ? 'still slow'
        : `${Math.round(recovery.admissionFastMs / 1000)} s after the burners stopped`,
    );
  },
});

/**
 * The pods answering the admission webhooks, by node: the pods behind each webhook's Service, and for
 * Kyverno's webhook configurations (which a URL may point at) Kyverno's admission controller.
 */
async function webhookBackends(ctx: SuiteContext<Options>): Promise<Map<string, string[]>> {
  /** `namespace\0selector` of the pods behind the webhooks. */
  const selectors = new Set<string>();
  for (const kind of ['validating', 'mutating']) {
    const configs = (
      await kubeRequest<{ items: any[] }>(
        ctx.kube,
        'GET',
        `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations`,
      )
    ).body.items;
    for (const c of configs) {
      if ([KYVERNO_VALIDATING_WEBHOOK, KYVERNO_MUTATING_WEBHOOK].includes(c.metadata?.name))
        selectors.add(`${KYVERNO_NAMESPACE}\0app.kubernetes.io/name=${KYVERNO_ADMISSION_DEPLOYMENT}`);
      for (const w of c.webhooks ?? []) {
        const ref = w.clientConfig?.service;
        if (!ref) continue;
        const svc = await kubeGetOrNull<any>(ctx.kube, `/api/v1/namespaces/${ref.namespace}/services/${ref.name}`);
        const selector = labelSelector(svc?.spec?.selector);
        if (selector) selectors.add(`${ref.namespace}\0${selector}`);
      }
    }
  }
  const byNode = new Map<string, string[]>();
  for (const key of selectors) {
    const [namespace, selector] = key.split('\0') as [string, string];
    const pods = (
      await kubeRequest<{ items: any[] }>(
        ctx.kube,
        'GET',
        `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
      )
    ).body.items;
    for (const p of pods)
      if (p.spec?.nodeName && p.status?.phase === 'Running') {
        const names = byNode.get(p.spec.nodeName) ?? [];
        const name = `${namespace}/${p.metadata.name}`;
        if (!names.includes(name)) byNode.set(p.spec.nodeName, [...names, name]);
      }
  }
  return byNode;
}

/** The webhook nodes, said why; the busiest node when no webhook has pods in the cluster. */
async function defaultNodes(ctx: SuiteContext<Options>): Promise<string[]> {
  const backends = await webhookBackends(ctx);
  if (backends.size > 0) {
    const nodes = [...backends.keys()].sort();
    ctx.log.info(
      `nodes (default): ${nodes.join(', ')}: ${nodes.length === 1 ? 'it runs' : 'they run'} the admission webhooks' pods (${[...backends.values()].flat().join(', ')}); saturating them is the incident's case (set --opt nodes=[…] for others)`,
    );
    return nodes;
  }
  const node = await busiestNode(ctx);
  ctx.log.info(
    `nodes (default): ${node}: no admission webhook has pods in the cluster, so the node running the most pods`,
  );
  return [node];
}

/** The node running the most pods: where a hog hurts the most workloads. */
async function busiestNode(ctx: SuiteContext<Options>): Promise<string> {
  const pods = (await kubeRequest<{ items: any[] }>(ctx.kube, 'GET', '/api/v1/pods?fieldSelector=status.phase=Running'))
    .body.items;
  const count = new Map<string, number>();
  for (const p of pods) if (p.spec?.nodeName) count.set(p.spec.nodeName, (count.get(p.spec.nodeName) ?? 0) + 1);
  const best = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  if (!best) throw new Error('no node runs any pod: name the nodes to saturate (--opt nodes=[...])');
  return best[0];
}
