import { describe, expect, it } from 'vitest';
import { EventsReducer } from '../../collectors/events-reducer.ts';
import { eventProjection } from '../../collectors/projections.ts';
import type { CollectorPoint } from '../../collectors/types.ts';
import type { EventsSummary } from '../../record/summaries.ts';
import { loadCases, ms, watchInput } from '../fixtures/collectors/cases.ts';

interface EventsOptions {
  /** When the collector started: events last seen more than a second before are history. */
  startedAt: string;
}

const cases = loadCases<EventsOptions, Partial<EventsSummary>>('events');

describe('events reducer on recorded Event objects (test/fixtures/collectors/events)', () => {
  it('has its cases', () => expect(cases.length).toBeGreaterThanOrEqual(4));

  it.each(cases)('%s', (_file, c) => {
    const reducer = new EventsReducer({ startedAt: ms(c.options!.startedAt) });
    const points: CollectorPoint[] = c.events.flatMap((e) => reducer.step(watchInput(e, eventProjection)));
    if (c.points) expect(points).toMatchObject(c.points);
    expect(Object.keys(c.expected).length).toBeGreaterThan(0);
    expect(reducer.summary()).toEqual(expect.objectContaining(c.expected));
  });
});
