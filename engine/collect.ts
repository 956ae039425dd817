import type * as k8s from '@kubernetes/client-node';
import { createCollectors, supportingCollectors, type CollectorName } from '../collectors/registry.ts';
import type { Collector, CollectorContext } from '../collectors/types.ts';
import { errorMessage } from '../core/errors.ts';
import { invalidate } from '../record/run-record.ts';
import type { LiveRun } from './live-run.ts';
import type { Logger } from '../core/logger.ts';
import type { RunCluster } from './suite.ts';
import { defaultArgocdSettings } from '../collectors/settings.ts';

/** How long a collector started only for another one may take to start. */
const SUPPORTING_START_MS = 20_000;

async function startWithin(c: Collector, ctx: CollectorContext, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not started after ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([c.start(ctx), late]);
  } catch (err) {
    await c.stop().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a run's collectors and, at the end, folds their summaries and coverage into run.json. */
export class RunCollectors {
  private running: Collector[] = [];
  /** Started only for another collector: coverage kept, summary and points not. */
  private readonly supporting = new Set<string>();

  constructor(
    private readonly live: LiveRun,
    private readonly log: Logger,
  ) {}

  async start(
    names: readonly CollectorName[],
    kc: k8s.KubeConfig,
    cluster: RunCluster,
    signal: AbortSignal,
  ): Promise<void> {
    const argocd = cluster.entry?.argocd ?? defaultArgocdSettings;
    const record = this.live.record;
    // Asked for now: published from here on, even if it was started earlier for another collector.
    for (const n of names) this.supporting.delete(n);
    const supporting = supportingCollectors(names);
    for (const c of createCollectors(names, this.running)) {
      const helper = supporting.includes(c.name);
      if (helper) this.supporting.add(c.name);
      const ctx = {
        kc,
        runId: record.id,
        log: this.log.child(c.name),
        emit: (p: Parameters<CollectorContext['emit']>[0]) => {
          if (!this.supporting.has(c.name)) this.live.point(p);
        },
        argocd,
        signal,
        activeFault: (t: number) =>
          record.faults.find(
            (f) => f.appliedAt && Date.parse(f.appliedAt) <= t && (!f.rolledBackAt || Date.parse(f.rolledBackAt) >= t),
          )?.title,
      };
      try {
        // A collector started only for another one must not hold the run up (Applications not
        // readable on this cluster): after SUPPORTING_START_MS it is dropped and the other runs without it.
        if (helper) await startWithin(c, ctx, SUPPORTING_START_MS);
        else await c.start(ctx);
        this.running.push(c);
      } catch (err) {
        if (helper) {
          this.supporting.delete(c.name);
          this.log.warn(`collector ${c.name} (needed by ${names.join(', ')}) could not start: ${errorMessage(err)}`);
          continue;
        }
        invalidate(record, `collector ${c.name} could not start: ${errorMessage(err)}`);
        this.log.warn(`collector ${c.name} could not start: ${errorMessage(err)}`);
      }
    }
  }

  /** Live summaries of the running collectors (for a suite's own checks before the run ends). */
  summaries(): Record<string, unknown> {
    return Object.fromEntries(this.published().map((c) => [c.name, c.summary()]));
  }

  async stop(): Promise<void> {
    const record = this.live.record;
    const summaries: Record<string, unknown> = {};
    for (const c of this.running) {
      try {
        await c.stop();
        if (!this.supporting.has(c.name)) summaries[c.name] = c.summary();
        const cov = c.coverage();
        if (!cov.complete) invalidate(record, ...cov.notes.map((n) => `${c.name}: ${n}`));
        else if (cov.notes.length && !this.supporting.has(c.name)) record.summary[`${c.name}Notes`] = cov.notes;
      } catch (err) {
        invalidate(record, `collector ${c.name} failed: ${errorMessage(err)}`);
      }
    }
    this.running = [];
    this.supporting.clear();
    record.summary.collectors = summaries;
  }

  private published(): Collector[] {
    return this.running.filter((c) => !this.supporting.has(c.name));
  }
}
