import type { Stamped } from '../record/summaries.ts';

/**
 * Which time to trust for a transition. Object timestamps (lastTransitionTime, startedAt, …) have
 * one-second precision; a live watch event's arrival time has milliseconds. While the watch is
 * live and the arrival agrees with the object's second, the arrival wins; after a gap (relist) or
 * when the event arrived late, the object timestamp is used. Each figure records its source.
 */

/** Arrival within this window after the object's (truncated) second counts as live. */
export const LIVE_TOLERANCE_MS = 2000;

export function parseTs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

export function stamp(arrivedAt: number, live: boolean, objectTs: number | undefined): Stamped {
  if (objectTs === undefined) return { t: arrivedAt, source: live ? 'watch' : 'relist' };
  if (!live) return { t: objectTs, source: 'object' };
  const lag = arrivedAt - objectTs;
  // The object's second is truncated, so a live arrival lies in [ts, ts + 1 s + delivery latency).
  if (lag >= -500 && lag <= LIVE_TOLERANCE_MS) return { t: arrivedAt, source: 'watch' };
  return { t: objectTs, source: 'object' };
}
