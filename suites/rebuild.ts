import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { kubeRequest } from '../cluster/http.ts';
import type { PodsSummary, RestartsSummary, WavesSummary } from '../record/summaries.ts';
import { criticalPathOf, criticalPathPoints, needsOf } from '../record/critical-path.ts';
import { fmtMinutes } from '../core/format.ts';
import { errorMessage } from '../core/errors.ts';
import type { ProgressClock } from '../engine/run-view.ts';
import { defineSuite } from '../engine/suite.ts';
import { clusterDestroy, planGuard, rebuildToolSchema } from '../faults/terraform.ts';
import { targetOutcome, type RebuildSummary } from '../record/target.ts';
import { hookSchema, runHook } from './rebuild-hooks.ts';
import { waveLine } from '../gitops/waves.ts';
import { defaultArgocdSettings } from '../collectors/settings.ts';
import { applicationPath, parentApp } from '../gitops/argocd.ts';
import type { KubeObject } from '../cluster/watch.ts';

/**
 * The main job: destroy the cluster, recreate it, and time every phase from the destroy on:
 * apply → API reachable → nodes Ready → post-create hooks → Argo CD ready → root app → each wave
 * Healthy → every Application Synced and Healthy, against the target window.
 */
export default defineSuite({
  name: 'rebuild',
  description:
    'Destroy and recreate the cluster (terraform/tofu or your commands) and time the GitOps bootstrap wave by wave',
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
    /** The dependency graph `rehearse` inferred (its dependencies.json): shown in the report beside the waves. */
    dependencies: z.string().optional(),
    /** The twin's time scale (rehearsals, the demo): durations measured here are that many times the profile's. */
    timeScale: z.number().positive().default(1),
    /** `--calibrate`'s calibration.json: which apps took their durations from a stored run, shown in the report. */
    calibration: z.string().optional(),
  }),
  async run(ctx) {
    const o = ctx.options;
    const cfgTarget = ctx.config.target;
    const target = {
      minMinutes: cfgTarget.minMinutes,
      maxMinutes: cfgTarget.maxMinutes,
      scale: o.targetScale,
      ...(o.targetNote ? { note: o.targetNote } : {}),
    };
    const argocd = ctx.cluster.entry?.argocd ?? defaultArgocdSettings;
    const dependencies = o.dependencies ? dependencyFigures(o.dependencies) : undefined;
    if (dependencies) ctx.summary('dependencies', dependencies);
    if (o.calibration) ctx.summary('calibration', calibrationFigures(o.calibration));
    if (!o.skipPlan)
      await ctx.step('plan', async () =>
        ctx.summary('plan', await planGuard(o, ctx.log, resolve(process.cwd(), o.workingDir))),
      );

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
    const clock: ProgressClock = {
      startedAt: clockStart,
      label: 'since destroy',
      window: { minMs: target.minMinutes * target.scale * 60_000, maxMs: target.maxMinutes * target.scale * 60_000 },
    };
    const progress = (detail: string | undefined) => detail && ctx.progress(detail, clock);
    let totalMs: number | null = null;
    const publish = () => {
      const summary: RebuildSummary = { clockStart, totalMs, target, outcome: targetOutcome(totalMs, target), phases };
      ctx.summary('rebuild', summary);
    };
    try {
      const destroyed = await phase('destroy', () =>
        ctx.fault(clusterDestroy(o, (d) => d.stateRemoved.length && ctx.summary('stateRmRetry', d.stateRemoved))),
      );
      await phase('apply', () => destroyed.revert());
      ctx.reloadKube();
      await phase('api-reachable', () =>
        ctx.waitFor(
          'the API server to answer /readyz',
          async () =>
            (await kubeRequest(ctx.kube, 'GET', '/readyz', { accept: 'text/plain', timeoutMs: 5000 })).status === 200,
          {
            timeoutMs: 30 * 60_000,
            intervalMs: 1000,
          },
        ),
      );
      await phase('nodes-ready', () =>
        ctx.waitFor(
          'every node Ready',
          async () => {
            const nodes = (await kubeRequest<{ items: any[] }>(ctx.kube, 'GET', '/api/v1/nodes')).body.items;
            const ready = nodes.filter((n) =>
              n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
            );
            return {
              ok: nodes.length > 0 && ready.length === nodes.length,
              detail: `nodes Ready ${ready.length}/${nodes.length}`,
            };
          },
          { timeoutMs: 30 * 60_000, onPoll: progress },
        ),
      );
      const hookEnv = {
        kube: ctx.kube,
        log: ctx.log.child('hook'),
        cwd: resolve(process.cwd(), o.workingDir),
        kubeconfig: ctx.cluster.kubeconfig ?? null,
        signal: ctx.signal,
      };
      for (const h of o.hooks) await phase(`hook: ${h.name}`, () => runHook(hookEnv, h));
      await phase('argocd-ready', () =>
        ctx.waitFor(
          'the Argo CD Application API',
          async () =>
            (await kubeRequest(ctx.kube, 'GET', `${applicationPath(argocd.namespace)}?limit=1`)).status === 200,
          {
            timeoutMs: 30 * 60_000,
          },
        ),
      );
      collected = await ctx.collect(['waves', 'restarts', 'events', 'pods']);
      await phase('root-app-created', () =>
        ctx.waitFor(
          argocd.rootApp
            ? `the root Application ${argocd.rootApp}`
            : 'a root Application (one no other Application manages)',
          async () => {
            if (argocd.rootApp)
              return (
                (await kubeRequest(ctx.kube, 'GET', applicationPath(argocd.namespace, argocd.rootApp))).status === 200
              );
            const items = (
              await kubeRequest<{ items: KubeObject[] }>(ctx.kube, 'GET', applicationPath(argocd.namespace))
            ).body.items;
            return items.some((a) => parentApp(a) === undefined);
          },
          { timeoutMs: 30 * 60_000 },
        ),
      );
      await phase('waves', () =>
        ctx.waitFor(
          'every Application Synced and Healthy',
          async () => {
            const items = (await kubeRequest<{ items: any[] }>(ctx.kube, 'GET', applicationPath(argocd.namespace))).body
              .items;
            const healthy = (a: any) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';
            const ok = items.filter(healthy);
            const waves = waveLine(
              items.map((a) => ({
                wave: Number(a.metadata?.annotations?.[argocd.waveAnnotation] ?? 0) || 0,
                ok: healthy(a),
              })),
            );
            return {
              ok: items.length > 1 && ok.length === items.length,
              detail: `${ok.length}/${items.length} Synced and Healthy · waves ${waves}`,
            };
          },
          {
            timeoutMs: o.bootstrapTimeoutMinutes * 60_000,
            intervalMs: 2000,
            onPoll: progress,
          },
        ),
      );
      const waves = collected().waves as WavesSummary | undefined;
      totalMs = (waves?.allHealthyAt ?? Date.now()) - clockStart;
    } finally {
      publish();
      // Each call builds every collector's summary: once here.
      const summaries = collected();
      const restarts = summaries.restarts as RestartsSummary | undefined;
      const time = targetOutcome(totalMs, target);
      const inTime = time === 'ahead' || time === 'on-target';
      const crashLooped = (restarts?.crashLoopBackOff ?? 0) > 0;
      // The outcome follows the verdict: a rebuild in time whose apps crash-looped failed.
      const outcome = inTime && crashLooped ? 'crash-looped' : time;
      const max = target.maxMinutes * target.scale;
      ctx.point({
        measurement: 'rb_rebuild',
        tags: { outcome, time },
        fields: {
          ...(totalMs === null ? {} : { total_s: totalMs / 1000 }),
          target_min_s: target.minMinutes * target.scale * 60,
          target_max_s: max * 60,
          ...(restarts ? { restarts: restarts.restarts, crash_loops: restarts.crashLoopBackOff } : {}),
        },
      });
      try {
        // From the collectors as they stand (the report recomputes it from run.json once they stopped).
        const waves = summaries.waves as WavesSummary | undefined;
        const path = waves
          ? criticalPathOf({
              waves,
              pods: summaries.pods as PodsSummary | undefined,
              restarts,
              needs: needsOf({ dependencies }),
            })
          : null;
        for (const p of path ? criticalPathPoints(path, clockStart) : []) ctx.point(p);
      } catch (err) {
        ctx.log.warn(`critical path not recorded: ${errorMessage(err)}`);
      }
      ctx.check(
        `rebuild within ${fmtMinutes(max * 60_000)}`,
        inTime,
        totalMs === null ? 'did not finish' : `${fmtMinutes(totalMs)} (${time})`,
      );
      if (restarts)
        ctx.check(
          'zero CrashLoopBackOff',
          !crashLooped,
          `${restarts.crashLoopBackOff} CrashLoopBackOff entries, ${restarts.restarts} restarts`,
        );
    }
  },
});

