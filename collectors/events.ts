import { ResilientWatch, type KubeObject, type WatchEvent } from '../cluster/watch.ts';
import type { EventsSummary } from '../record/summaries.ts';
import { eventProjection } from './projections.ts';
import type { Collector, CollectorContext, CollectorCoverage } from './types.ts';

/**
 * Warning events from every namespace and every event about an Argo CD Application, deduplicated:
 * an Event object seen again with a higher count is one more occurrence, not a new event.
 */
export class EventsCollector implements Collector<EventsSummary> {
  readonly name = 'events';
  private watch!: ResilientWatch<KubeObject>;
  private ctx!: CollectorContext;
  private readonly counts = new Map<string, number>();
  private readonly byReason: Record<string, number> = {};
  private warnings = 0;
  private appEvents = 0;
  private startedAt = 0;

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    this.startedAt = Date.now();
    this.watch = new ResilientWatch(ctx.kc, { path: '/api/v1/events', log: ctx.log, project: eventProjection });
    this.watch.on((e) => this.onEvent(e));
    await this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }

  private onEvent(e: WatchEvent<KubeObject>): void {
    if (e.type === 'DELETED') return;
    const ev = e.object;
    const kind = ev.involvedObject?.kind ?? '';
    const isApp = kind === 'Application';
    if (ev.type !== 'Warning' && !isApp) return;
    const last = Date.parse(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata?.creationTimestamp ?? '');
    if (Number.isFinite(last) && last < this.startedAt - 1000) return; // history from before the run
    const key = `${ev.metadata?.namespace}/${ev.metadata?.name}`;
    const count = Number(ev.count ?? ev.series?.count ?? 1);
    const prev = this.counts.get(key) ?? 0;
    if (count <= prev) return;
    this.counts.set(key, count);
    const added = count - prev;
    const reason: string = ev.reason ?? '';
    this.byReason[reason] = (this.byReason[reason] ?? 0) + added;
    if (ev.type === 'Warning') this.warnings += added;
    if (isApp) this.appEvents += added;
    this.ctx.emit({
      measurement: 'rb_event',
      tags: {
        namespace: ev.involvedObject?.namespace ?? ev.metadata?.namespace ?? '',
        kind,
        name: ev.involvedObject?.name ?? '',
        reason,
        type: ev.type ?? '',
      },
      fields: { message: String(ev.message ?? '').slice(0, 500), count },
      time: e.live ? e.arrivedAt : Number.isFinite(last) ? last : e.arrivedAt,
    });
  }

  summary(): EventsSummary {
    return { warnings: this.warnings, applicationEvents: this.appEvents, byReason: this.byReason };
  }

  coverage(): CollectorCoverage {
    const gaps = this.watch?.gaps ?? [];
    return {
      complete: gaps.length === 0,
      gaps,
      notes: gaps.length ? ['events may be missing during watch gaps (events also expire after 1 h)'] : [],
    };
  }
}
