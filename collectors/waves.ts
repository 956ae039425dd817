import { kubeRequest } from '../cluster/http.ts';
import { ResilientWatch, type KubeObject, type WatchEvent } from '../cluster/watch.ts';
import { appHealthCheckEnabled, applicationPath, parentApp, WAVES_DO_NOT_GATE } from '../gitops/argocd.ts';
import type {
  AppEvent,
  AppTimeline,
  OrderingViolation,
  Stamped,
  WaveSummary,
  WavesSummary,
} from '../record/summaries.ts';
import { argocdVersion, type ArgocdVersion } from './argocd-version.ts';
import { applicationProjection } from './projections.ts';
import { parseTs, stamp } from './timing.ts';
import type { Point } from '../record/point.ts';
import type { Collector, CollectorContext, CollectorCoverage } from './types.ts';

const lossRank: Record<string, number> = { Suspended: 1, Progressing: 2, Missing: 3, Degraded: 4, Unknown: 5 };

/**
 * One health change of an app: time to Healthy is the transition that held (an app that loses
 * its health has no time to Healthy until it is back), and each loss opens an episode that closes
 * when it is Healthy again. Returns the rb_app events to record.
 */
export function healthTransition(
  a: AppTimeline,
  next: string,
  at: Stamped,
): Array<{ event: AppEvent; tags?: Record<string, string> }> {
  const open = a.episodes?.find((e) => e.to === null);
  if (next === 'Healthy') {
    a.healthy = at;
    a.firstHealthy ??= at;
    if (open) open.to = at.t;
    return [{ event: 'healthy' }];
  }
  if (a.health === 'Healthy') {
    delete a.healthy;
    (a.episodes ??= []).push({ from: at.t, to: null, status: next });
    return [{ event: 'health_lost', tags: { status: next } }];
  }
  if (open && (lossRank[next] ?? 0) > (lossRank[open.status] ?? 0)) open.status = next;
  return [];
}

/**
 * The app-of-apps roots: Applications that others name as their parent and that have none, plus
 * the configured root. Children point to their root through the tracking annotation, so a root
 * is recognised whatever its name.
 */
export function findRoots(apps: AppTimeline[], configured: string | undefined): string[] {
  const parents = new Set(apps.map((a) => a.parent).filter((p): p is string => !!p));
  return apps
    .filter((a) => a.name === configured || (parents.has(a.name) && !a.parent))
    .map((a) => a.name)
    .sort();
}

type WavePoint = Omit<Point, 'tags'> & { tags: Record<string, string> };

/** Per-wave rows (start, end, slowest app) and ordering violations of a set of app timelines. */
export function waveRows(apps: readonly AppTimeline[]): { waves: WaveSummary[]; violations: OrderingViolation[] } {
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
  return { waves, violations };
}

/** The rb_wave point of a wave row; offsets from the collector's start. */
export function wavePoint(w: WaveSummary, startedAt: number): WavePoint {
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
export function violationPoint(v: OrderingViolation): WavePoint {
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
export class WavesCollector implements Collector<WavesSummary> {
  readonly name = 'waves';
  private watch!: ResilientWatch<KubeObject>;
  private ctx!: CollectorContext;
  private readonly apps = new Map<string, AppTimeline>();
  private healthCheck: boolean | null = null;
  private argocdVersion: ArgocdVersion | undefined;
  private startedAt = 0;

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    this.startedAt = Date.now();
    this.healthCheck = await this.readHealthCheck();
    this.argocdVersion = await argocdVersion(ctx.kc, ctx.argocd.namespace).catch(() => undefined);
    this.watch = new ResilientWatch(ctx.kc, {
      path: applicationPath(ctx.argocd.namespace),
      log: ctx.log,
      project: applicationProjection(ctx.argocd.waveAnnotation),
    });
    this.watch.on((e) => this.onEvent(e));
    await this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
    if (this.healthCheck === null) this.healthCheck = await this.readHealthCheck();
    if (!this.argocdVersion?.version)
      this.argocdVersion = await argocdVersion(this.ctx.kc, this.ctx.argocd.namespace).catch(() => this.argocdVersion);
    const s = this.summary();
    for (const w of s.waves) this.ctx.emit(wavePoint(w, this.startedAt));
    for (const v of s.violations) this.ctx.emit(violationPoint(v));
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
    const rawWave = o.metadata?.annotations?.[this.ctx.argocd.waveAnnotation];
    const wave = Number.isInteger(Number(rawWave)) && rawWave !== undefined ? Number(rawWave) : 0;
    let a = this.apps.get(name);
    if (!a) {
      a = { name, wave, parent: undefined, sync: '', health: '' };
      this.apps.set(name, a);
    }
    a.wave = wave;
    a.parent = parentApp(o) ?? a.parent;
    const st = o.status ?? {};
    const emit = (ev: AppEvent, s: Stamped, extra: Record<string, string> = {}) =>
      this.ctx.emit({
        measurement: 'rb_app',
        tags: { app: name, wave: String(wave), event: ev, source: s.source, ...extra },
        fields: { offset_s: (s.t - this.startedAt) / 1000 },
        time: s.t,
      });
    const mark = (ev: 'first_seen' | 'sync_started' | 'synced' | 'degraded', objectTs: number | undefined) => {
      if (a[ev]) return;
      a[ev] = stamp(e.arrivedAt, e.live, objectTs);
      emit(ev, a[ev]);
    };
    mark('first_seen', parseTs(o.metadata?.creationTimestamp));
    const op = st.operationState;
    if (op?.startedAt) mark('sync_started', parseTs(op.startedAt));
    if (st.sync?.status === 'Synced') mark('synced', parseTs(op?.finishedAt) ?? parseTs(st.reconciledAt));
    const health: string = st.health?.status ?? '';
    if (health === 'Degraded') mark('degraded', parseTs(st.health?.lastTransitionTime));
    if (health && health !== a.health) {
      const at = stamp(e.arrivedAt, e.live, parseTs(st.health?.lastTransitionTime));
      for (const ep of healthTransition(a, health, at)) emit(ep.event, at, ep.tags);
    }
    a.sync = st.sync?.status ?? '';
    a.health = health || a.health;
  }

  summary(): WavesSummary {
    const all = [...this.apps.values()];
    const roots = findRoots(all, this.ctx.argocd.rootApp);
    const apps = all
      .filter((a) => !roots.includes(a.name))
      .sort((x, y) => x.wave - y.wave || x.name.localeCompare(y.name));
    const { waves, violations } = waveRows(apps);
    const findings = this.healthCheck === false ? [WAVES_DO_NOT_GATE] : [];
    const allDone = apps.length > 0 && apps.every((a) => a.healthy && a.synced);
    const sources: Record<string, number> = {};
    for (const a of apps)
      for (const ev of ['first_seen', 'sync_started', 'synced', 'healthy'] as const)
        if (a[ev]) sources[a[ev].source] = (sources[a[ev].source] ?? 0) + 1;
    return {
      healthCheck: this.healthCheck,
      roots,
      ...(this.argocdVersion ? { argocd: this.argocdVersion } : {}),
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
