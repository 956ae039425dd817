import * as rb from '../index.ts';

/**
 * Kill Kyverno's admission controller and watch pod creation: with failurePolicy Fail every new pod
 * is rejected, with Ignore pods are admitted unmutated. After `breakerAfterSeconds` of rejections the
 * webhook breaker switches the webhooks to Ignore (or removes them), as an operator would at 3 a.m.
 * Kyverno is then restored and timed until it mutates pods again; the breaker is rolled back last.
 *
 *   steady state → kill → outage (probe admission every second) → [breaker] → restore → recovery
 */
export default rb.defineSuite({
  name: 'kyverno-kill',
  description: "Scale Kyverno's admission controller to zero; measure admission, the breaker, Kyverno's return",
  options: rb.steadyStateOptions.extend({
    namespace: rb.z.string().default(rb.KYVERNO_NAMESPACE),
    /** Deployments to scale to zero (Kyverno 1.10+: the admission controller). */
    deployments: rb.z.array(rb.z.string()).default([rb.KYVERNO_ADMISSION_DEPLOYMENT]),
    durationSeconds: rb.z.number().positive().default(60),
    ...rb.breakerOptions,
    /** How long Kyverno may take to answer again after the restore. */
    recoveryTimeoutSeconds: rb.z.number().positive().default(300),
    /** Kyverno is back when probe pods are mutated (a mutating policy matches them); false: when admitted. */
    expectMutation: rb.z.boolean().default(true),
  }),
  hypothesis: (o) => rb.steadyState(o),
  collectors: ['admission', 'restarts', 'events'],
  async run(ctx) {
    const o = ctx.options;
    const kill = (name: string) => ctx.fault(rb.scaleToZero({ kind: 'Deployment', namespace: o.namespace, name }));
    const kills = await ctx.step('kill', () => rb.inOrder(o.deployments, kill));
    const outage = ctx.clock();
    const probes = rb.probeAdmission(ctx, o.probeNamespace);
    const breaker = rb.webhookBreakerAfter(ctx, o, outage, 'pods rejected with Kyverno down');
    const tick = async (ms: number) => {
      ctx.progress(`${Math.round(ms / 1000)} s of ${o.durationSeconds} s · ${probes.text()}`);
      await breaker.tick(probes.tally.summary().rejected > 0);
    };
    await ctx.step('outage', () => ctx.hold(o.durationSeconds * 1000, tick).finally(() => probes.stop()));
    ctx.summary('outage', { ...probes.tally.summary(), breaker: breaker.summary() });
    const restore = ctx.clock();
    const wait = { timeoutMs: o.recoveryTimeoutSeconds * 1000, since: restore };
    const recovery = await ctx.step('restore', async () => {
      for (const k of kills.reverse()) await k.revert();
      const ready = () => rb.deploymentsReady(ctx.kube, o.namespace, o.deployments);
      const deploymentsReadyMs = await ctx.timeUntil('Kyverno Ready', ready, { ...wait, everyMs: 500 });
      await breaker.revert();
      const answers = () => rb.admissionAnswers(ctx, o.probeNamespace, { mutated: o.expectMutation });
      return { deploymentsReadyMs, kyvernoBackMs: await ctx.timeUntil('Kyverno answering', answers, wait) };
    });
    ctx.summary('recovery', recovery);
    const back = rb.measured(recovery.kyvernoBackMs, 'after the restore', 'Kyverno does not answer yet');
    ctx.check('Kyverno back within the recovery timeout', ...back);
  },
});
