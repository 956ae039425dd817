/**
 * A suite's own figures (ctx.summary) as rb_figure points: flattened from the summaries of the
 * recorded chaos runs, with units from the keys' names, in the schema of record/point-schema.ts,
 * and written by the engine when a suite publishes them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figurePoints, figureUnit, summaryFigures, type FigurePoint } from '../../record/figure-points.ts';
import { parseLine, toLine } from '../../record/line-protocol.ts';
import { COMMON_TAGS, schemaProblems } from '../../record/point-schema.ts';
import type { Point, PointSink } from '../../record/point.ts';
import { parseRunRecord } from '../../record/run-json.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { runFeatures } from '../../reports/run-features.ts';
import { LiveRun, type LiveRunInit } from '../../engine/live-run.ts';
import { silentLogger } from '../../core/logger.ts';

const runsDir = join(import.meta.dirname, '..', 'fixtures', 'runs');
const read = (name: string): RunRecord => {
  const file = join(runsDir, name, 'run.json');
  return parseRunRecord(readFileSync(file, 'utf8'), file);
};
const chaosRuns = readdirSync(runsDir).filter((d) => d.startsWith('chaos-'));

/** Every rb_figure point of a stored run's summary, as the engine writes them key by key. */
const pointsOf = (r: RunRecord): FigurePoint[] =>
  Object.entries(r.summary).flatMap(([key, value]) => figurePoints(key, value));
/** figure → [unit, value]. */
const byFigure = (points: FigurePoint[]) =>
  Object.fromEntries(points.map((p) => [p.tags.figure, [p.tags.unit, p.fields.value] as const]));

