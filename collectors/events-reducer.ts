import type { EventsSummary } from '../record/summaries.ts';
import type { EventView } from './projections.ts';
import type { CollectorPoint } from './types.ts';
import type { WatchInput, WatchReducer } from './watch-collector.ts';

export interface EventsInputs {
  /** When the collector started: events last seen more than a second before are history, not this run. */
  startedAt: number;
}

/**
 * Warning events and every event about an Argo CD Application, deduplicated: an Event object seen
 * again with a higher count is that many more occurrences, not a new event; seen again with the
 * same count (a relist replaying it), nothing.
 */
export class EventsReducer implements WatchReducer<EventView> {
  private readonly counts = new Map<string, number>();
  private readonly byReason: Record<string, number> = {};
  private warnings = 0;
  private appEvents = 0;

  constructor(private readonly o: EventsInputs) {}

  step(e: WatchInput<EventView>): CollectorPoint[] {
    if (e.type === 'LISTED' || e.type === 'DELETED') return [];
    const ev = e.object;
    const kind = ev.involvedObject?.kind ?? '';
    const isApp = kind === 'Application';
    if (ev.type !== 'Warning' && !isApp) return [];
    const last = Date.parse(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata?.creationTimestamp ?? '');
    if (Number.isFinite(last) && last < this.o.startedAt - 1000) return [];
    const key = `${ev.metadata?.namespace}/${ev.metadata?.name}`;
    const count = ev.count ?? ev.series?.count ?? 1;
    const prev = this.counts.get(key) ?? 0;
    if (count <= prev) return [];
    this.counts.set(key, count);
    const added = count - prev;
    const reason = ev.reason ?? '';
    this.byReason[reason] = (this.byReason[reason] ?? 0) + added;
    if (ev.type === 'Warning') this.warnings += added;
    if (isApp) this.appEvents += added;
    return [
      {
        measurement: 'rb_event',
        tags: {
          namespace: ev.involvedObject?.namespace ?? ev.metadata?.namespace ?? '',
          kind,
          name: ev.involvedObject?.name ?? '',
          reason,
          type: ev.type ?? '',
        },
        fields: { message: (ev.message ?? '').slice(0, 500), count },
        time: e.live ? e.arrivedAt : Number.isFinite(last) ? last : e.arrivedAt,
      },
    ];
  }

  summary(): EventsSummary {
    return { warnings: this.warnings, applicationEvents: this.appEvents, byReason: this.byReason };
  }
}
