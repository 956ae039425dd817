import { max as ssMax, quantileSorted } from 'simple-statistics';
import type { LatencyStats } from '../record/summaries.ts';

/** p50, p90, p99 and max of ascending values, to 0.01 (null without values). */
export function latencyStats(sorted: readonly number[]): LatencyStats | null {
  if (!sorted.length) return null;
  const r = (x: number) => Math.round(x * 100) / 100;
  const s = sorted as number[];
  return {
    p50: r(quantileSorted(s, 0.5)),
    p90: r(quantileSorted(s, 0.9)),
    p99: r(quantileSorted(s, 0.99)),
    max: r(ssMax(s)),
  };
}
