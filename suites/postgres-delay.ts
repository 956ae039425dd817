import * as rb from '../index.ts';

/**
 * Take the shared Postgres away for N seconds (fence: the instance stays but is not Ready; or
 * hibernate: the instance pod is deleted, volumes kept) and see which apps notice: which
 * Applications leave Healthy, how often their pods restart and crash-loop, and how long each
 * takes to be Healthy again once Postgres is Ready.
 *
 *   steady state → fence → hold (watch Applications) → unfence → Postgres Ready → each consumer Healthy
 */
export default rb.defineSuite({
  name: 'postgres-delay',
  description:
    'Fence or hibernate the shared CNPG Postgres for a while; ' +
    'measure which consumers crash-loop and their time back to Healthy',
  options: rb.steadyStateOptions.extend({
    cluster: rb.cnpgClusterOption,
    mode: rb.z.enum(['fence', 'hibernate']).default('fence'),
    durationSeconds: rb.z.number().positive().default(120),
    /** How long consumers may take to be Healthy again after Postgres is Ready. */
    recoveryTimeoutSeconds: rb.z.number().positive().default(600),
  }),
  hypothesis: (o) => rb.steadyState(o),
  async run(ctx) {
    const o = ctx.options;
    const { namespace, name } = o.cluster;
    const summaries = await ctx.collect(['restarts', 'events']);
    const fault = o.mode === 'fence' ? rb.cnpgFence(o.cluster) : rb.cnpgHibernate(o.cluster);
    const delay = await ctx.step(o.mode, () => ctx.fault(fault));
    const affected = new rb.AppsLeavingHealthy(ctx, ctx.clock(), (app) => app === name);
    await ctx.step('hold', () =>
      ctx.hold(o.durationSeconds * 1000, async (ms) => {
        await affected.tick();
        ctx.progress(`${Math.round(ms / 1000)} s of ${o.durationSeconds} s · ${affected.text()}`);
      }),
    );
    const timeoutMs = o.recoveryTimeoutSeconds * 1000;
    const postgresReadyMs = await ctx.step('recover', async () => {
      await delay.revert();
      const ready = async () => (await rb.cnpgReady(ctx.kube, namespace, name)).ready;
      const readyMs = await ctx.timeUntil(`Postgres ${namespace}/${name} Ready`, ready, { timeoutMs, everyMs: 500 });
      if (readyMs !== null) await affected.timeBack(ctx.clock(), timeoutMs);
      return readyMs;
    });
    const consumers = affected.consumers(summaries(), 'healthyAfterPostgresMs');
    const figures = { cluster: `${namespace}/${name}`, mode: o.mode, durationSeconds: o.durationSeconds };
    ctx.summary('postgresDelay', { ...figures, postgresReadyAfterRestoreMs: postgresReadyMs, consumers });
    ctx.check(
      'Postgres Ready again',
      ...rb.measured(postgresReadyMs, 'after the restore', 'not Ready within the timeout'),
    );
    ctx.check('every affected consumer Healthy again', affected.stuck().length === 0, affected.detail());
  },
});