describe('rb_figure points from the recorded chaos runs', () => {
  it('has chaos fixtures to read', () => {
    expect(chaosRuns.length).toBeGreaterThanOrEqual(5);
  });

  it('admission-paralysis: rejection rate as a share, latencies in ms, k6 rates per second, counts; strings, booleans and nulls skipped', () => {
    const fail = byFigure(pointsOf(read('chaos-admission-paralysis-fail')));
    expect(fail['paralysis.admission.rejectionRate']).toEqual(['share', 0.6]);
    expect(fail['paralysis.admission.rejected']).toEqual(['count', 45]);
    expect(fail['paralysis.admission.latencyMs.p99']).toEqual(['ms', 20020]);
    expect(fail['paralysis.breaker.appliedAfterMs']).toEqual(['ms', 45150]);
    expect(fail['paralysis.critical.tools/linkwarden.readyAfterMs']).toEqual(['ms', 75663]);
    expect(fail['paralysis.admission.reasons.webhook-timeout:mutate.kyverno.svc-fail']).toEqual(['count', 45]);
    expect(fail['k6.requestRate']).toEqual(['per_s', 0.2725290263642518]);
    expect(fail['k6.rejectedRate']).toEqual(['share', 1]);
    for (const skipped of [
      'paralysis.node', // string
      'paralysis.failurePolicy',
      'paralysis.breaker.mode',
      'k6.summaryFile',
      'paralysis.critical.tools/linkwarden.beforeBreaker', // boolean
      'k6.thresholdsOk',
      'k6.latencyMs', // null (k6 saw no admitted request)
      'k6.exitCode', // k6's exit code is not a figure
    ])
      expect(fail, skipped).not.toHaveProperty([skipped]);
    expect(Object.keys(fail).filter((f) => f.startsWith('k6.thresholds'))).toEqual([]);
    // The collectors' summaries and notes are not the suite's figures.
    expect(Object.keys(fail).filter((f) => /^(collectors|admissionNotes|wavesNotes)\b/.test(f))).toEqual([]);

    const ignore = byFigure(pointsOf(read('chaos-admission-paralysis')));
    expect(ignore['paralysis.admission.rejectionRate']).toEqual(['share', 0]);
    expect(ignore['k6.latencyMs.p99']).toEqual(['ms', 20017.37241454]);
    expect(ignore).not.toHaveProperty(['k6.exitCode']);
    expect(Object.keys(ignore)).toHaveLength(24);
  });

  it('cpu-saturation: the echoed durationSeconds is a setting, not a figure; a list of node names and null durations are skipped', () => {
    const f = byFigure(pointsOf(read('chaos-cpu-saturation')));
    expect(Object.keys(f).some((k) => k.endsWith('Seconds'))).toBe(false);
    expect(f).not.toHaveProperty(['cpuSaturation.nodes']);
    expect(f).not.toHaveProperty(['cpuSaturation.startupSaturatedMs']);
    expect(f['cpuSaturation.admissionDuring.rejectionRate']).toEqual(['share', 1]);
    expect(f['cpuSaturation.admissionFastMs']).toEqual(['ms', 5791]);
    expect(f['cpuSaturation.cpuBelowSaturationMs']).toEqual(['ms', 9]);
    expect(Object.keys(f)).toHaveLength(12);
  });

  it('kyverno-kill: one point per numeric leaf of each key it published (outage, recovery)', () => {
    const f = byFigure(pointsOf(read('chaos-kyverno-kill')));
    expect(f['outage.rejectionRate']).toEqual(['share', 0.5]);
    expect(f['outage.breaker.appliedAfterMs']).toEqual(['ms', 8076]);
    expect(f['recovery.kyvernoBackMs']).toEqual(['ms', 4244]);
    expect(Object.keys(f)).toHaveLength(13);
  });

  it('postgres-delay: its list of consumers is read by app name, one figure per number of each', () => {
    const r = read('chaos-postgres-delay');
    const f = byFigure(pointsOf(r));
    expect(f['postgresDelay.postgresReadyAfterRestoreMs']).toEqual(['ms', 2034]);
    expect(f['postgresDelay.consumers.authentik.restarts']).toEqual(['count', 9]);
    expect(f['postgresDelay.consumers.authentik.healthyAfterPostgresMs']).toEqual(['ms', 13741]);
    expect(f).not.toHaveProperty(['postgresDelay.consumers.authentik.worstHealth']);
    expect(f).not.toHaveProperty(['postgresDelay.durationSeconds']);
    const consumers = (r.summary.postgresDelay as { consumers: unknown[] }).consumers.length;
    expect(consumers).toBe(18);
    expect(Object.keys(f)).toHaveLength(1 + consumers * 4);
  });

  it('the recorded demo rebuild writes none: its summary is rb_rebuild and rb_phase already', () => {
    expect(pointsOf(read('demo-rebuild'))).toEqual([]);
  });

  it.each(chaosRuns)('%s: every point is in the schema, with the common tags, and survives line protocol', (name) => {
    const r = read(name);
    const points = pointsOf(r);
    expect(points.length).toBeGreaterThan(5);
    const time = Date.parse(r.endedAt!);
    for (const p of points) {
      const full: Point = {
        ...p,
        tags: { ...p.tags, run: r.id, suite: r.suite.name, cluster: r.cluster.name },
        time,
      };
      expect(schemaProblems(full), p.tags.figure).toEqual([]);
      expect(parseLine(toLine(full))).toEqual(full);
    }
    // One point per figure: the figure tag tells the series apart.
    expect(new Set(points.map((p) => p.tags.figure)).size).toBe(points.length);
  });

  it.each(chaosRuns)(
    '%s: the same figures, values and units compare reads (compare keeps per-second rates as counts)',
    (name) => {
      const r = read(name);
      const points = byFigure(pointsOf(r));
      const compared = Object.entries(runFeatures(r).figures).filter(
        ([k, f]) => f.value !== null && k !== 'steadyStateAfterRevertMs',
      );
      expect(compared.length).toBeGreaterThan(0);
      for (const [k, f] of compared) {
        expect(points[k], k).toBeDefined();
        const [unit, value] = points[k]!;
        expect([unit === 'per_s' ? 'count' : unit, value], k).toEqual([f.unit, f.value]);
      }
      // What the points have beyond compare: the per-name figures of lists of records only.
      const extra = Object.keys(points).filter((k) => !compared.some(([c]) => c === k));
      for (const k of extra) expect(k, k).toMatch(/^postgresDelay\.consumers\./);
    },
  );

  it('the example line of docs/metrics.md is what the recorded admission-paralysis (Fail) run gives', () => {
    const r = read('chaos-admission-paralysis-fail');
    const p = pointsOf(r).find((x) => x.tags.figure === 'paralysis.admission.rejectionRate')!;
    const line = toLine({
      ...p,
      tags: { ...p.tags, run: r.id, suite: r.suite.name, cluster: r.cluster.name },
      time: Date.parse('2026-12-01T19:05:49.000Z'),
    });
    expect(line).toBe(
      'rb_figure,cluster=sandbox,figure=paralysis.admission.rejectionRate,run=20261201-190359-108-84ab,suite=admission-paralysis,unit=share value=0.6 1796151949000000000',
    );
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');
    expect(doc).toContain(line);
  });
});

