import { describe, expect, it } from 'vitest';
import { applicationProjection } from '../../collectors/projections.ts';
import type { CollectorPoint } from '../../collectors/types.ts';
import { WavesReducer } from '../../collectors/waves-reducer.ts';
import { WAVE_ANNOTATION } from '../../gitops/argocd.ts';
import type { WavesSummary } from '../../record/summaries.ts';
import { loadCases, ms, watchInput } from '../fixtures/collectors/cases.ts';

interface WavesOptions {
  /** When the collector started (rb_app offsets). */
  startedAt: string;
  rootApp?: string;
  /** What the collector read of argocd-cm (default: unknown). */
  healthCheck?: boolean | null;
}

const cases = loadCases<WavesOptions, Partial<WavesSummary>>('waves');

describe('waves reducer on recorded Application events (test/fixtures/collectors/waves)', () => {
  it('has its cases', () => expect(cases.length).toBeGreaterThanOrEqual(7));

  it.each(cases)('%s', (_file, c) => {
    const o = c.options!;
    const reducer = new WavesReducer({
      waveAnnotation: WAVE_ANNOTATION,
      startedAt: ms(o.startedAt),
      rootApp: o.rootApp,
    });
    const project = applicationProjection(WAVE_ANNOTATION);
    const points: CollectorPoint[] = c.events.flatMap((e) => reducer.step(watchInput(e, project)));
    expect(points.every((p) => p.measurement === 'rb_app')).toBe(true);
    if (c.points) expect(points).toMatchObject(c.points);
    expect(Object.keys(c.expected).length).toBeGreaterThan(0);
    expect(reducer.summary({ healthCheck: o.healthCheck ?? null })).toMatchObject(c.expected);
  });
});
