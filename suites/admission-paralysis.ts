import * as rb from '../index.ts';
/**
 * The incident rehearsal (seed 004): Kyverno's node saturates while pods are created; with failurePolicy
 * Fail no pod starts, Argo CD's included. Measures rejections under k6 churn and whether the critical
 * Deployments start; the breaker ends the deadlock. Run it as-is (Fail) and with Ignore, and compare:
 * [Ignore] → saturate Kyverno's node → churn → restart critical → [breaker] → stop the hog → recovery. */
export default rb.defineSuite({
  name: 'admission-paralysis',
  description: "Saturate Kyverno's node under pod churn, measure rejections, let the breaker end the paralysis",
  options: rb.steadyStateOptions.extend({
    kyverno: rb.kyvernoOption,
    /** as-is: the cluster's own (Kyverno's default Fail); Ignore: switch the webhooks to Ignore first, to compare. */
    failurePolicy: rb.z.enum(['as-is', 'Ignore']).default('as-is'),
    /** Deployments that must start during the incident. Default: up to three of Argo CD's namespace. */
    critical: rb.z.array(rb.deploymentRef).min(1).optional(),
    ...rb.breakerOptions,
    /** Give up waiting for the critical pods (and full recovery) after this long. */
    holdSeconds: rb.z.number().positive().default(180),
    saturation: rb.z.number().min(0).max(1).default(0.95),
    k6: rb.k6LoadOption,
  }),
  hypothesis: (o) => rb.steadyState(o),
  collectors: ['admission', 'restarts', 'events'],
  preflight: rb.preflights(rb.kyvernoPreflight, rb.criticalPreflight),
  async run(ctx) {
    const o = { ...ctx.options, critical: ctx.options.critical ?? (await rb.defaultCritical(ctx)) };
    if (o.failurePolicy === 'Ignore')
      await ctx.step('failurePolicy Ignore', () => ctx.fault(rb.ignoreWebhooks(o.webhooks)));
    const node = await ctx.step('find Kyverno', () => rb.kyvernoNode(ctx.kube, o.kyverno));
    const hogged = { nodes: [node], durationSeconds: o.holdSeconds + 120, saturation: o.saturation };
    const title = `saturate ${node}, the node running Kyverno`;
    const hog = await ctx.step('saturate', () => ctx.fault(rb.cpuHog({ ...hogged, title })));
    const incident = ctx.clock();
    const critical = new rb.CriticalRestart(ctx, o.critical, incident);
    const probes = rb.probeAdmission(ctx, o.probeNamespace);
    const load = rb.admissionLoad(ctx, o.k6, o.probeNamespace);
    const breaker = rb.webhookBreakerAfter(ctx, o, incident, 'critical pods still not Ready');
    const tick = async (ms: number) => {
      const waiting = await critical.tick(breaker.applied);
      ctx.progress([rb.fmtDuration(ms), probes.text(), critical.text(breaker.applied)].join(' · '));
      await breaker.tick(waiting.length > 0);
      return waiting.length === 0;
    };
    await ctx.step('restart critical', () => critical.restart());
    await ctx.step('hold', () => ctx.hold(o.holdSeconds * 1000, tick, { since: incident }));
    void probes.stop(); // probes waiting for a webhook's timeout, and k6's last stages, end in a step of their own
    const k6 = await ctx.step('end of load', async () => (await Promise.all([probes.done, load?.done]))[1]);
    const recovery = await ctx.step('recover', async () => {
      const since = ctx.clock();
      await hog.revert();
      const back = () => rb.admissionAnswers(ctx, o.probeNamespace);
      const ms = await ctx.timeUntil('admission back', back, { timeoutMs: o.holdSeconds * 1000, since });
      return { admissionBackAfterHogMs: ms, fullRecoveryMs: ms === null ? null : incident.elapsedMs() };
    });
    const paralysis = { node, failurePolicy: o.failurePolicy, admission: probes.tally.summary() };
    ctx.summary('paralysis', { ...paralysis, critical: critical.started, breaker: breaker.summary(), ...recovery });
    ctx.summary('k6', k6 ?? { skipped: 'k6.enabled is false' });
    ctx.check('critical Deployments Ready during the incident', critical.waiting().length === 0, critical.detail());
  },
});