describe('what a figure is', () => {
  it('takes its unit from its name', () => {
    expect(figureUnit('outage.breaker.appliedAfterMs')).toBe('ms');
    expect(figureUnit('k6.latencyMs.p99')).toBe('ms');
    expect(figureUnit('paralysis.admission.rejectionRate')).toBe('share');
    expect(figureUnit('k6.requestRate')).toBe('per_s');
    expect(figureUnit('k6.iterationsRate')).toBe('per_s');
    expect(figureUnit('outage.probes')).toBe('count');
  });

  it('skips what is not a finite number, settings, lists without distinct names, and deeper than four levels', () => {
    const figures = summaryFigures(
      'x',
      {
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        holdSeconds: 30,
        text: 'a',
        flag: true,
        none: null,
        neverMs: null,
        numbers: [1, 2],
        same: [
          { name: 'a', n: 1 },
          { name: 'a', n: 2 },
        ],
        named: [
          { name: 'a', n: 1 },
          { name: 'b', n: 2 },
        ],
        a: { b: { c: { d: 1, e: { f: 2 } } } },
      },
      'by-name',
    );
    expect(figures).toEqual([
      { path: 'x.neverMs', value: null, unit: 'ms' },
      { path: 'x.named.a.n', value: 1, unit: 'count' },
      { path: 'x.named.b.n', value: 2, unit: 'count' },
      { path: 'x.a.b.c.d', value: 1, unit: 'count' },
    ]);
    // compare's reading: no lists at all; the points: no null.
    expect(summaryFigures('x', { named: [{ name: 'a', n: 1 }], n: 2 }).map((f) => f.path)).toEqual(['x.n']);
    expect(figurePoints('x', { neverMs: null, n: 2 }).map((p) => p.tags.figure)).toEqual(['x.n']);
    // A summary that is a number is one figure; the collectors' keys and notes are none.
    expect(figurePoints('restartsSeen', 3)).toEqual([
      { measurement: 'rb_figure', tags: { figure: 'restartsSeen', unit: 'count' }, fields: { value: 3 } },
    ]);
    for (const key of ['collectors', 'influx', 'rebuild', 'admissionNotes'])
      expect(figurePoints(key, { n: 1 })).toEqual([]);
  });

  it('the schema check names what does not conform', () => {
    const ok = { measurement: 'rb_figure', tags: { figure: 'a.b', unit: 'ms', run: 'r' }, fields: { value: 1 } };
    expect(schemaProblems(ok)).toEqual([]);
    expect(schemaProblems({ ...ok, measurement: 'rb_figures' })).toEqual(['unknown measurement rb_figures']);
    expect(schemaProblems({ ...ok, tags: { ...ok.tags, app: 'x' } })).toEqual(['app is not a tag of rb_figure']);
    expect(schemaProblems({ ...ok, fields: { val: 1 } })).toEqual(['val is not a field of rb_figure']);
    expect(schemaProblems({ ...ok, fields: { value: Number.NaN } })).toEqual(['rb_figure.value is NaN']);
    expect(schemaProblems({ ...ok, fields: {} })).toEqual(['rb_figure has no field']);
    expect(COMMON_TAGS).toEqual(['run', 'suite', 'cluster']);
  });
});

describe('the engine writes a suite summary as rb_figure points', () => {
  const liveRun = (record: RunRecord, dryRun: boolean) => {
    const written: Point[] = [];
    const sink: PointSink = {
      name: 'test',
      write: (points) => written.push(...points),
      flush: async () => {},
      close: async () => {},
    };
    const init = {
      record: { ...record, summary: {} },
      config: {},
      cluster: {},
      options: {},
      log: silentLogger,
      signal: new AbortController().signal,
      dryRun,
      kube: () => {
        throw new Error('no cluster in this test');
      },
      reloadKube: () => {},
      cwd: runsDir,
      sinks: [sink],
      persist: () => {},
    } as unknown as LiveRunInit;
    return { live: new LiveRun(init), written, record: init.record };
  };

  it('ctx.summary stores the value and writes its figures with the run, suite and cluster tags, at one time', () => {
    const r = read('chaos-cpu-saturation');
    const { live, written, record } = liveRun(r, false);
    live.ctx.summary('cpuSaturation', r.summary.cpuSaturation);
    expect(record.summary.cpuSaturation).toBe(r.summary.cpuSaturation);
    expect(written.map((p) => ({ ...p, time: 0 }))).toEqual(
      pointsOf(r).map((p) => ({
        ...p,
        tags: { ...p.tags, run: r.id, suite: 'cpu-saturation', cluster: 'sandbox' },
        time: 0,
      })),
    );
    expect(new Set(written.map((p) => p.time)).size).toBe(1);
    live.ctx.summary('notes', ['text only']);
    expect(written).toHaveLength(12);
  });

  it('writes nothing under --dry-run', () => {
    const r = read('chaos-kyverno-kill');
    const { live, written } = liveRun(r, true);
    live.ctx.summary('outage', r.summary.outage);
    expect(written).toEqual([]);
  });
});
