import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.ts';
import { LiveRun, type LiveRunInit } from '../../engine/live-run.ts';
import type { RunRecord } from '../../record/run-record.ts';

/** ctx.clock, ctx.hold, ctx.timeUntil and ctx.background: time and dry-run planning owned by the engine. */
function liveRun(dryRun: boolean, signal = new AbortController().signal) {
  const init = {
    record: { id: 'r1', suite: { name: 's' }, cluster: { name: 'c' }, summary: {}, checks: [], faults: [] },
    config: {},
    cluster: {},
    options: {},
    log: silentLogger,
    signal,
    dryRun,
    kube: () => {
      throw new Error('no cluster in this test');
    },
    reloadKube: () => {},
    cwd: '.',
    sinks: [],
    persist: () => {},
  } as unknown as LiveRunInit & { record: RunRecord };
  return new LiveRun(init);
}

describe('ctx.hold', () => {
  it('ticks about every everyMs for the whole hold, with the elapsed time, and ends on time', async () => {
    const { ctx } = liveRun(false);
    const ticks: number[] = [];
    const held = await ctx.hold(250, (ms) => void ticks.push(ms), { everyMs: 50 });
    expect(held).toBeGreaterThanOrEqual(250);
    expect(held).toBeLessThan(400);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks[0]).toBeLessThan(50);
    expect([...ticks].sort((a, b) => a - b)).toEqual(ticks);
  });

  it('a tick returning true ends it early; a slow tick does not stretch it past its time', async () => {
    const { ctx } = liveRun(false);
    let n = 0;
    expect(await ctx.hold(10_000, () => ++n === 3, { everyMs: 10 })).toBeLessThan(1000);
    expect(n).toBe(3);
    // A tick stuck on an API call that times out after 30 s: the hold still ends on time.
    const stuck = await ctx.hold(100, () => new Promise((r) => setTimeout(r, 1500)), { everyMs: 10 });
    expect(stuck).toBeGreaterThanOrEqual(100);
    expect(stuck).toBeLessThan(300);
  });

  it('counts from an earlier mark with since', async () => {
    const { ctx } = liveRun(false);
    const mark = ctx.clock();
    await new Promise((r) => setTimeout(r, 120));
    const ticks: number[] = [];
    await ctx.hold(150, (ms) => void ticks.push(ms), { since: mark, everyMs: 10 });
    expect(ticks[0]).toBeGreaterThanOrEqual(100);
    expect(mark.elapsedMs()).toBeLessThan(300);
  });

  it('is listed, not run, under --dry-run', async () => {
    const live = liveRun(true);
    let ticked = false;
    expect(await live.ctx.hold(60_000, () => (ticked = true))).toBe(0);
    expect(ticked).toBe(false);
    expect(live.plan).toEqual(['hold: 1 min 0 s']);
  });

  it('ends at once with the run (Ctrl-C)', async () => {
    const abort = new AbortController();
    const { ctx } = liveRun(false, abort.signal);
    setTimeout(() => abort.abort('SIGINT'), 30);
    await expect(ctx.hold(10_000)).rejects.toThrow(/SIGINT/);
  });
});

describe('ctx.timeUntil', () => {
  it('gives the ms until the probe holds, from the call or from a mark', async () => {
    const { ctx } = liveRun(false);
    let calls = 0;
    const ms = await ctx.timeUntil('third call', async () => ++calls === 3, { timeoutMs: 5000, everyMs: 20 });
    expect(calls).toBe(3);
    // Two waits of 20 ms; a timer may fire a millisecond early by the run's clock, hence the margin.
    expect(ms).toBeGreaterThanOrEqual(35);
    const mark = ctx.clock();
    await new Promise((r) => setTimeout(r, 100));
    expect(await ctx.timeUntil('at once', async () => true, { timeoutMs: 1000, since: mark })).toBeGreaterThanOrEqual(
      90,
    );
  });

  it('gives null when the probe never holds within the timeout (a result, not an error); a thrown probe is a miss', async () => {
    const { ctx } = liveRun(false);
    const never = () => Promise.reject(new Error('connection refused'));
    expect(await ctx.timeUntil('never', never, { timeoutMs: 80, everyMs: 20 })).toBeNull();
  });

  it('is listed with its timeout under --dry-run, and gives null without probing', async () => {
    const live = liveRun(true);
    let probed = false;
    const probe = async () => (probed = true);
    expect(await live.ctx.timeUntil('Kyverno answering', probe, { timeoutMs: 300_000 })).toBeNull();
    expect(probed).toBe(false);
    expect(live.plan).toEqual(['wait: Kyverno answering (up to 5 min 0 s)']);
  });
});

describe('ctx.background', () => {
  const untilStopped = (stop: AbortSignal) =>
    new Promise<string>((resolve) =>
      stop.aborted ? resolve('stopped') : stop.addEventListener('abort', () => resolve('stopped'), { once: true }),
    );

  it('runs beside the suite until stop(), which gives its result', async () => {
    const { ctx } = liveRun(false);
    let started = false;
    const work = ctx.background('probes', (stop) => ((started = true), untilStopped(stop)));
    expect(started).toBe(true);
    expect(await work.stop()).toBe('stopped');
    expect(await work.done).toBe('stopped');
  });

  it('is stopped by the engine when the suite ends without stopping it, and by Ctrl-C', async () => {
    const live = liveRun(false);
    const left = live.ctx.background('forgotten', untilStopped);
    await live.settleInflight();
    expect(await left.done).toBe('stopped');
    const abort = new AbortController();
    const run = liveRun(false, abort.signal);
    const probes = run.ctx.background('probes', untilStopped);
    abort.abort('SIGINT');
    expect(await probes.done).toBe('stopped');
  });

  it('a failure is for whoever awaits it, never an unhandled rejection; started after Ctrl-C, it is stopped at once', async () => {
    const { ctx } = liveRun(false);
    const failing = ctx.background('k6', () => Promise.reject(new Error('k6 not found')));
    await new Promise((r) => setTimeout(r, 20)); // an unhandled rejection would fail the test run here
    await expect(failing.done).rejects.toThrow('k6 not found');
    const abort = new AbortController();
    abort.abort('SIGINT');
    const late = liveRun(false, abort.signal).ctx.background('probes', untilStopped);
    expect(await late.done).toBe('stopped');
  });

  it('is listed, not started, under --dry-run', async () => {
    const live = liveRun(true);
    let started = false;
    const work = live.ctx.background('k6 load', async () => (started = true));
    expect(await work.stop()).toBeUndefined();
    expect(started).toBe(false);
    expect(live.plan).toEqual(['background: k6 load']);
  });
});
