import { z } from 'zod';
import { defineSuite } from '../engine/suite.ts';
import { scaleToZero } from '../faults/scale.ts';
import { webhookBreaker } from '../faults/webhook-breaker.ts';
import { admissionProbe, deploymentReady, ProbeTally, startProbing, steadyState, timeUntil } from './_steady-state.ts';
import { steadyStateOptions } from './_options.ts';
import {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_NAMESPACE,
  KYVERNO_VALIDATING_WEBHOOK,
} from '../gitops/kyverno.ts';

/**
 * Kill Kyverno's admission controller and watch what happens to pod creation: with
 * failurePolicy Fail every new pod is rejected, with Ignore pods are admitted unmutated. After
 * `breakerAfterSeconds` of rejections the webhook breaker switches the webhooks to Ignore (or
 * removes them), as an operator would at 3 a.m. Then Kyverno is restored and timed until it
 * mutates pods again; the breaker's change is rolled back last.
 *
 *   steady state → kill → outage (probe admission every second) → [breaker] → restore → recovery
 */
export default defineSuite({
  name: 'kyverno-kill',
  description:
    "Scale Kyverno's admission controller to zero; measure admission outcomes, the breaker, and the time until Kyverno is back",
  options: steadyStateOptions.extend({
    namespace: z.string().default(KYVERNO_NAMESPACE),
    /** Deployments to scale to zero (Kyverno 1.10+: the admission controller). */
    deployments: z.array(z.string()).default([KYVERNO_ADMISSION_DEPLOYMENT]),
    durationSeconds: z.number().positive().default(60),
    /** Switch the webhooks to Ignore after this many seconds of rejected pods; 0 never. */
    breakerAfterSeconds: z.number().min(0).default(30),
    breakerMode: z.enum(['ignore', 'remove']).default('ignore'),
    webhooks: z
      .strictObject({
        validating: z.array(z.string()).default([KYVERNO_VALIDATING_WEBHOOK]),
        mutating: z.array(z.string()).default([KYVERNO_MUTATING_WEBHOOK]),
      })
      .prefault({}),
    /** How long Kyverno may take to answer again after the restore. */
    recoveryTimeoutSeconds: z.number().positive().default(300),
    /** Kyverno is back when probe pods are mutated (a mutating policy matches them); false: when they are admitted. */
    expectMutation: z.boolean().default(true),
  }),
  hypothesis: (o) => steadyState(o),
  collectors: ['admission', 'restarts', 'events'],
  async run(ctx) {
    const o = ctx.options;
    const kills = await ctx.step('kill', async () => {
      const handles = [];
      for (const name of o.deployments)
        handles.push(await ctx.fault(scaleToZero({ kind: 'Deployment', namespace: o.namespace, name })));
      return handles;
    });

    const outage = new ProbeTally();
    let breaker: { appliedAfterMs: number; mode: string; revert(): Promise<void> } | undefined;
    await ctx.step('outage', async () => {
      if (ctx.dryRun) {
        await ctx.sleep(o.durationSeconds * 1000);
        return;
      }
      const probing = startProbing(ctx.kube, ctx.runId, o.probeNamespace, outage);
      const started = Date.now();
      try {
        while (Date.now() - started < o.durationSeconds * 1000) {
          await ctx.sleep(1000);
          const s = outage.summary();
          ctx.progress(
            `${Math.round((Date.now() - started) / 1000)} s of ${o.durationSeconds} s · probes ${s.probes}: ${s.admitted} admitted (${s.mutated} mutated), ${s.rejected} rejected, ${s.errors} errors`,
          );
          if (
            !breaker &&
            o.breakerAfterSeconds > 0 &&
            Date.now() - started >= o.breakerAfterSeconds * 1000 &&
            s.rejected > 0
          ) {
            ctx.log.warn(
              `pods rejected for ${o.breakerAfterSeconds} s with Kyverno down: applying the webhook breaker (${o.breakerMode})`,
            );
            const h = await ctx.fault(
              webhookBreaker({ validating: o.webhooks.validating, mutating: o.webhooks.mutating, mode: o.breakerMode }),
            );
            breaker = { appliedAfterMs: Date.now() - started, mode: o.breakerMode, revert: () => h.revert() };
          }
        }
      } finally {
        await probing.stop();
      }
    });
    ctx.summary('outage', {
      ...outage.summary(),
      breaker: breaker ? { appliedAfterMs: breaker.appliedAfterMs, mode: breaker.mode } : null,
    });

    const recovery = await ctx.step('restore', async () => {
      const restoredAt = Date.now();
      for (const k of kills.reverse()) await k.revert();
      if (ctx.dryRun) return { deploymentsReadyMs: null, kyvernoBackMs: 0 };
      const readyMs = await timeUntil(
        async () =>
          (await Promise.all(o.deployments.map((d) => deploymentReady(ctx.kube, o.namespace, d)))).every(
            (r) => !!r && r.ready >= 1,
          ),
        {
          timeoutMs: o.recoveryTimeoutSeconds * 1000,
          signal: ctx.signal,
        },
      );
      const readyAt = Date.now();
      if (breaker) await breaker.revert();
      const backMs = await timeUntil(
        async () => {
          const r = await admissionProbe(ctx.kube, ctx.runId, o.probeNamespace, 15_000);
          return o.expectMutation ? r.mutated : r.outcome === 'admitted';
        },
        {
          timeoutMs: o.recoveryTimeoutSeconds * 1000,
          everyMs: 1000,
          signal: ctx.signal,
        },
      );
      return {
        // Since the restore began: the reverts themselves wait for Ready replicas.
        deploymentsReadyMs: readyMs === null ? null : readyAt - restoredAt,
        kyvernoBackMs: backMs === null ? null : Date.now() - restoredAt,
      };
    });
    ctx.summary('recovery', recovery);
    ctx.check(
      'Kyverno back within the recovery timeout',
      recovery.kyvernoBackMs !== null,
      recovery.kyvernoBackMs === null
        ? 'Kyverno does not answer yet'
        : `answering again ${Math.round(recovery.kyvernoBackMs / 1000)} s after the restore`,
    );
  },
});
