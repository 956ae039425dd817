import { resolve } from 'node:path';
import { z } from 'zod';
import { kubeRequest } from '../cluster/http.ts';
import type { RestartsSummary } from '../collectors/restarts.ts';
import type { WavesSummary } from '../collectors/waves.ts';
import { defineSuite } from '../engine/suite.ts';
import { clusterDestroy, planGuard, rebuildToolSchema } from '../faults/terraform.ts';
import { targetOutcome, type RebuildSummary } from '../reports/target.ts';
import { waveLine } from '../sandbox/twin/progress.ts';

const hookSchema = z.strictObject({
  name: z.string(),
  /** A shell command run in the working directory. */
  run: z.string().optional(),
  /** Create this namespace (the cert-manager chart does not). */
  createNamespace: z.string().optional(),
  /** namespace/deployment to restart (e.g. argocd/argocd-repo-server after EOF errors). */
  restartDeployment: z.string().optional(),
});

/**
 * The main job: destroy the cluster, recreate it, and time every phase from the destroy on:
 * apply → API reachable → nodes Ready → post-create hooks → Argo CD ready → root app → each wave
 * Healthy → every Application Synced and Healthy, against the target window.
 */
export default defineSuite({
  name: 'rebuild',
  description: 'Destroy and recreate the cluster (terraform/tofu or your commands) and time the GitOps bootstrap wave by wave',
  destructive: true,
  options: rebuildToolSchema.extend({
    hooks: z.array(hookSchema).default([]),
    /** Give up waiting for every Application to be Healthy after this long (minutes). */
    bootstrapTimeoutMinutes: z.number().positive().default(90),
    /** Multiplies the target window (the demo scales it to the twin's durations). */
    targetScale: z.number().positive().default(1),
    /** Why the window is scaled, shown in reports. */
    targetNote: z.string().optional(),
    /** Skip the plan guard (tool: commands never plans). */
    skipPlan: z.boolean().default(false),
  }),
  async run(ctx) {
    const o = ctx.options;
    const cfgTarget = ctx.config.target;
    const target = { minMinutes: cfgTarget.minMinutes, maxMinutes: cfgTarget.maxMinutes, scale: o.targetScale, ...(o.targetNote ? { note: o.targetNote } : {}) };
    const argocd = ctx.cluster.entry?.argocd ?? { namespace: 'argocd', rootApp: 'root', waveAnnotation: 'argocd.argoproj.io/sync-wave' };
    if (!o.skipPlan) await ctx.step('plan', async () => ctx.summary('plan', await planGuard(o, ctx.log, resolve(process.cwd(), o.workingDir))));

    const clockStart = Date.now();
    const phases: RebuildSummary['phases'] = [];
    const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const p = { name, startMs: Date.now() - clockStart, endMs: null as number | null };
      phases.push(p);
      try {
        return await ctx.step(name, fn);
      } finally {
        p.endMs = Date.now() - clockStart;
      }
    };
    let collected: () => Record<string, unknown> = () => ({});
    let lastProgress = '';
    let totalMs: number | null = null;
    const publish = () => {
      const summary: RebuildSummary = { clockStart, totalMs, target, outcome: targetOutcome(totalMs, target), phases };
      ctx.summary('rebuild', summary);
    };
    try {
      const destroyed = await phase('destroy', () => ctx.fault(clusterDestroy(o, (d) => d.stateRemoved.length && ctx.summary('stateRmRetry', d.stateRemoved))));
      await phase('apply', () => destroyed.revert());
      ctx.reloadKube();
      await phase('api-reachable', () =>
        ctx.waitFor('the API server to answer /readyz', async () => (await kubeRequest(ctx.kube, 'GET', '/readyz', { accept: 'text/plain', timeoutMs: 5000 })).status === 200, {
          timeoutMs: 30 * 60_000,
          intervalMs: 1000,
        }),
      );
      await phase('nodes-ready', () =>
        ctx.waitFor('every node Ready', async () => {
          const nodes = (await kubeRequest<{ items: any[] }>(ctx.kube, 'GET', '/api/v1/nodes')).body.items;
          const ready = nodes.filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
          return { ok: nodes.length > 0 && ready.length === nodes.length, detail: `${ready.length}/${nodes.length}` };
        }, { timeoutMs: 30 * 60_000 }),
      );
      for (const h of o.hooks) await phase(`hook: ${h.name}`, () => runHook(ctx, h));
      await phase('argocd-ready', () =>
        ctx.waitFor('the Argo CD Application API', async () => (await kubeRequest(ctx.kube, 'GET', '/apis/argoproj.io/v1alpha1/namespaces/' + argocd.namespace + '/applications?limit=1')).status === 200, {
          timeoutMs: 30 * 60_000,
        }),
      );
      collected = await ctx.collect(['waves', 'restarts', 'events']);
      await phase('root-app-created', () =>
        ctx.waitFor(`the root Application ${argocd.rootApp}`, async () => (await kubeRequest(ctx.kube, 'GET', `/apis/argoproj.io/v1alpha1/namespaces/${argocd.namespace}/applications/${argocd.rootApp}`)).status === 200, {
          timeoutMs: 30 * 60_000,
        }),
      );
      await phase('waves', () =>
        ctx.waitFor(
          'every Application Synced and Healthy',
          async () => {
            const items = (await kubeRequest<{ items: any[] }>(ctx.kube, 'GET', `/apis/argoproj.io/v1alpha1/namespaces/${argocd.namespace}/applications`)).body.items;
            const healthy = (a: any) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';
            const ok = items.filter(healthy);
            const waves = waveLine(items.map((a) => ({ wave: Number(a.metadata?.annotations?.[argocd.waveAnnotation] ?? 0) || 0, ok: healthy(a) })));
            return { ok: items.length > 1 && ok.length === items.length, detail: `${ok.length}/${items.length} Synced and Healthy · waves ${waves}` };
          },
          {
            timeoutMs: o.bootstrapTimeoutMinutes * 60_000,
            intervalMs: 2000,
            onPoll: (detail) => {
              if (!detail || detail === lastProgress) return;
              lastProgress = detail;
              ctx.log.info(`${fmtElapsed(Date.now() - clockStart)} since destroy (target ${fmtMin(target.minMinutes * target.scale)}–${fmtMin(target.maxMinutes * target.scale)}) · ${detail}`);
            },
          },
        ),
      );
      const waves = collected().waves as WavesSummary | undefined;
      totalMs = (waves?.allHealthyAt ?? Date.now()) - clockStart;
    } finally {
      publish();
      const restarts = collected().restarts as RestartsSummary | undefined;
      const outcome = targetOutcome(totalMs, target);
      const max = target.maxMinutes * target.scale;
      ctx.check(`rebuild within ${fmtMin(max)}`, outcome === 'ahead' || outcome === 'on-target', totalMs === null ? 'did not finish' : `${fmtMin(totalMs / 60_000)} (${outcome})`);
      if (restarts) ctx.check('zero CrashLoopBackOff', restarts.crashLoopBackOff === 0, `${restarts.crashLoopBackOff} CrashLoopBackOff entries, ${restarts.restarts} restarts`);
    }
  },
});

function fmtElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function fmtMin(m: number): string {
  return m >= 1 ? `${Math.round(m * 10) / 10} min` : `${Math.round(m * 60)} s`;
}

async function runHook(ctx: { kube: import('@kubernetes/client-node').KubeConfig; log: import('../engine/logger.ts').Logger }, h: z.infer<typeof hookSchema>): Promise<void> {
  if (h.createNamespace) {
    await kubeRequest(ctx.kube, 'POST', '/api/v1/namespaces', { body: { metadata: { name: h.createNamespace, labels: { 'app.kubernetes.io/managed-by': 'rebuild-bench' } } } }).catch((err) => {
      if (!/409/.test(String(err))) throw err;
    });
  }
  if (h.restartDeployment) {
    const [ns, name] = h.restartDeployment.split('/');
    await kubeRequest(ctx.kube, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
      body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } },
      contentType: 'application/merge-patch+json',
    });
  }
  if (h.run) {
    const { execaCommand } = await import('execa');
    const r = await execaCommand(h.run, { shell: true, reject: false, all: true, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new Error(`hook ${h.name} exited ${r.exitCode}: ${(r.all ?? '').split('\n').slice(-3).join(' | ')}`);
  }
}
