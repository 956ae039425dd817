import { ResilientWatch, type Gap } from '../cluster/watch.ts';
import type { PodGroupSummary, PodLatencyRecord, PodPhase, PodsSummary } from '../record/summaries.ts';
import { OwnerApps } from './owner-apps.ts';
import { podProjection, pulledEventProjection, type PodView, type PulledEventView } from './projections.ts';
import { PodsReducer } from './pods-reducer.ts';
import type { CollectorContext, CollectorCoverage, CollectorPoint, CollectorType } from './types.ts';
import { gapWindow, WatchCollector, type WatchInput, type Watched } from './watch-collector.ts';
import { WavesCollector } from './waves.ts';

const FIELD: Record<PodPhase, string> = {
  scheduled: 'scheduled_ms',
  initialized: 'initialized_ms',
  pulled: 'pulled_ms',
  started: 'started_ms',
  containersReady: 'containers_ready_ms',
  ready: 'ready_ms',
};

/** The rb_pod_latency point of one pod, at its creation. */
export function podLatencyPoint(r: PodLatencyRecord): CollectorPoint {
  const fields: Record<string, number | boolean> = { restarts: r.restarts, crash_loop_ms: r.crashLoopMs };
  for (const [phase, ms] of Object.entries(r.phases) as Array<[PodPhase, number]>) fields[FIELD[phase]] = ms;
  if (r.pullMs !== null) fields.pull_ms = r.pullMs;
  return {
    measurement: 'rb_pod_latency',
    tags: {
      namespace: r.namespace,
      pod: r.pod,
      app: r.app ?? '',
      wave: r.wave === undefined ? '' : String(r.wave),
      timed_by: r.timedBy,
    },
    fields,
    time: r.created.t,
  };
}

/** rb_pod_quantiles points of one group (an app or a wave): one per phase it reached, plus pull and start-up. */
export function podQuantilePoints(g: PodGroupSummary, group: 'app' | 'wave', at: number): CollectorPoint[] {
  const rows = [
    ...Object.entries(g.phases).map(([phase, s]) => [phase, s] as const),
    ['pull', g.pullMs] as const,
    ['startup', g.startupMs] as const,
  ];
  return rows.flatMap(([phase, s]) =>
    s
      ? [
          {
            measurement: 'rb_pod_quantiles',
            tags: { group, key: g.key, phase },
            fields: { pods: s.pods, p50_ms: s.p50, p90_ms: s.p90, p99_ms: s.p99, max_ms: s.max },
            time: at,
          },
        ]
      : [],
  );
}

/**
 * Pod start-up latency (pods-reducer.ts) from a watch of every pod and one of the kubelet's `Pulled`
 * events; each pod attributed to its Application (tracking label or annotation, else through its
 * ReplicaSet and Deployment) and that app's wave.
 */
export class PodsCollector extends WatchCollector<PodView, PodsReducer, PodsSummary> {
  readonly name = 'pods';
  private owners!: OwnerApps;
  private pulls: ResilientWatch<PulledEventView> | undefined;
  private stoppedAt: number | undefined;
  private final: PodsSummary | undefined;

  constructor(private readonly waves?: Pick<WavesCollector, 'waveOf'>) {
    super();
  }

  protected watched(): Watched<PodView> {
    return { path: '/api/v1/pods', project: podProjection };
  }

  protected createReducer(ctx: CollectorContext): PodsReducer {
    const owners = (this.owners = new OwnerApps(ctx.kc));
    const waves = this.waves;
    return new PodsReducer({ ownerApp: (rs) => owners.get(rs), waveOf: waves && ((app) => waves.waveOf(app)) });
  }

  protected override async beforeWatch(): Promise<void> {
    this.pulls = new ResilientWatch(this.ctx.kc, {
      path: '/api/v1/events',
      fieldSelector: 'reason=Pulled',
      project: pulledEventProjection,
      log: this.ctx.log,
    });
    this.pulls.on((e) => this.reducer.pulled(e));
    await this.pulls.start();
  }

  protected override async observe(e: WatchInput<PodView>): Promise<void> {
    const rs = this.reducer.needsOwner(e);
    if (rs && !this.owners.has(rs)) await this.owners.resolve(rs);
    await super.observe(e);
  }

  protected override async afterWatch(): Promise<void> {
    await this.pulls?.stop();
    this.stoppedAt = Date.now();
    const s = this.summary();
    for (const r of s.records) this.ctx.emit(podLatencyPoint(r));
    for (const g of s.byApp) for (const p of podQuantilePoints(g, 'app', this.stoppedAt)) this.ctx.emit(p);
    for (const g of s.byWave) for (const p of podQuantilePoints(g, 'wave', this.stoppedAt)) this.ctx.emit(p);
  }

  summary(): PodsSummary {
    // Computed once when stopped (it sorts and groups every pod); live while running.
    if (this.stoppedAt === undefined) return this.reducer.summary(Date.now());
    this.final ??= this.reducer.summary(this.stoppedAt);
    return this.final;
  }

  override coverage(): CollectorCoverage {
    const pods = super.coverage();
    const pullGaps = this.pulls?.gaps ?? [];
    const notes = [...pods.notes, ...pullGaps.map((g) => `Pulled event watch gap ${gapWindow(g)}: pulls in it missed`)];
    const seenReady = this.reducer?.seenReadyCount() ?? 0;
    if (seenReady) notes.push(`${seenReady} pod(s) first seen already Ready: timed from object timestamps (1 s)`);
    // A missed Pulled event leaves a pull untimed, not a pod: the pod watch alone decides completeness.
    return { complete: pods.complete, gaps: [...pods.gaps, ...pullGaps], notes };
  }

  protected gapNotes(gaps: readonly Gap[]): string[] {
    return gaps.map((g) => `pod watch gap ${gapWindow(g)}: pods created in it are timed from object timestamps`);
  }
}

export const podsCollector: CollectorType = {
  name: 'pods',
  needs: ['waves'],
  create: (needed) => {
    const waves = needed.get('waves');
    return new PodsCollector(waves instanceof WavesCollector ? waves : undefined);
  },
};
