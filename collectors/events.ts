import type { Gap } from '../cluster/watch.ts';
import type { EventsSummary } from '../record/summaries.ts';
import { EventsReducer } from './events-reducer.ts';
import { eventProjection, type EventView } from './projections.ts';
import type { CollectorType } from './types.ts';
import { WatchCollector, type Watched } from './watch-collector.ts';

/** Warning events from every namespace and every event about an Argo CD Application (events-reducer.ts). */
export class EventsCollector extends WatchCollector<EventView, EventsReducer, EventsSummary> {
  readonly name = 'events';

  protected watched(): Watched<EventView> {
    return { path: '/api/v1/events', project: eventProjection };
  }

  protected createReducer(): EventsReducer {
    return new EventsReducer({ startedAt: Date.now() });
  }

  summary(): EventsSummary {
    return this.reducer.summary();
  }

  protected gapNotes(gaps: readonly Gap[]): string[] {
    return gaps.length ? ['events may be missing during watch gaps (events also expire after 1 h)'] : [];
  }
}

export const eventsCollector: CollectorType = { name: 'events', needs: [], create: () => new EventsCollector() };
