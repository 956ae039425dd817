import { describe, expect, it } from 'vitest';
import { podProjection } from '../../collectors/projections.ts';
import { RestartsReducer } from '../../collectors/restarts-reducer.ts';
import type { RestartsSummary } from '../../record/summaries.ts';
import { loadCases, ms, watchInput } from '../fixtures/collectors/cases.ts';

interface RestartsOptions {
  /** ReplicaSet (`namespace/name`) → Application, as the collector's owner lookups filled it. */
  ownerApps?: Record<string, string>;
  /** Application → wave, as the waves collector knows it. */
  waves?: Record<string, number>;
  faults?: Array<{ title: string; from: string; to: string }>;
  /** The waves collector's rows at the end (end: when the wave was Healthy, null: never). */
  waveRows?: Array<{ wave: number; end: string | null }>;
}

const cases = loadCases<RestartsOptions, Partial<RestartsSummary>>('restarts');

describe('restarts reducer on recorded pod events (test/fixtures/collectors/restarts)', () => {
  it('has its cases', () => expect(cases.length).toBeGreaterThanOrEqual(8));

  it.each(cases)('%s', (_file, c) => {
    const o = c.options ?? {};
    const reducer = new RestartsReducer({
      ownerApp: (rs) => o.ownerApps?.[rs],
      waveOf: (app) => o.waves?.[app],
      activeFault: (t) => o.faults?.find((f) => ms(f.from) <= t && t <= ms(f.to))?.title,
    });
    let counted = 0;
    for (const recorded of c.events) {
      const e = watchInput(recorded, podProjection);
      const announced = reducer.restartsIn(e);
      expect(reducer.step(e)).toEqual([]);
      const now = reducer.summary().restarts;
      // The collector resolves a pod's owner only when restartsIn says the event brings a restart.
      expect(announced, `restartsIn at ${JSON.stringify(recorded).slice(0, 80)}`).toBe(now > counted);
      counted = now;
    }
    const rows = o.waveRows?.map((w) => ({ wave: w.wave, end: w.end === null ? null : ms(w.end) }));
    expect(Object.keys(c.expected).length).toBeGreaterThan(0);
    expect(reducer.summary(rows)).toMatchObject(c.expected);
  });
});
