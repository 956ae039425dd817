import { kubeRequest } from '../cluster/http.ts';
import { ResilientWatch, type KubeObject, type WatchEvent } from '../cluster/watch.ts';
import { appHealthCheckEnabled, applicationPath, INSTANCE_LABEL, WAVES_DO_NOT_GATE } from '../gitops/argocd.ts';
import type { AppEvent, AppTimeline, OrderingViolation, WaveSummary, WavesSummary } from '../record/summaries.ts';
import { parseTs, stamp } from './timing.ts';
import type { Collector, CollectorContext, CollectorCoverage } from './types.ts';

/**
 * Per-app and per-wave time-to-healthy from a live watch of Applications, ordering violations,
 * and whether the cluster's argocd-cm makes waves gate at all.
 */
export class WavesCollector implements Collector<WavesSummary> {
  readonly name = 'waves';
  private watch!: ResilientWatch<KubeObject>;
  private ctx!: CollectorContext;
  private readonly apps = new Map<string, AppTimeline>();
  private healthCheck: boolean | null = null;
  private startedAt = 0;

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    this.startedAt = Date.now();
    this.healthCheck = await this.readHealthCheck();
    this.watch = new ResilientWatch(ctx.kc, { path: applicationPath(ctx.argocd.namespace), log: ctx.log });
    this.watch.on((e) => this.onEvent(e));
    await this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
    if (this.healthCheck === null) this.healthCheck = await this.readHealthCheck();
    const s = this.summary();
    for (const w of s.waves) {
      this.ctx.emit({
        measurement: 'rb_wave',
        tags: { wave: String(w.wave) },
        fields: {
          apps: w.apps,
          ...(w.start !== null ? { start_s: (w.start - this.startedAt) / 1000 } : {}),
          ...(w.end !== null ? { end_s: (w.end - this.startedAt) / 1000 } : {}),
          ...(w.durationMs !== null ? { duration_s: w.durationMs / 1000 } : {}),
          ...(w.slowestApp ? { slowest_app: w.slowestApp } : {}),
        },
        time: w.end ?? w.start ?? Date.now(),
      });
    }
    for (const v of s.violations) {
      this.ctx.emit({
        measurement: 'rb_ordering_violation',
        tags: { app: v.app, wave: String(v.wave), blocking_wave: String(v.blockingWave) },
        fields: { early_s: (v.earlyMs ?? 0) / 1000 },
        time: v.startedAt,
      });
    }
  }

  /** Wave of an Application (for other collectors), undefined when unknown. */
  waveOf(app: string): number | undefined {
    return this.apps.get(app)?.wave;
  }

  timeline(app: string): AppTimeline | undefined {
    return this.apps.get(app);
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

  private onEvent(e: WatchEvent<KubeObject>): void {
    if (e.type === 'DELETED') return;
    const o = e.object;
    const name = o.metadata?.name ?? '';
    if (name === this.ctx.argocd.rootApp) return;
    const rawWave = o.metadata?.annotations?.[this.ctx.argocd.waveAnnotation];
    const wave = Number.isInteger(Number(rawWave)) && rawWave !== undefined ? Number(rawWave) : 0;
    let a = this.apps.get(name);
    if (!a) {
      a = { name, wave, parent: o.metadata?.labels?.[INSTANCE_LABEL], sync: '', health: '' };
      this.apps.set(name, a);
    }
    a.wave = wave;
    const st = o.status ?? {};
    const mark = (ev: AppEvent, objectTs: number | undefined) => {
      if (a[ev]) return;
      const s = stamp(e.arrivedAt, e.live, objectTs);
      a[ev] = s;
      this.ctx.emit({
        measurement: 'rb_app',
        tags: { app: name, wave: String(wave), event: ev, source: s.source },
        fields: { offset_s: (s.t - this.startedAt) / 1000 },
        time: s.t,
      });
    };
    mark('first_seen', parseTs(o.metadata?.creationTimestamp));
    const op = st.operationState;
    if (op?.startedAt) mark('sync_started', parseTs(op.startedAt));
    if (st.sync?.status === 'Synced') mark('synced', parseTs(op?.finishedAt) ?? parseTs(st.reconciledAt));
    if (st.health?.status === 'Healthy') mark('healthy', parseTs(st.health?.lastTransitionTime));
    if (st.health?.status === 'Degraded') mark('degraded', parseTs(st.health?.lastTransitionTime));
    a.sync = st.sync?.status ?? '';
    a.health = st.health?.status ?? '';
  }

  summary(): WavesSummary {
    const apps = [...this.apps.values()].sort((x, y) => x.wave - y.wave || x.name.localeCompare(y.name));
    const byWave = new Map<number, AppTimeline[]>();
    for (const a of apps) byWave.set(a.wave, [...(byWave.get(a.wave) ?? []), a]);
    const waves: WaveSummary[] = [...byWave.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([wave, members]) => {
        const starts = members
          .map((m) => m.sync_started?.t ?? m.first_seen?.t)
          .filter((t): t is number => t !== undefined);
        const done = members.every((m) => m.synced && m.healthy);
        const end = done ? Math.max(...members.map((m) => Math.max(m.synced!.t, m.healthy!.t))) : null;
        const start = starts.length ? Math.min(...starts) : null;
        let slowestApp: string | null = null;
        let slowestMs: number | null = null;
        for (const m of members) {
          const from = m.sync_started?.t ?? m.first_seen?.t;
          if (from === undefined || !m.healthy) continue;
          const d = m.healthy.t - from;
          if (slowestMs === null || d > slowestMs) [slowestApp, slowestMs] = [m.name, d];
        }
        return {
          wave,
          apps: members.length,
          start,
          end,
          durationMs: start !== null && end !== null ? end - start : null,
          slowestApp,
          slowestMs,
        };
      });
    const violations: OrderingViolation[] = [];
    for (let i = 1; i < waves.length; i++) {
      const prev = waves[i - 1]!;
      for (const a of byWave.get(waves[i]!.wave) ?? []) {
        const started = a.sync_started?.t;
        if (started === undefined) continue;
        if (prev.end === null || started < prev.end) {
          violations.push({
            app: a.name,
            wave: a.wave,
            blockingWave: prev.wave,
            startedAt: started,
            blockingHealthyAt: prev.end,
            earlyMs: prev.end === null ? null : prev.end - started,
          });
        }
      }
    }
    const findings = this.healthCheck === false ? [WAVES_DO_NOT_GATE] : [];
    const allDone = apps.length > 0 && apps.every((a) => a.healthy && a.synced);
    const sources: Record<string, number> = {};
    for (const a of apps)
      for (const ev of ['first_seen', 'sync_started', 'synced', 'healthy'] as const)
        if (a[ev]) sources[a[ev].source] = (sources[a[ev].source] ?? 0) + 1;
    return {
      healthCheck: this.healthCheck,
      findings,
      apps,
      waves,
      violations,
      allHealthyAt: allDone ? Math.max(...apps.map((a) => Math.max(a.healthy!.t, a.synced!.t))) : null,
      sources,
    };
  }

  coverage(): CollectorCoverage {
    const gaps = this.watch?.gaps ?? [];
    const notes = gaps.map(
      (g) =>
        `Application watch gap ${new Date(g.from).toISOString()} → ${g.to ? new Date(g.to).toISOString() : 'end'}: ${g.reason}`,
    );
    const apps = [...this.apps.values()];
    const fromObjects = apps.filter((a) => a.healthy?.source === 'object').length;
    if (fromObjects) notes.push(`${fromObjects} app(s) timed from object timestamps (1 s precision) after a gap`);
    return { complete: gaps.length === 0, gaps, notes };
  }
}
