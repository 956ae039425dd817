import type * as k8s from '@kubernetes/client-node';
import { createCollectors, supportingCollectors, type CollectorName } from '../collectors/registry.ts';
import type { Collector } from '../collectors/types.ts';
import { errorMessage } from '../core/errors.ts';
import type { LiveRun } from './live-run.ts';
import type { Logger } from '../core/logger.ts';
import type { RunCluster } from './suite.ts';
import { defaultArgocdSettings } from '../collectors/settings.ts';

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
    const supporting = supportingCollectors(names).filter((n) => !this.running.some((c) => c.name === n));
    for (const n of supporting) this.supporting.add(n);
    for (const c of createCollectors(names)) {
      const keep = !supporting.includes(c.name as CollectorName);
      try {
        await c.start({
          kc,
          runId: record.id,
          log: this.log.child(c.name),
          emit: (p) => (keep ? this.live.point(p) : undefined),
          argocd,
          signal,
          activeFault: (t) =>
            record.faults.find(
              (f) =>
                f.appliedAt && Date.parse(f.appliedAt) <= t && (!f.rolledBackAt || Date.parse(f.rolledBackAt) >= t),
            )?.title,
        });
        this.running.push(c);
      } catch (err) {
        record.validity = {
          valid: false,
          reasons: [...record.validity.reasons, `collector ${c.name} could not start: ${errorMessage(err)}`],
        };
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
        if (!cov.complete)
          record.validity = {
            valid: false,
            reasons: [...record.validity.reasons, ...cov.notes.map((n) => `${c.name}: ${n}`)],
          };
        else if (cov.notes.length) record.summary[`${c.name}Notes`] = cov.notes;
      } catch (err) {
        record.validity = {
          valid: false,
          reasons: [...record.validity.reasons, `collector ${c.name} failed: ${errorMessage(err)}`],
        };
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
