import { describe, expect, it } from 'vitest';
import { goDurationMs, PodsReducer, pulledMs } from '../../collectors/pods-reducer.ts';
import { podLatencyPoint, podQuantilePoints } from '../../collectors/pods.ts';
import { podProjection, pulledEventProjection } from '../../collectors/projections.ts';
import type { PodsSummary } from '../../record/summaries.ts';
import { schemaProblems } from '../../record/point-schema.ts';
import { goDuration } from '../../sandbox/twin/kubelet.ts';
import { loadCases, ms, watchInput } from '../fixtures/collectors/cases.ts';

interface PodsOptions {
  /** ReplicaSet (`namespace/name`) → Application, as the collector's owner lookups filled it. */
  ownerApps?: Record<string, string>;
  /** Application → wave, as the waves collector knows it. */
  waves?: Record<string, number>;
  /** When the collector stopped. */
  endAt: string;
}

const cases = loadCases<PodsOptions, Partial<PodsSummary>>('pods');

describe('pods reducer on recorded pod and Pulled events (test/fixtures/collectors/pods)', () => {
  it('has its cases', () => expect(cases.length).toBeGreaterThanOrEqual(3));

  it.each(cases)('%s', (_file, c) => {
    const o = c.options!;
    const reducer = new PodsReducer({ ownerApp: (rs) => o.ownerApps?.[rs], waveOf: (app) => o.waves?.[app] });
    for (const recorded of c.events) {
      if (recorded.type !== 'LISTED' && recorded.object.kind === 'Event')
        reducer.pulled(watchInput(recorded, pulledEventProjection));
      else expect(reducer.step(watchInput(recorded, podProjection))).toEqual([]);
    }
    const s = reducer.summary(ms(o.endAt));
    expect(s).toMatchObject(c.expected);
    // Phases exactly: a phase the pod never reached must be absent.
    for (const [i, r] of (c.expected.records ?? []).entries())
      if (r.phases) expect(s.records[i]!.phases, r.pod).toEqual(r.phases);
    // Every point it gives conforms to the schema.
    const points = [
      ...s.records.map(podLatencyPoint),
      ...s.byApp.flatMap((g) => podQuantilePoints(g, 'app', 0)),
      ...s.byWave.flatMap((g) => podQuantilePoints(g, 'wave', 0)),
    ];
    expect(points.length).toBeGreaterThan(s.records.length);
    for (const p of points) expect(schemaProblems(p), JSON.stringify(p)).toEqual([]);
  });
});

describe("the kubelet's Pulled message", () => {
  it.each([
    ['Successfully pulled image "nginx:1.27" in 1.234s (3.5s including waiting). Image size: 72 bytes.', 3500],
    [
      'Successfully pulled image "ghcr.io/x/y@sha256:abc" in 812.5ms (812.5ms including waiting). Image size: 1 bytes.',
      812.5,
    ],
    ['Successfully pulled image "quay.io/cilium/cilium:v1.16.5" in 1m2.5s', 62_500],
    ['Container image "registry.k8s.io/pause:3.10" already present on machine', 0],
    ['Container image "busybox" already present on machine and can be accessed by the pod', 0],
    ['Pulling image "nginx"', undefined],
    [undefined, undefined],
  ])('%s → %s ms', (msg, want) => expect(pulledMs(msg)).toBe(want));

  it('reads back the durations the twin writes in Go format', () => {
    for (const v of [0.25, 812.5, 1000, 2250.125, 59_999, 60_000, 63_500.5, 3_725_000]) {
      expect(goDurationMs(goDuration(v))).toBeCloseTo(v, 3);
    }
    expect(goDuration(63_500)).toBe('1m3.5s');
    expect(goDurationMs('nonsense')).toBeUndefined();
  });
});
