import type {
  PhaseStats,
  PodGroupSummary,
  PodLatencyRecord,
  PodPhase,
  PodsSummary,
  Stamped,
} from '../record/summaries.ts';
import { startupOf as startupMs } from '../record/calibration.ts';
import { POD_PHASES } from '../record/summaries.ts';
import { latencyStats } from './latency-stats.ts';
import type { PodView, PulledEventView } from './projections.ts';
import { labelledApp, ownerToResolve } from './restarts-reducer.ts';
import { parseTs, stamp } from './timing.ts';
import type { WatchInput, WatchReducer } from './watch-collector.ts';

/** The pod conditions whose first True ends a phase. */
const CONDITION_PHASE: Record<string, PodPhase> = {
  PodScheduled: 'scheduled',
  Initialized: 'initialized',
  ContainersReady: 'containersReady',
  Ready: 'ready',
};

const GO_DURATION = /^((?:\d+(?:\.\d+)?(?:h|ms|m|s|µs|us|ns))+)/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 };

/** A Go duration (`1m2.5s`, `812ms`) in ms; undefined when it is not one. */
export function goDurationMs(s: string): number | undefined {
  const m = GO_DURATION.exec(s);
  if (!m) return undefined;
  let ms = 0;
  for (const [, n, unit] of m[1]!.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/**
 * The wall time of a pull from the kubelet's `Pulled` message: `Successfully pulled image "x" in 1.2s
 * (3.4s including waiting). …` gives the time including the wait in the pull queue (what the pod
 * waited), older kubelets only the pull; `… already present on machine` is 0.
 */
export function pulledMs(message: string | undefined): number | undefined {
  if (!message) return undefined;
  if (/already present on machine/.test(message)) return 0;
  const m = /pulled image "[^"]*" in (\S+)(?: \((\S+) including waiting\))?/i.exec(message);
  if (!m) return undefined;
  return goDurationMs(m[2] ?? '') ?? goDurationMs(m[1]!);
}

interface Tracked {
  namespace: string;
  pod: string;
  uid: string;
  app: string | undefined;
  /** Seen in the first list: there before the run, not counted. */
  preexisting: boolean;
  seenReady: boolean;
  created: Stamped;
  reached: Partial<Record<PodPhase, Stamped>>;
  restarts: number;
  backoffSince: number | undefined;
  crashLoopMs: number;
  succeeded: boolean;
  /** The latest container start seen before Ready (its object timestamp, 1 s): a new one is a new run. */
  lastStart: number | undefined;
  deleted: boolean;
}

/** What the pods reducer looks up as it goes: synchronous tables the collector keeps filled. */
export interface PodsLookups {
  /** The Application of a ReplicaSet (`namespace/name`), as read from it or its Deployment. */
  ownerApp?: (replicaSet: string) => string | undefined;
  /** The wave of an Application, from the waves collector. */
  waveOf?: (app: string) => number | undefined;
}

const isTrue = (p: PodView, type: string) => p.status.conditions.some((c) => c.type === type && c.status === 'True');

/**
 * Every pod created during the run, from creation to Ready (created → scheduled → initialized →
 * images pulled → containers ready → Ready), its restarts and the time it spent crash-looping.
 * Transitions are timed by the live watch event when it agrees with the object's second, else by
 * the object's timestamps (collectors/timing.ts). Pulls come from the kubelet's `Pulled` events.
 */
export class PodsReducer implements WatchReducer<PodView> {
  private readonly pods = new Map<string, Tracked>();
  /**
   * The first pull of each container (its `fieldPath`), end and duration, by pod uid (or
   * `namespace/name` when the event names no uid). The kubelet says Pulled again at every container
   * start (a restart: "already present"); those are not pulls of the pod's start.
   */
  private readonly pulls = new Map<string, Map<string, { end: number; ms: number }>>();
  private readonly pullEventsSeen = new Set<string>();
  private listed = false;

  constructor(private readonly lookups: PodsLookups = {}) {}

  step(e: WatchInput<PodView>): [] {
    if (e.type === 'LISTED') {
      this.listed = true;
      return [];
    }
    const p = e.object;
    const uid = p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;
    let t = this.pods.get(uid);
    if (e.type === 'DELETED') {
      if (t) {
        this.closeBackoff(t, e.arrivedAt);
        t.deleted = true;
      }
      return [];
    }
    if (!t) {
      t = {
        namespace: p.metadata.namespace ?? '',
        pod: p.metadata.name ?? '',
        uid,
        app: undefined,
        preexisting: !this.listed,
        seenReady: this.listed && isTrue(p, 'Ready'),
        created: stamp(e.arrivedAt, e.live, parseTs(p.metadata.creationTimestamp)),
        reached: {},
        restarts: 0,
        backoffSince: undefined,
        crashLoopMs: 0,
        succeeded: false,
        lastStart: undefined,
        deleted: false,
      };
      this.pods.set(uid, t);
    }
    t.app ??= this.appOf(p);
    const wasReady = t.reached.ready !== undefined;
    // The run that becomes Ready: every container running, from the latest container start (a restart
    // gives a new startedAt). Read before the conditions, as running and Ready often come together.
    const statuses = p.status.containerStatuses;
    const starts = statuses.map((cs) => parseTs(cs.state?.running?.startedAt));
    if (!wasReady && statuses.length > 0 && starts.every((x) => x !== undefined)) {
      const latest = Math.max(...starts);
      if (t.lastStart === undefined || latest > t.lastStart) {
        t.lastStart = latest;
        t.reached.started = stamp(e.arrivedAt, e.live && !t.seenReady, latest);
      }
    }
    for (const c of p.status.conditions) {
      const phase = CONDITION_PHASE[c.type ?? ''];
      if (!phase || c.status !== 'True' || t.reached[phase]) continue;
      // A condition True at first sight after a gap is as old as its own timestamp says.
      const live = e.live && !t.seenReady;
      t.reached[phase] = stamp(e.arrivedAt, live, parseTs(c.lastTransitionTime));
    }
    t.restarts = p.status.containerStatuses.reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
    t.succeeded ||= p.status.phase === 'Succeeded';
    const backoff = p.status.containerStatuses.some((cs) => cs.state?.waiting?.reason === 'CrashLoopBackOff');
    if (backoff) t.backoffSince ??= e.arrivedAt;
    else this.closeBackoff(t, e.arrivedAt);
    return [];
  }

  /** One kubelet `Pulled` event (a relist's replay of one already seen counts nothing). */
  pulled(e: WatchInput<PulledEventView>): void {
    if (e.type === 'LISTED' || e.type === 'DELETED') return;
    const ev = e.object;
    const id = `${ev.metadata?.namespace}/${ev.metadata?.name}`;
    if (ev.reason !== 'Pulled' || ev.involvedObject?.kind !== 'Pod' || this.pullEventsSeen.has(id)) return;
    const ms = pulledMs(ev.message);
    if (ms === undefined) return;
    this.pullEventsSeen.add(id);
    const at = parseTs(ev.eventTime) ?? parseTs(ev.lastTimestamp) ?? parseTs(ev.firstTimestamp);
    const end = stamp(e.arrivedAt, e.live, at).t;
    const key = ev.involvedObject.uid || `${ev.involvedObject.namespace}/${ev.involvedObject.name}`;
    let byContainer = this.pulls.get(key);
    if (!byContainer) this.pulls.set(key, (byContainer = new Map<string, { end: number; ms: number }>()));
    const container = ev.involvedObject.fieldPath ?? '';
    const first = byContainer.get(container);
    if (!first || end < first.end) byContainer.set(container, { end, ms });
  }

  /** Counted pods first seen already Ready (for coverage notes, without building the summary). */
  seenReadyCount(): number {
    let n = 0;
    for (const t of this.pods.values()) if (!t.preexisting && t.seenReady) n++;
    return n;
  }

  /** Whether the pod of this event still needs its Application looked up through its ReplicaSet. */
  needsOwner(e: WatchInput<PodView>): string | undefined {
    if (e.type === 'LISTED' || e.type === 'DELETED' || !this.listed) return undefined;
    const known = this.pods.get(e.object.metadata.uid ?? '');
    return known?.app ? undefined : ownerToResolve(e.object);
  }

  /** The summary at `endAt` (an open crash-loop counts up to it). */
  summary(endAt: number): PodsSummary {
    const counted = [...this.pods.values()].filter((t) => !t.preexisting);
    const records = counted
      .map((t) => this.record(t, endAt))
      .sort((a, b) => a.created.t - b.created.t || (a.pod < b.pod ? -1 : 1));
    const waveKey = (r: PodLatencyRecord) => (r.wave === undefined ? undefined : String(r.wave));
    return {
      pods: records.length,
      preexisting: this.pods.size - counted.length,
      seenReady: records.filter((r) => r.seenReady).length,
      neverReady: counted.filter((t) => !t.reached.ready && !t.succeeded && !t.deleted).length,
      phases: phaseStats(records),
      byApp: groups(records, (r) => r.app),
      byWave: groups(records, waveKey).sort((a, b) => Number(a.key) - Number(b.key)),
      records,
    };
  }

  private record(t: Tracked, endAt: number): PodLatencyRecord {
    const c = t.created.t;
    const phases: Partial<Record<PodPhase, number>> = {};
    // A condition timed by its object second can fall just before a creation timed by the watch.
    for (const [phase, s] of Object.entries(t.reached) as Array<[PodPhase, Stamped]>)
      phases[phase] = Math.max(0, s.t - c);
    const pulls = this.pulls.get(t.uid) ?? this.pulls.get(`${t.namespace}/${t.pod}`);
    let pullMs: number | null = null;
    if (pulls?.size) {
      const spans = [...pulls.values()].map((x) => [x.end - x.ms, x.end] as const).sort((a, b) => a[0] - b[0]);
      // The union of the pulls (the kubelet pulls one image at a time by default; init containers run between).
      let total = 0;
      let [from, to] = spans[0]!;
      for (const [a, b] of spans.slice(1)) {
        if (a > to) {
          total += to - from;
          from = a;
        }
        to = Math.max(to, b);
      }
      pullMs = Math.round(total + to - from);
      phases.pulled = Math.max(0, Math.max(...spans.map((x) => x[1])) - c);
    }
    return {
      namespace: t.namespace,
      pod: t.pod,
      app: t.app,
      wave: t.app ? this.lookups.waveOf?.(t.app) : undefined,
      created: t.created,
      phases,
      pullMs,
      restarts: t.restarts,
      crashLoopMs: Math.round(t.crashLoopMs + (t.backoffSince === undefined ? 0 : endAt - t.backoffSince)),
      seenReady: t.seenReady,
      timedBy: [t.created, ...Object.values(t.reached)].find((x) => x.source !== 'watch')?.source ?? 'watch',
    };
  }

  private closeBackoff(t: Tracked, at: number): void {
    if (t.backoffSince === undefined) return;
    t.crashLoopMs += Math.max(0, at - t.backoffSince);
    t.backoffSince = undefined;
  }

  private appOf(p: PodView): string | undefined {
    const rs = ownerToResolve(p);
    return rs ? this.lookups.ownerApp?.(rs) : labelledApp(p);
  }
}

function phaseStat(values: number[]): PhaseStats | null {
  const s = latencyStats(values.sort((a, b) => a - b));
  return s && { ...s, pods: values.length };
}

function phaseStats(records: readonly PodLatencyRecord[]): Partial<Record<PodPhase, PhaseStats>> {
  const out: Partial<Record<PodPhase, PhaseStats>> = {};
  for (const phase of POD_PHASES) {
    const s = phaseStat(records.flatMap((r) => (r.phases[phase] === undefined ? [] : [r.phases[phase]])));
    if (s) out[phase] = s;
  }
  return out;
}

/** Records grouped by `keyOf` (records without a key are left out), slowest p99 to Ready first. */
function groups(
  records: readonly PodLatencyRecord[],
  keyOf: (r: PodLatencyRecord) => string | undefined,
): PodGroupSummary[] {
  const by = new Map<string, PodLatencyRecord[]>();
  for (const r of records) {
    const k = keyOf(r);
    if (k === undefined) continue;
    const group = by.get(k);
    if (group) group.push(r);
    else by.set(k, [r]);
  }
  return [...by.entries()]
    .map(([key, rs]) => ({
      key,
      wave: rs.find((r) => r.wave !== undefined)?.wave,
      pods: rs.length,
      phases: phaseStats(rs),
      pullMs: phaseStat(rs.flatMap((r) => (r.pullMs === null ? [] : [r.pullMs]))),
      startupMs: phaseStat(rs.flatMap((r) => startupMs(r) ?? [])),
      restarts: rs.reduce((n, r) => n + r.restarts, 0),
      crashLoopMs: rs.reduce((n, r) => n + r.crashLoopMs, 0),
    }))
    .sort((a, b) => (b.phases.ready?.p99 ?? Infinity) - (a.phases.ready?.p99 ?? Infinity) || (a.key < b.key ? -1 : 1));
}