const graphFile = z.object({
  edges: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      service: z.string(),
      namespace: z.string(),
      weak: z.boolean(),
      evidence: z.object({ file: z.string(), field: z.string(), text: z.string() }),
    }),
  ),
  emulated: z.record(z.string(), z.string()),
});

/** The inferred graph as report tables: one row per edge with its evidence, one per emulated app. */
function dependencyFigures(file: string) {
  const g = graphFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  return {
    edges: g.edges.map((e) => ({
      app: e.from,
      needs: e.to,
      service: `${e.namespace}/${e.service}`,
      evidence: `${e.evidence.file}: ${e.evidence.field} (${e.evidence.text})${e.weak ? ' [weak: release name]' : ''}`,
    })),
    emulated: Object.entries(g.emulated).map(([app, reason]) => ({ app, reason })),
  };
}

const calibrationFile = z.object({
  run: z.string(),
  cluster: z.string(),
  timeScale: z.number(),
  profile: z.string().optional(),
  calibrated: z.number(),
  defaults: z.number(),
  apps: z.array(
    z.object({
      app: z.string(),
      imagePullMs: z.number(),
      pullFrom: z.string(),
      startupMs: z.number(),
      startupFrom: z.string(),
    }),
  ),
});

/** Which apps the twin ran with durations from a stored run, and which with the profile's or the defaults. */
function calibrationFigures(file: string) {
  const c = calibrationFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  return {
    from: `run ${c.run} (${c.cluster}${c.timeScale === 1 ? '' : `, time scale ${c.timeScale}`})`,
    calibratedApps: c.calibrated,
    defaultApps: c.defaults,
    apps: c.apps,
  };
}
