import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { defineSuite } from '../engine/suite.ts';
import { ARGOCD_NAMESPACE } from '../gitops/argocd.ts';

/**
 * Read-only: records the cluster's steady state (API reachable, nodes Ready, Argo CD
 * Applications Synced and Healthy, no pod in CrashLoopBackOff). The hypothesis every chaos
 * suite starts from, runnable on its own.
 */
export default defineSuite({
  name: 'cluster-check',
  description: 'Read-only steady-state check: nodes Ready, Applications Synced/Healthy, no CrashLoopBackOff',
  options: z.strictObject({
    /** Fail when fewer nodes than this are Ready. */
    minReadyNodes: z.number().int().min(0).default(1),
    /** Check Argo CD Applications when their CRD exists. */
    applications: z.boolean().default(true),
  }),
  async run(ctx) {
    const core = ctx.kube.makeApiClient(k8s.CoreV1Api);
    const nodes = await ctx.step('nodes', async () => {
      const list = await core.listNode();
      const ready = list.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return { total: list.items.length, ready: ready.length };
    });
    ctx.summary('nodes', nodes);
    ctx.check(
      `at least ${ctx.options.minReadyNodes} node(s) Ready`,
      nodes.ready >= ctx.options.minReadyNodes,
      `${nodes.ready}/${nodes.total} Ready`,
    );

    const crashLooping = await ctx.step('pods', async () => {
      const pods = await core.listPodForAllNamespaces();
      return pods.items
        .filter((p) => p.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'))
        .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    });
    ctx.summary('crashLoopBackOff', crashLooping);
    ctx.check(
      'no pod in CrashLoopBackOff',
      crashLooping.length === 0,
      crashLooping.slice(0, 5).join(', ') || undefined,
    );

    if (!ctx.options.applications) return;
    const ns = ctx.cluster.entry?.argocd.namespace ?? ARGOCD_NAMESPACE;
    await ctx.step('applications', async () => {
      const custom = ctx.kube.makeApiClient(k8s.CustomObjectsApi);
      let apps: Array<{
        metadata?: { name?: string };
        status?: { sync?: { status?: string }; health?: { status?: string } };
      }>;
      try {
        const res = (await custom.listNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'applications',
        })) as {
          items: typeof apps;
        };
        apps = res.items;
      } catch (err) {
        if ((err as { code?: number }).code === 404) {
          ctx.log.info('no Argo CD Application CRD on this cluster: skipping the Applications check');
          return;
        }
        throw err;
      }
      const notReady = apps.filter(
        (a) => a.status?.sync?.status !== 'Synced' || a.status?.health?.status !== 'Healthy',
      );
      ctx.summary('applications', { total: apps.length, notSyncedOrHealthy: notReady.length });
      ctx.check(
        'all Applications Synced and Healthy',
        notReady.length === 0,
        notReady.length
          ? notReady
              .slice(0, 5)
              .map((a) => `${a.metadata?.name}: ${a.status?.sync?.status ?? '?'}/${a.status?.health?.status ?? '?'}`)
              .join(', ')
          : `${apps.length} Applications`,
      );
    });
  },
});
