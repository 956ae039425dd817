import { INSTANCE_LABEL, TRACKING_ANNOTATION, trackedApp } from '../gitops/argocd.ts';
import type { RestartRecord, RestartsSummary, WaveSummary } from '../record/summaries.ts';
import { ownerKey } from './pod-owner.ts';
import type { MetadataView, PodView } from './projections.ts';
import { stamp } from './timing.ts';
import type { CollectorPoint } from './types.ts';
import type { WatchInput, WatchReducer } from './watch-collector.ts';

/** The Application an object names itself: the instance label, else the tracking annotation. */
export function labelledApp(obj: { metadata?: Pick<MetadataView, 'labels' | 'annotations'> }): string | undefined {
  return obj.metadata?.labels?.[INSTANCE_LABEL] ?? trackedApp(obj.metadata?.annotations?.[TRACKING_ANNOTATION]);
}

/**
 * The controller (OwnerApps key) through which a pod's Application must be found, when the pod does
 * not name its Application itself: a ReplicaSet, StatefulSet, DaemonSet, Job or CloudNativePG Cluster.
 */
export function ownerToResolve(p: PodView): string | undefined {
  if (labelledApp(p)) return undefined;
  return ownerKey(
    p.metadata.namespace ?? '',
    (p.metadata.ownerReferences ?? []).find((r) => r.controller),
  );
}

/**
 * From the wave rows, when every app of waves strictly below `wave` was Healthy (null: never;
 * -Infinity: there is no lower wave).
 */
export function lowerWavesHealthyAt(
  rows: ReadonlyArray<Pick<WaveSummary, 'wave' | 'end'>>,
): (wave: number) => number | null {
  return (wave) => {
    const lower = rows.filter((w) => w.wave < wave);
    if (lower.some((w) => w.end === null)) return null;
    return lower.length ? Math.max(...lower.map((w) => w.end!)) : Number.NEGATIVE_INFINITY;
  };
}

/** Classified restarts per Application (per pod when it has none), most restarts first, then by name. */
export function restartsByApp(records: readonly RestartRecord[]): RestartsSummary['byApp'] {
  const byApp = new Map<string, RestartsSummary['byApp'][number]>();
  for (const r of records) {
    const key = r.app ?? `${r.namespace}/${r.pod}`;
    const s = byApp.get(key) ?? {
      app: key,
      wave: r.wave,
      restarts: 0,
      crashLoops: 0,
      dependency: 0,
      other: 0,
      oomKilled: 0,
    };
    s.restarts++;
    if (r.backoff) s.crashLoops++;
    s[r.classification ?? 'other']++;
    if (r.reason === 'OOMKilled') s.oomKilled++;
    byApp.set(key, s);
  }
  return [...byApp.values()].sort((a, b) => b.restarts - a.restarts || (a.app < b.app ? -1 : 1));
}

/**
 * A restart is *dependency* when it happened before every lower wave was Healthy (the app was
 * started before what it needs was ready); an OOMKill never is.
 */
function classify(r: RestartRecord, lowerHealthyAt: ((wave: number) => number | null) | undefined) {
  if (r.reason === 'OOMKilled' || r.wave === undefined || !lowerHealthyAt) return 'other';
  const ready = lowerHealthyAt(r.wave);
  return ready === null || r.at.t < ready ? 'dependency' : 'other';
}

/** What the restarts reducer looks up as it goes: synchronous tables the collector keeps filled. */
export interface RestartsLookups {
  /** The Application of a ReplicaSet (`namespace/name`), as read from it or its Deployment. */
  ownerApp?: (replicaSet: string) => string | undefined;
  /** The wave of an Application, from the waves collector. */
  waveOf?: (app: string) => number | undefined;
  /** The title of the fault active at t. */
  activeFault?: (t: number) => string | undefined;
}

/**
 * Every container restart, CrashLoopBackOff entry and OOMKill from pod events: a restart is a rise
 * of a container's restartCount (each step of the rise is one restart, so a relist after a gap
 * counts what it missed and a replayed object counts nothing), timed by lastState.terminated
 * after a gap. Counts found in the first list are the baseline, not restarts of this run.
 */
