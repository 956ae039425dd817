import { parentApp, WAVES_DO_NOT_GATE } from '../gitops/argocd.ts';
import type {
  AppEvent,
  AppTimeline,
  OrderingViolation,
  Stamped,
  WaveSummary,
  WavesSummary,
} from '../record/summaries.ts';
import type { ApplicationView } from './projections.ts';
import { parseTs, stamp } from './timing.ts';
import type { CollectorPoint } from './types.ts';
import type { WatchInput, WatchReducer } from './watch-collector.ts';

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

export interface WavesInputs {
  /** The annotation that holds an Application's sync wave. */
  waveAnnotation: string;
  /** When the collector started: rb_app points carry their offset from it. */
  startedAt: number;
  /** The configured root Application, if any (otherwise roots are found from the objects). */
  rootApp?: string;
}

/** What the waves summary reports of the cluster beside the Applications (read by the collector). */
export interface WavesFacts {
  /** Whether argocd-cm gives Applications a health check, so that waves gate (null: unknown). */
  healthCheck: boolean | null;
  argocd?: WavesSummary['argocd'];
}

/** Each Application's timeline (first seen, sync, health) from its watch events, and the wave rows. */
export class WavesReducer implements WatchReducer<ApplicationView> {
  private readonly apps = new Map<string, AppTimeline>();

  constructor(private readonly o: WavesInputs) {}

  step(e: WatchInput<ApplicationView>): CollectorPoint[] {
    if (e.type === 'LISTED' || e.type === 'DELETED') return [];
    const o = e.object;
    const name = o.metadata.name ?? '';
    const rawWave = o.metadata.annotations?.[this.o.waveAnnotation];
    const wave = Number.isInteger(Number(rawWave)) && rawWave !== undefined ? Number(rawWave) : 0;
    let a = this.apps.get(name);
    if (!a) {
      a = { name, wave, parent: undefined, sync: '', health: '' };
      this.apps.set(name, a);
    }
    a.wave = wave;
    a.parent = parentApp(o) ?? a.parent;
    const st = o.status;
    const points: CollectorPoint[] = [];
    const record = (ev: AppEvent, s: Stamped, extra: Record<string, string> = {}) =>
      points.push({
        measurement: 'rb_app',
        tags: { app: name, wave: String(wave), event: ev, source: s.source, ...extra },
        fields: { offset_s: (s.t - this.o.startedAt) / 1000 },
        time: s.t,
      });
    const mark = (ev: 'first_seen' | 'sync_started' | 'synced' | 'degraded', objectTs: number | undefined) => {
      if (a[ev]) return;
      a[ev] = stamp(e.arrivedAt, e.live, objectTs);
      record(ev, a[ev]);
    };
    mark('first_seen', parseTs(o.metadata.creationTimestamp));
    const op = st.operationState;
    if (op?.startedAt) mark('sync_started', parseTs(op.startedAt));
    if (st.sync?.status === 'Synced') mark('synced', parseTs(op?.finishedAt) ?? parseTs(st.reconciledAt));
    const health = st.health?.status ?? '';
    if (health === 'Degraded') mark('degraded', parseTs(st.health?.lastTransitionTime));
    if (health && health !== a.health) {
      const at = stamp(e.arrivedAt, e.live, parseTs(st.health?.lastTransitionTime));
      for (const ep of healthTransition(a, health, at)) record(ep.event, at, ep.tags);
    }
    a.sync = st.sync?.status ?? '';
    a.health = health || a.health;
    return points;
  }

  /** Wave of an Application, undefined when unknown. */
  waveOf(app: string): number | undefined {
    return this.apps.get(app)?.wave;
  }

  timeline(app: string): AppTimeline | undefined {
    return this.apps.get(app);
  }

  /** How many apps were timed to Healthy from object timestamps (after a gap), not from live events. */
  objectTimedApps(): number {
    return [...this.apps.values()].filter((a) => a.healthy?.source === 'object').length;
  }

  summary(facts: WavesFacts): WavesSummary {
    const all = [...this.apps.values()];
    const roots = findRoots(all, this.o.rootApp);
    const apps = all
      .filter((a) => !roots.includes(a.name))
      .sort((x, y) => x.wave - y.wave || x.name.localeCompare(y.name));
    const { waves, violations } = waveRows(apps);
    const allDone = apps.length > 0 && apps.every((a) => a.healthy && a.synced);
    const sources: Record<string, number> = {};
    for (const a of apps)
      for (const ev of ['first_seen', 'sync_started', 'synced', 'healthy'] as const)
        if (a[ev]) sources[a[ev].source] = (sources[a[ev].source] ?? 0) + 1;
    return {
      healthCheck: facts.healthCheck,
      roots,
      ...(facts.argocd ? { argocd: facts.argocd } : {}),
      findings: facts.healthCheck === false ? [WAVES_DO_NOT_GATE] : [],
      apps,
      waves,
      violations,
      allHealthyAt: allDone ? Math.max(...apps.map((a) => Math.max(a.healthy!.t, a.synced!.t))) : null,
      sources,
    };
  }
}
