import { z } from 'zod';
import type { RestartsSummary } from '../record/summaries.ts';
import { defineSuite } from '../engine/suite.ts';
import { cnpgFence, cnpgHibernate, cnpgReady } from '../faults/cnpg.ts';
import { steadyStateOptions } from './_options.ts';
import { applications, argocdNamespace, isHealthy, steadyState } from './_steady-state.ts';

/**
 * Take the shared Postgres away for N seconds (fence: the instance stays but is not Ready; or
 * hibernate: the instance pod is deleted, volumes kept) and see which apps notice: which
 * Applications leave Healthy, how often their pods restart and crash-loop, and how long each
 * takes to be Healthy again once Postgres is Ready.
 *
 *   steady state → fence → hold (watch Applications) → unfence → Postgres Ready → each consumer Healthy
 */
export default defineSuite({
  name: 'postgres-delay',
  description:
    'Fence or hibernate the shared CNPG Postgres for a while; measure which consumers crash-loop and their time back to Healthy',
  options: steadyStateOptions.extend({
    cluster: z
      .strictObject({ namespace: z.string().default('databases'), name: z.string().default('postgresql-shared') })
      .prefault({}),
    mode: z.enum(['fence', 'hibernate']).default('fence'),
    durationSeconds: z.number().positive().default(120),
    /** How long consumers may take to be Healthy again after Postgres is Ready. */
    recoveryTimeoutSeconds: z.number().positive().default(600),
  }),
  hypothesis: (o) => steadyState(o),
  async run(ctx) {
    const o = ctx.options;
    const { namespace, name } = o.cluster;
    const argocd = argocdNamespace(ctx);
    const summaries = await ctx.collect(['restarts', 'events']);
    const delay = await ctx.step(o.mode, () =>
      ctx.fault(o.mode === 'fence' ? cnpgFence({ namespace, name }) : cnpgHibernate({ namespace, name })),
    );

    const affected = new Map<string, { firstUnhealthyMs: number; worst: string }>();
    const faultStart = Date.now();
    await ctx.step('hold', async () => {
      if (ctx.dryRun) {
        await ctx.sleep(o.durationSeconds * 1000);
        return;
      }
      while (Date.now() - faultStart < o.durationSeconds * 1000) {
        for (const a of (await applications(ctx.kube, argocd)) ?? []) {
          if (isHealthy(a) || a.name === name) continue;
          const seen = affected.get(a.name);
          if (!seen) affected.set(a.name, { firstUnhealthyMs: Date.now() - faultStart, worst: a.health });
          else if (a.health === 'Degraded') seen.worst = 'Degraded';
        }
        ctx.progress(
          `${Math.round((Date.now() - faultStart) / 1000)} s of ${o.durationSeconds} s · ${affected.size} Application(s) left Healthy: ${[...affected.keys()].slice(0, 6).join(', ')}`,
        );
        await ctx.sleep(1000);
      }
    });

    const back = await ctx.step('recover', async () => {
      await delay.revert();
      if (ctx.dryRun) return { postgresReadyMs: 0, healthyAfterPostgres: {} };
      const postgresReadyMs = await ctx.waitFor(
        `Postgres ${namespace}/${name} Ready`,
        async () => {
          const r = await cnpgReady(ctx.kube, namespace, name);
          return { ok: r.ready, detail: r.phase };
        },
        { timeoutMs: o.recoveryTimeoutSeconds * 1000, intervalMs: 500 },
      );
      const postgresReadyAt = Date.now();
      const healthyAfterPostgres: Record<string, number | null> = Object.fromEntries(
        [...affected.keys()].map((k) => [k, null]),
      );
      while (Date.now() - postgresReadyAt < o.recoveryTimeoutSeconds * 1000) {
        const apps = (await applications(ctx.kube, argocd)) ?? [];
        for (const a of apps) {
          if (a.name in healthyAfterPostgres && healthyAfterPostgres[a.name] === null && isHealthy(a))
            healthyAfterPostgres[a.name] = Date.now() - postgresReadyAt;
        }
        const pending = Object.values(healthyAfterPostgres).filter((v) => v === null).length;
        ctx.progress(
          `Postgres Ready · ${Object.keys(healthyAfterPostgres).length - pending}/${Object.keys(healthyAfterPostgres).length} affected Applications Healthy again`,
        );
        if (pending === 0) break;
        await ctx.sleep(1000);
      }
      return { postgresReadyMs, healthyAfterPostgres };
    });

    const restarts = summaries().restarts as RestartsSummary | undefined;
    const consumers = [...affected.entries()].map(([app, a]) => {
      const r = restarts?.byApp.find((x) => x.app === app);
      return {
        app,
        leftHealthyAfterMs: a.firstUnhealthyMs,
        worstHealth: a.worst,
        restarts: r?.restarts ?? 0,
        crashLoops: r?.crashLoops ?? 0,
        healthyAfterPostgresMs: back.healthyAfterPostgres[app] ?? null,
      };
    });
    ctx.summary('postgresDelay', {
      cluster: `${namespace}/${name}`,
      mode: o.mode,
      durationSeconds: o.durationSeconds,
      postgresReadyAfterRestoreMs: back.postgresReadyMs,
      consumers,
    });
    const stuck = consumers.filter((c) => c.healthyAfterPostgresMs === null);
    ctx.check(
      'every affected consumer Healthy again',
      stuck.length === 0,
      stuck.length
        ? `still not Healthy: ${stuck.map((c) => c.app).join(', ')}`
        : `${consumers.length} consumer(s) recovered`,
    );
  },
});
