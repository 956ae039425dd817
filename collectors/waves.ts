import { kubeRequest } from '../cluster/http.ts';
import type { Gap } from '../cluster/watch.ts';
import { appHealthCheckEnabled, applicationPath } from '../gitops/argocd.ts';
import type { AppTimeline, OrderingViolation, WaveSummary, WavesSummary } from '../record/summaries.ts';
import { argocdVersion, type ArgocdVersion } from './argocd-version.ts';
import { applicationProjection, type ApplicationView } from './projections.ts';
import type { CollectorContext, CollectorPoint, CollectorType } from './types.ts';
import { gapWindow, WatchCollector, type Watched } from './watch-collector.ts';
import { WavesReducer } from './waves-reducer.ts';

export { findRoots, healthTransition, waveRows } from './waves-reducer.ts';

/** The rb_wave point of a wave row; offsets from the collector's start. */
export function wavePoint(w: WaveSummary, startedAt: number): CollectorPoint {
  return {
    measurement: 'rb_wave',
    tags: { wave: String(w.wave) },
    fields: {
      apps: w.apps,
      ...(w.start !== null ? { start_s: (w.start - startedAt) / 1000 } : {}),
      ...(w.end !== null ? { end_s: (w.end - startedAt) / 1000 } : {}),
      ...(w.durationMs !== null ? { duration_s: w.durationMs / 1000 } : {}),
      ...(w.slowestApp ? { slowest_app: w.slowestApp } : {}),
    },
    time: w.end ?? w.start ?? Date.now(),
  };
}

/** The rb_ordering_violation point of a violation. */
export function violationPoint(v: OrderingViolation): CollectorPoint {
  return {
    measurement: 'rb_ordering_violation',
    tags: { app: v.app, wave: String(v.wave), blocking_wave: String(v.blockingWave) },
    fields: { early_s: (v.earlyMs ?? 0) / 1000 },
    time: v.startedAt,
  };
}

/**
 * Per-app and per-wave time-to-healthy from a live watch of Applications, ordering violations,
 * and whether the cluster's argocd-cm makes waves gate at all.
 */
export class WavesCollector extends WatchCollector<ApplicationView, WavesReducer, WavesSummary> {
  readonly name = 'waves';
  private healthCheck: boolean | null = null;
  private argocdVersion: ArgocdVersion | undefined;
  private startedAt = 0;

  protected watched(ctx: CollectorContext): Watched<ApplicationView> {
    return { path: applicationPath(ctx.argocd.namespace), project: applicationProjection(ctx.argocd.waveAnnotation) };
  }

  protected createReducer(ctx: CollectorContext): WavesReducer {
    this.startedAt = Date.now();
    return new WavesReducer({
      waveAnnotation: ctx.argocd.waveAnnotation,
      startedAt: this.startedAt,
      rootApp: ctx.argocd.rootApp,
    });
  }

  protected override async beforeWatch(): Promise<void> {
    this.healthCheck = await this.readHealthCheck();
    this.argocdVersion = await argocdVersion(this.ctx.kc, this.ctx.argocd.namespace).catch(() => undefined);
  }

  protected override async afterWatch(): Promise<void> {
    if (this.healthCheck === null) this.healthCheck = await this.readHealthCheck();
    if (!this.argocdVersion?.version)
      this.argocdVersion = await argocdVersion(this.ctx.kc, this.ctx.argocd.namespace).catch(() => this.argocdVersion);
    const s = this.summary();
    for (const w of s.waves) this.ctx.emit(wavePoint(w, this.startedAt));
    for (const v of s.violations) this.ctx.emit(violationPoint(v));
  }

  /** Wave of an Application (for other collectors), undefined when unknown. */
  waveOf(app: string): number | undefined {
    return this.reducer.waveOf(app);
  }

  timeline(app: string): AppTimeline | undefined {
    return this.reducer.timeline(app);
  }

  summary(): WavesSummary {
    return this.reducer.summary({ healthCheck: this.healthCheck, argocd: this.argocdVersion });
  }

  protected gapNotes(gaps: readonly Gap[]): string[] {
    const notes = gaps.map((g) => `Application watch gap ${gapWindow(g)}: ${g.reason}`);
    const fromObjects = this.reducer?.objectTimedApps() ?? 0;
    if (fromObjects) notes.push(`${fromObjects} app(s) timed from object timestamps (1 s precision) after a gap`);
    return notes;
  }

  private async readHealthCheck(): Promise<boolean | null> {
    try {
      const cm = await kubeRequest<{ data?: Record<string, string> }>(
        this.ctx.kc,
        'GET',
        `/api/v1/namespaces/${this.ctx.argocd.namespace}/configmaps/argocd-cm`,
        { timeoutMs: 5000 },
      );
      return appHealthCheckEnabled(cm.body.data);
    } catch {
      return null;
    }
  }
}

export const wavesCollector: CollectorType = { name: 'waves', needs: [], create: () => new WavesCollector() };
