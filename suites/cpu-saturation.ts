import * as rb from '../index.ts';

/**
 * Saturate chosen nodes with burner pods for a while and measure what it costs: admission latency (the
 * webhooks' pods may run there), pod start-up, restarts, and the time until admission is fast again.
 *   steady state → saturate (verified) → hold (probe admission, time a pod start) → stop → recovery
 */
export default rb.defineSuite({
  name: 'cpu-saturation',
  description: 'Saturate nodes with CPU burners; measure admission latency, pod start-up, restarts and recovery',
  options: rb.steadyStateOptions.extend({
    /** Nodes to saturate. Default: those running the admission webhooks' pods (the incident), else the busiest. */
    nodes: rb.z.array(rb.z.string()).default([]),
    durationSeconds: rb.z.number().positive().default(120),
    /** CPU to burn per node (default: all of its allocatable CPU). */
    millicores: rb.z.number().positive().optional(),
    /** Utilisation the hog must reach (checked before any effect is reported). */
    saturation: rb.z.number().min(0).max(1).default(0.9),
    /** Time the start-up of a pause pod the suite creates in probeNamespace, under saturation and after it. */
    startupPod: rb.z.boolean().default(true),
    recoveryTimeoutSeconds: rb.z.number().positive().default(300),
  }),
  hypothesis: (o) => rb.steadyState(o),
  collectors: ['admission', 'restarts', 'events'],
  preflight: rb.startupPodPreflight,
  async run(ctx) {
    const o = ctx.options;
    const nodes = o.nodes.length ? o.nodes : await rb.webhookNodes(ctx);
    const burn = { nodes, durationSeconds: o.durationSeconds + 60, saturation: o.saturation };
    const hog = await ctx.step('saturate', () => ctx.fault(rb.cpuHog({ ...burn, millicores: o.millicores })));
    const probes = rb.probeAdmission(ctx, o.probeNamespace);
    const startup = (when: string, seq: number, withinMs: number) =>
      o.startupPod ? rb.timePodStartup(ctx, { namespace: o.probeNamespace, nodes, withinMs, when, seq }) : null;
    const startupSaturated = await ctx.step('hold', async () => {
      const timing = startup('under saturation', 1, o.durationSeconds * 1000); // on the hold's clock
      const tick = async (ms: number) => {
        const cpu = await rb.utilisationText(ctx.kube, nodes);
        ctx.progress(`${Math.round(ms / 1000)} s of ${o.durationSeconds} s · ${cpu} · ${probes.text()}`);
      };
      await ctx.hold(o.durationSeconds * 1000, tick, { everyMs: 2000 });
      void probes.stop(); // probes waiting for a webhook's timeout finish during the revert
      return timing;
    });
    const timeoutMs = o.recoveryTimeoutSeconds * 1000;
    const recovery = await ctx.step('recover', async () => {
      const since = ctx.clock();
      await hog.revert();
      await probes.done;
      const cpu = () => rb.belowSaturation(ctx.kube, nodes, o.saturation);
      const cpuBelowSaturationMs = await ctx.timeUntil('CPU below saturation', cpu, { timeoutMs, everyMs: 500 });
      const fast = () => rb.admissionAnswers(ctx, o.probeNamespace, { underMs: o.hypothesis.admissionP99Ms });
      const admissionFastMs = await ctx.timeUntil('admission fast again', fast, { timeoutMs, since });
      return { cpuBelowSaturationMs, admissionFastMs, startupAfter: await startup('after recovery', 2, timeoutMs) };
    });
    const figures = { nodes, durationSeconds: o.durationSeconds, admissionDuring: probes.tally.summary() };
    ctx.summary('cpuSaturation', { ...figures, startupSaturated, ...recovery });
    const fast = rb.measured(recovery.admissionFastMs, 'after the burners stopped', 'still slow');
    ctx.check('admission fast again after the hog', ...fast);
  },
});
