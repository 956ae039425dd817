import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelApp, testPace } from '../fixtures/model-apps.ts';
import { predictRebuild } from '../../gitops/rebuild-model.ts';
import { calibrationOf } from '../../record/calibration.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { errorPct, measuredTimes, paceOf, predictionView } from '../../reports/prediction.ts';

const demo = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures/runs/demo-rebuild-pods/run.json'), 'utf8'),
) as RunRecord;
const pace = testPace;
const app = modelApp;

describe('prediction', () => {
  it('errorPct is signed, of the measured, and n/a without both', () => {
    expect(errorPct(110, 100)).toBe(10);
    expect(errorPct(95, 100)).toBe(-5);
    expect(errorPct(null, 100)).toBeNull();
    expect(errorPct(100, 0)).toBeNull();
  });

  it('a stored rebuild splits into its bootstrap and its waves, which add up to its total', () => {
    const m = measuredTimes(demo);
    expect(m.bootstrapMs).toBeGreaterThan(10_000);
    expect(m.wavesMs).toBeGreaterThan(60_000);
    expect(Math.abs(m.bootstrapMs! + m.wavesMs! - m.totalMs!)).toBeLessThan(2000);
  });

  it('the predicted path runs through the database that held its consumer; the calibration run gives the bootstrap', () => {
    const apps = [app('db', 0, { startupMs: 30_000 }), app('web', 1, { needs: ['db'] }), app('static', 1)];
    const prediction = predictRebuild({ apps, wavesGate: false, pace, backoffScale: 1 });
    const calibration = calibrationOf(demo);
    const v = predictionView({
      prediction,
      calibration,
      timeScale: 1,
      wavesGate: false,
      needs: new Map(apps.map((a) => [a.name, a.needs])),
      neverHealthy: new Map(),
      measured: demo,
    });
    expect(v.predicted.wavesMs).toBe(prediction.endMs);
    expect(v.predicted.totalMs).toBe(calibration.pace.bootstrapMs! + prediction.endMs!);
    expect(v.path?.links.map((l) => l.app)).toEqual(['db', 'web']);
    expect(v.path?.links[1]).toMatchObject({ kind: 'after-dependency', waitedFor: 'db' });
    expect(v.path!.links[0]!.parts.startup).toBe(30_000);
    expect(v.crashLoops).toEqual([{ app: 'web', restarts: 2, waitedFor: ['db'], forever: false }]);
    expect(v.measured).toMatchObject({
      run: demo.id,
      totalMs: demo.summary.rebuild && (demo.summary.rebuild as { totalMs: number }).totalMs,
    });
    expect(v.measured!.errorPct).toBe(errorPct(v.predicted.totalMs, v.measured!.totalMs));
    // Argo CD held traefik in that run: its waves without the hold are given too, with the error against them.
    const holds = v.measured!.withoutHolds!;
    expect(holds.waits.map((w) => w.app)).toEqual(['traefik']);
    expect(holds.wavesMs).toBeLessThan(v.measured!.wavesMs! - 30_000);
    expect(holds.wavesErrorPct).toBe(errorPct(v.predicted.wavesMs, holds.wavesMs));
  });

  it('apps never Healthy are named with why, and the rebuild has no end', () => {
    const apps = [
      app('web', 0, { needs: ['db'] }),
      app('db', 1),
      app('broken', 0, { neverHealthy: 'its manifests do not render: x' }),
    ];
    const v = predictionView({
      prediction: predictRebuild({ apps, wavesGate: true, pace, backoffScale: 1 }),
      calibration: calibrationOf(demo),
      timeScale: 1,
      wavesGate: true,
      needs: new Map(apps.map((a) => [a.name, a.needs])),
      neverHealthy: new Map([['broken', 'its manifests do not render: x']]),
    });
    expect(v.predicted).toMatchObject({ wavesMs: null, totalMs: null });
    expect(v.path).toBeNull();
    expect(Object.fromEntries(v.stuck.map((s) => [s.app, s.why]))).toEqual({
      broken: 'its manifests do not render: x',
      db: 'its wave is never created (a lower wave is never Healthy and waves gate)',
      web: 'waits for db, never Ready',
    });
  });

  it("the steps between waves carry the sandbox's wave delay, which scales: the run's is taken out, the predicted scale's put in", () => {
    const c = calibrationOf({ ...demo, options: { ...demo.options, timeScale: 0.25 } });
    const step = c.pace.waveStepMs!;
    // At 0.25 the delay was 1 s (round(2 × 0.25)); at 1 it is 2 s.
    expect(paceOf(c, 0.25).waveStepMs).toBe(step);
    expect(paceOf(c, 1).waveStepMs).toBe(step + 1000);
    expect(paceOf(c, 1).gateStepMs).toBeGreaterThanOrEqual(paceOf(c, 1).waveStepMs);
  });
});