export class RestartsReducer implements WatchReducer<PodView> {
  private readonly records: RestartRecord[] = [];
  /** Last restartCount seen, by `podUid/container`. */
  private readonly lastCount = new Map<string, number>();
  private readonly inBackoff = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly everReady = new Set<string>();
  /** The phase of each pod that still exists, by `namespace/name`. */
  private readonly phase = new Map<string, string | undefined>();
  private crashLoops = 0;
  private listed = false;

  constructor(private readonly lookups: RestartsLookups = {}) {}

  /** Whether this event shows a restart not counted yet (the collector then resolves the pod's owner first). */
  restartsIn(e: WatchInput<PodView>): boolean {
    if (e.type === 'LISTED' || e.type === 'DELETED') return false;
    return e.object.status.containerStatuses.some((cs) => {
      const key = `${e.object.metadata.uid}/${cs.name}`;
      if (!this.listed && !this.lastCount.has(key)) return false;
      return (cs.restartCount ?? 0) > (this.lastCount.get(key) ?? 0);
    });
  }

  step(e: WatchInput<PodView>): CollectorPoint[] {
    if (e.type === 'LISTED') {
      this.listed = true;
      return [];
    }
    const p = e.object;
    const ns = p.metadata.namespace ?? '';
    const pod = p.metadata.name ?? '';
    const podKey = `${ns}/${pod}`;
    if (e.type === 'DELETED') {
      this.phase.delete(podKey);
      return [];
    }
    this.seen.add(podKey);
    this.phase.set(podKey, p.status.phase);
    if (p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')) this.everReady.add(podKey);
    for (const cs of p.status.containerStatuses) {
      const key = `${p.metadata.uid}/${cs.name}`;
      const count = cs.restartCount ?? 0;
      const waiting = cs.state?.waiting?.reason === 'CrashLoopBackOff';
      if (!this.listed && !this.lastCount.has(key)) {
        this.lastCount.set(key, count);
        if (waiting) this.inBackoff.add(key);
        continue;
      }
      const prev = this.lastCount.get(key) ?? 0;
      this.lastCount.set(key, count);
      if (waiting && !this.inBackoff.has(key)) this.crashLoops++;
      if (waiting) this.inBackoff.add(key);
      else this.inBackoff.delete(key);
      if (count <= prev) continue;
      const app = this.appOf(p);
      const term = cs.lastState?.terminated ?? {};
      const finished = Date.parse(term.finishedAt ?? '');
      const at = stamp(e.arrivedAt, e.live, Number.isFinite(finished) ? finished : undefined);
      const wave = app ? this.lookups.waveOf?.(app) : undefined;
      for (let n = prev + 1; n <= count; n++) {
        this.records.push({
          namespace: ns,
          pod,
          container: cs.name,
          app,
          wave,
          reason: term.reason ?? 'Unknown',
          exitCode: term.exitCode,
          restartCount: n,
          at,
          fault: this.lookups.activeFault?.(at.t),
          backoff: waiting,
        });
      }
    }
    return [];
  }

  /**
   * The summary, each restart classified against the wave rows (none: not classified, all
   * *other*). Records seen before their app's wave was known get it now.
   */
  summary(waveRows?: ReadonlyArray<Pick<WaveSummary, 'wave' | 'end'>>): RestartsSummary {
    const lowerHealthyAt = waveRows ? lowerWavesHealthyAt(waveRows) : undefined;
    for (const r of this.records) {
      r.wave ??= r.app ? this.lookups.waveOf?.(r.app) : undefined;
      r.classification = classify(r, lowerHealthyAt);
    }
    const byApp = restartsByApp(this.records);
    return {
      restarts: this.records.length,
      crashLoopBackOff: this.crashLoops,
      oomKilled: this.records.filter((r) => r.reason === 'OOMKilled').length,
      byApp,
      neverReady: [...this.seen].filter((k) => !this.everReady.has(k) && this.phase.get(k) !== 'Succeeded'),
      records: this.records,
    };
  }

  private appOf(p: PodView): string | undefined {
    const rs = ownerToResolve(p);
    return rs ? this.lookups.ownerApp?.(rs) : labelledApp(p);
  }
}
