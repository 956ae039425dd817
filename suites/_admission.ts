import { admissionProbe } from '../collectors/admission.ts';
import type { RunClock, SuiteContext } from '../engine/suite.ts';
import { webhookBreaker } from '../faults/webhook-breaker.ts';
import type { BreakerOptions } from './_options.ts';
import { ProbeTally, startProbing } from './_steady-state.ts';

/** Admission seen from the API: probes while a fault holds, and the breaker an operator would use. */

export interface AdmissionProbes {
  tally: ProbeTally;
  /** Stops firing now; resolves once the probes in flight (waiting for a webhook's timeout) are done. */
  stop(): Promise<void>;
  /** Settles once stopped and the probes in flight are done. */
  done: Promise<void>;
  /** The tally so far, for a progress line. */
  text(): string;
}

/** A dry-run pod create every second in `namespace`, tallied, until stop() (listed only under --dry-run). */
export function probeAdmission(ctx: SuiteContext<unknown>, namespace: string): AdmissionProbes {
  const tally = new ProbeTally();
  const work = ctx.background(`admission probe every 1 s in ${namespace}`, async (stop) => {
    const probing = startProbing(ctx.kube, ctx.runId, namespace, tally);
    if (!stop.aborted) await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    await probing.stop();
  });
  return {
    tally,
    stop: async () => {
      await work.stop();
    },
    done: work.done.then(() => undefined),
    text: () => probeText(tally.summary()),
  };
}

/** "probes 41: 30 admitted (30 mutated), 11 rejected, 0 errors, p50 12 ms". */
export function probeText(s: ReturnType<ProbeTally['summary']>): string {
  return (
    `probes ${s.probes}: ${s.admitted} admitted (${s.mutated} mutated), ${s.rejected} rejected, ` +
    `${s.errors} errors, p50 ${s.latencyMs.p50 ?? '-'} ms`
  );
}

/** One probe: is admission back (admitted; mutated when `mutated`; faster than `underMs` when > 0)? */
export async function admissionAnswers(
  ctx: SuiteContext<unknown>,
  namespace: string,
  want: { mutated?: boolean; underMs?: number } = {},
): Promise<boolean> {
  const r = await admissionProbe(ctx.kube, ctx.runId, namespace, 15_000);
  if (want.mutated) return r.mutated;
  return r.outcome === 'admitted' && (!want.underMs || r.latencyMs < want.underMs);
}

/** Switches the webhooks to failurePolicy Ignore for the whole run: the comparison run of an incident. */
export function ignoreWebhooks(webhooks: BreakerOptions['webhooks']) {
  const title = 'switch the Kyverno webhooks to failurePolicy Ignore (comparison run)';
  return webhookBreaker({ ...webhooks, mode: 'ignore', title });
}

export interface BreakerWatch {
  /** Call on each tick: applies the breaker once pods have been `blocked` for breakerAfterSeconds. */
  tick(blocked: boolean): Promise<void>;
  readonly applied: boolean;
  /** Run.json's figure: when the breaker acted and how, or null. */
  summary(): { appliedAfterMs: number; mode: string } | null;
  /** Ends the breaker's change early (e.g. once the webhook answers again). */
  revert(): Promise<void>;
}

/** The webhook breaker, applied as an operator would at 3 a.m. when pods stay blocked (`why`) too long. */
export function webhookBreakerAfter(
  ctx: SuiteContext<unknown>,
  o: BreakerOptions,
  clock: RunClock,
  why: string,
): BreakerWatch {
  let applied: { appliedAfterMs: number; mode: string; revert(): Promise<void> } | undefined;
  return {
    async tick(blocked) {
      const due = o.breakerAfterSeconds > 0 && clock.elapsedMs() >= o.breakerAfterSeconds * 1000;
      if (applied || !blocked || !due) return;
      ctx.log.warn(`${why} for ${o.breakerAfterSeconds} s: applying the webhook breaker (${o.breakerMode})`);
      const { validating, mutating } = o.webhooks;
      const h = await ctx.fault(webhookBreaker({ validating, mutating, mode: o.breakerMode }));
      applied = { appliedAfterMs: clock.elapsedMs(), mode: o.breakerMode, revert: () => h.revert() };
    },
    get applied() {
      return applied !== undefined;
    },
    summary: () => (applied ? { appliedAfterMs: applied.appliedAfterMs, mode: applied.mode } : null),
    revert: async () => applied?.revert(),
  };
}
