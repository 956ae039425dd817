import { kubeRequest } from '../cluster/http.ts';
import { ResilientWatch, type KubeObject, type WatchEvent } from '../cluster/watch.ts';
import type { Point } from '../record/point.ts';
import type { RestartRecord, RestartsSummary } from '../record/summaries.ts';
import { podProjection } from './projections.ts';
import { stamp } from './timing.ts';
import type { Collector, CollectorContext, CollectorCoverage } from './types.ts';
import { INSTANCE_LABEL, TRACKING_ANNOTATION, trackedApp } from '../gitops/argocd.ts';

export interface RestartsOptions {
  /** The wave and time-to-healthy of an app, from the waves collector (for classification). */
  waveOf?: (app: string) => number | undefined;
  /**
   * Builds, from the current wave timeline, when every app of waves strictly below `wave` was Healthy
   * (null: never). Called once per summary, not once per restart.
   */
  lowerWavesHealthyAt?: () => (wave: number) => number | null;
}

/** The rb_restart point of a classified restart. */
export function restartPoint(r: RestartRecord): Omit<Point, 'tags'> & { tags: Record<string, string> } {
  return {
    measurement: 'rb_restart',
    tags: {
      namespace: r.namespace,
      pod: r.pod,
      container: r.container,
      app: r.app ?? '',
      wave: r.wave === undefined ? '' : String(r.wave),
      reason: r.reason,
      classification: r.classification ?? 'other',
      fault: r.fault ?? '',
    },
    fields: { restart_count: r.restartCount, crash_loop: r.backoff },
    time: r.at.t,
  };
}

/**
 * Every container restart, CrashLoopBackOff entry and OOMKill, attributed to its Application
 * (tracking label or annotation, through the owning ReplicaSet/Deployment when the pod lacks it),
 * its wave and the fault active at the time. A restart is classified *dependency* when it happened
 * before every lower wave was Healthy (the app was started before what it needs was ready).
 */
export class RestartsCollector implements Collector<RestartsSummary> {
  readonly name = 'restarts';
  private watch!: ResilientWatch<KubeObject>;
  private ctx!: CollectorContext;
  private readonly records: RestartRecord[] = [];
  private readonly lastCount = new Map<string, number>();
  private readonly inBackoff = new Set<string>();
  private readonly everReady = new Set<string>();
  private readonly seen = new Map<string, string>();
  private readonly ownerApp = new Map<string, string | undefined>();
  private crashLoops = 0;
  /** Past the first list: counts found there are the baseline, not restarts of this run. */
  private synced = false;

