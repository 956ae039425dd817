import type { Gap } from '../cluster/watch.ts';
import type { RestartRecord, RestartsSummary } from '../record/summaries.ts';
import { OwnerApps } from './owner-apps.ts';
import { podProjection, type PodView } from './projections.ts';
import { ownerToResolve, RestartsReducer } from './restarts-reducer.ts';
import type { CollectorContext, CollectorPoint, CollectorType } from './types.ts';
import { gapWindow, WatchCollector, type WatchInput, type Watched } from './watch-collector.ts';
import { WavesCollector } from './waves.ts';

/** The rb_restart point of a classified restart. */
export function restartPoint(r: RestartRecord): CollectorPoint {
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

/** What restarts reads of the waves collector: each app's wave, and the wave rows to classify against. */
export type WaveTimeline = Pick<WavesCollector, 'waveOf' | 'summary'>;

/**
 * Every container restart, CrashLoopBackOff entry and OOMKill (restarts-reducer.ts), attributed to
 * its Application (tracking label or annotation, through the owning ReplicaSet/Deployment when the
 * pod lacks it: read here, before the event is reduced), its wave and the fault active at the time.
 */
export class RestartsCollector extends WatchCollector<PodView, RestartsReducer, RestartsSummary> {
  readonly name = 'restarts';
  private owners!: OwnerApps;

  constructor(private readonly waves?: WaveTimeline) {
    super();
  }

  protected watched(): Watched<PodView> {
    return { path: '/api/v1/pods', project: podProjection };
  }

  protected createReducer(ctx: CollectorContext): RestartsReducer {
    const owners = (this.owners = new OwnerApps(ctx.kc));
    const waves = this.waves;
    return new RestartsReducer({
      ownerApp: (rs) => owners.get(rs),
      waveOf: waves && ((app) => waves.waveOf(app)),
      activeFault: (t) => ctx.activeFault(t),
    });
  }

  protected override async observe(e: WatchInput<PodView>): Promise<void> {
    if (e.type !== 'LISTED') {
      const rs = ownerToResolve(e.object);
      if (rs && !this.owners.has(rs) && this.reducer.restartsIn(e)) await this.owners.resolve(rs);
    }
    await super.observe(e);
  }

  /** Restart points are emitted at the end, once each restart can be classified. */
  protected override async afterWatch(): Promise<void> {
    for (const r of this.summary().records) this.ctx.emit(restartPoint(r));
  }

  summary(): RestartsSummary {
    return this.reducer.summary(this.waves?.summary().waves);
  }

  protected gapNotes(gaps: readonly Gap[]): string[] {
    const how = 'restarts in it are counted from restartCount deltas, timed by lastState.terminated';
    return gaps.map((g) => `pod watch gap ${gapWindow(g)}: ${how}`);
  }
}

export const restartsCollector: CollectorType = {
  name: 'restarts',
  needs: ['waves'],
  create: (needed) => {
    const waves = needed.get('waves');
    return new RestartsCollector(waves instanceof WavesCollector ? waves : undefined);
  },
};