  constructor(private readonly o: RestartsOptions = {}) {}

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    this.watch = new ResilientWatch(ctx.kc, { path: '/api/v1/pods', log: ctx.log, project: podProjection });
    this.watch.on((e) => void this.onEvent(e));
    await this.watch.start();
    this.synced = true;
  }

  /** Restart points are emitted at the end, once each restart can be classified. */
  async stop(): Promise<void> {
    await this.watch?.stop();
    for (const r of this.summary().records) this.ctx.emit(restartPoint(r));
  }

  private async appOf(p: KubeObject): Promise<string | undefined> {
    const direct = p.metadata?.labels?.[INSTANCE_LABEL] ?? trackedApp(p.metadata?.annotations?.[TRACKING_ANNOTATION]);
    if (direct) return direct;
    const owner = (p.metadata?.ownerReferences ?? []).find((r: { controller?: boolean }) => r.controller);
    if (!owner || owner.kind !== 'ReplicaSet') return undefined;
    const key = `${p.metadata?.namespace}/${owner.name}`;
    if (this.ownerApp.has(key)) return this.ownerApp.get(key);
    let app: string | undefined;
    try {
      const rs = (
        await kubeRequest<KubeObject>(
          this.ctx.kc,
          'GET',
          `/apis/apps/v1/namespaces/${p.metadata?.namespace}/replicasets/${owner.name}`,
        )
      ).body;
      app = rs.metadata?.labels?.[INSTANCE_LABEL] ?? trackedApp(rs.metadata?.annotations?.[TRACKING_ANNOTATION]);
      const dep = (rs.metadata?.ownerReferences ?? []).find((r: { kind: string }) => r.kind === 'Deployment');
      if (!app && dep) {
        const d = (
          await kubeRequest<KubeObject>(
            this.ctx.kc,
            'GET',
            `/apis/apps/v1/namespaces/${p.metadata?.namespace}/deployments/${dep.name}`,
          )
        ).body;
        app = d.metadata?.labels?.[INSTANCE_LABEL] ?? trackedApp(d.metadata?.annotations?.[TRACKING_ANNOTATION]);
      }
    } catch {
      app = undefined;
    }
    this.ownerApp.set(key, app);
    return app;
  }

  private async onEvent(e: WatchEvent<KubeObject>): Promise<void> {
    const p = e.object;
    const ns = p.metadata?.namespace ?? '';
    const pod = p.metadata?.name ?? '';
    const podKey = `${ns}/${pod}`;
    if (e.type === 'DELETED') return;
    this.seen.set(podKey, p.metadata?.uid ?? '');
    if (
      (p.status?.conditions ?? []).some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      )
    )
      this.everReady.add(podKey);
    for (const cs of p.status?.containerStatuses ?? []) {
      const key = `${p.metadata?.uid}/${cs.name}`;
      const count: number = cs.restartCount ?? 0;
      const waiting = cs.state?.waiting?.reason === 'CrashLoopBackOff';
      if (!this.synced && !this.lastCount.has(key)) {
        // A pod that was already there when the collector started (a chaos run on a live cluster).
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
      const app = await this.appOf(p);
      const term = cs.lastState?.terminated ?? {};
      const finished = Date.parse(term.finishedAt ?? '');
      const at = stamp(e.arrivedAt, e.live, Number.isFinite(finished) ? finished : undefined);
      const wave = app ? this.o.waveOf?.(app) : undefined;
      for (let n = prev + 1; n <= count; n++) {
        const r: RestartRecord = {
          namespace: ns,
          pod,
          container: cs.name,
          app,
          wave,
          reason: term.reason ?? 'Unknown',
          exitCode: term.exitCode,
          restartCount: n,
          at,
          fault: this.ctx.activeFault(at.t),
          backoff: waiting,
        };
        this.records.push(r);
      }
    }
  }

  private classify(
    r: RestartRecord,
    lowerHealthyAt: ((wave: number) => number | null) | undefined,
  ): 'dependency' | 'other' {
    if (r.reason === 'OOMKilled' || r.wave === undefined || !lowerHealthyAt) return 'other';
    const ready = lowerHealthyAt(r.wave);
    return ready === null || r.at.t < ready ? 'dependency' : 'other';
  }

  summary(): RestartsSummary {
    const lowerHealthyAt = this.o.lowerWavesHealthyAt?.();
    const byApp = new Map<string, RestartsSummary['byApp'][number]>();
    for (const r of this.records) {
      r.wave ??= r.app ? this.o.waveOf?.(r.app) : undefined;
      r.classification = this.classify(r, lowerHealthyAt);
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
      s[r.classification]++;
      if (r.reason === 'OOMKilled') s.oomKilled++;
      byApp.set(key, s);
    }
    return {
      restarts: this.records.length,
      crashLoopBackOff: this.crashLoops,
      oomKilled: this.records.filter((r) => r.reason === 'OOMKilled').length,
      byApp: [...byApp.values()].sort((a, b) => b.restarts - a.restarts),
      neverReady: [...this.seen.keys()].filter(
        (k) =>
          !this.everReady.has(k) && this.watch?.get(k.split('/')[0], k.split('/')[1]!)?.status?.phase !== 'Succeeded',
      ),
      records: this.records,
    };
  }

  coverage(): CollectorCoverage {
    const gaps = this.watch?.gaps ?? [];
    return {
      complete: gaps.length === 0,
      gaps,
      notes: gaps.map(
        (g) =>
          `pod watch gap ${new Date(g.from).toISOString()} → ${g.to ? new Date(g.to).toISOString() : 'end'}: restarts in it are counted from restartCount deltas, timed by lastState.terminated`,
      ),
    };
  }
}
