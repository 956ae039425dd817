import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../record/run-record.ts';
import { attribute } from '../../reports/attribution.ts';
import { compareRuns, figureDirection } from '../../reports/compare.ts';
import { renderCompareHtml } from '../../reports/render/compare-html.ts';
import { renderCompareJunit } from '../../reports/render/compare-junit.ts';
import { renderCompareMarkdown } from '../../reports/render/compare-markdown.ts';
import { runFeatures, type RunFeatures } from '../../reports/run-features.ts';
import { readPoints } from '../../record/store.ts';

const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'runs', 'demo-rebuild');
const MIN = 60_000;

function features(over: Partial<RunFeatures> & { id: string }): RunFeatures {
  return {
    suite: 'rebuild',
    cluster: 'dev',
    startedAt: '2026-11-22T02:00:00.000Z',
    status: 'completed',
    valid: true,
    invalidReasons: [],
    serverVersion: 'v1.34.4',
    argocd: 'v3.4.1',
    options: { tool: 'terraform' },
    totalMs: 40 * MIN,
    phases: { destroy: 4 * MIN, apply: 10 * MIN, waves: 20 * MIN },
    waves: { '0': 5 * MIN, '5': 4 * MIN, '10': 11 * MIN },
    restarts: 0,
    crashLoops: 0,
    admissionP50Ms: null,
    admissionP99Ms: null,
    healthCheck: true,
    targetMet: true,
    verdict: 'passed',
    figures: {},
    apps: {},
    ...over,
  };
}

/** Five runs around `minutes` with fixed ±3 % noise. */
function side(prefix: string, minutes: number, over: Partial<RunFeatures> = {}): RunFeatures[] {
  return [0.985, 1.021, 0.972, 1.008, 1.029].map((f, i) =>
    features({ id: `${prefix}${i}`, totalMs: minutes * f * MIN, ...over }),
  );
}

describe('run features from a stored run', () => {
  it('reads the total, phases, waves, restarts and per-app times of the stored demo run', () => {
    const record = JSON.parse(readFileSync(join(fixtureDir, 'run.json'), 'utf8')) as RunRecord;
    const f = runFeatures(record, readPoints(fixtureDir));
    const rebuild = record.summary.rebuild as { totalMs: number };
    const collectors = record.summary.collectors as {
      restarts: { crashLoopBackOff: number };
      waves: { waves: unknown[]; apps: unknown[] };
    };
    expect(f.totalMs).toBe(rebuild.totalMs);
    expect(f.crashLoops).toBe(collectors.restarts.crashLoopBackOff);
    expect(Object.keys(f.waves)).toHaveLength(collectors.waves.waves.length);
    expect(Object.keys(f.apps)).toHaveLength(collectors.waves.apps.length);
    expect(f.healthCheck).toBe(false);
    expect(Object.keys(f.phases)).toEqual(expect.arrayContaining(['destroy', 'apply', 'waves']));
  });
});

describe('compare: verdicts on a synthetic history', () => {
  it('detects a clear 20 % regression over 5 + 5 runs', () => {
    const c = compareRuns(side('a', 40), side('b', 48));
    expect(c.verdict).toBe('slower');
    expect(c.metrics[0]!.p).toBeCloseTo(2 / 252, 6);
    expect(c.metrics[0]!.ci!.low).toBeGreaterThan(0);
    expect(c.headline).toBe('Slower (regression): median total 40m19s → 48m23s, +8m04s (+20.0 %); 5 vs 5 run(s)');
    expect(renderCompareJunit(c)).toMatch(
      /<testcase[^>]*no regression: total[^>]*>\s*<failure message="[^"]*" type="regression"/,
    );
  });

  it('calls 1 + 1 runs inconclusive and says no statistical conclusion is possible', () => {
    const c = compareRuns([features({ id: 'a', totalMs: 40 * MIN })], [features({ id: 'b', totalMs: 48 * MIN })]);
    expect(c.verdict).toBe('inconclusive');
    expect(c.metrics[0]!.method).toBe('deltas-only');
    expect(c.metrics[0]!.deltaMs).toBe(8 * MIN);
    expect(c.notes.join(' ')).toContain('no statistical conclusion is possible');
    expect(renderCompareJunit(c)).not.toContain('<failure');
  });

  it('gives no share of a change from almost nothing (27 ms → 1 s is not +3600 %)', () => {
    const c = compareRuns(
      [features({ id: 'a', phases: { destroy: 27 } })],
      [features({ id: 'b', phases: { destroy: 1000 } })],
    );
    const destroy = c.metrics.find((m) => m.key === 'phase:destroy')!;
    expect(destroy.deltaMs).toBe(973);
    expect(destroy.relativeDelta).toBeNull();
    expect(renderCompareMarkdown(c)).not.toMatch(/3\d{3}\.\d %/);
  });

  it('refuses a run on both sides (exit 2), which would compare it with itself', () => {
    const a = features({ id: 'a' });
    expect(() => compareRuns([a, features({ id: 'b' })], [a])).toThrow(/run a is on both sides/);
  });

  it('judges one nightly run against a week with a control limit', () => {
    const week = [
      ...side('a', 40),
      features({ id: 'a5', totalMs: 40.4 * MIN }),
      features({ id: 'a6', totalMs: 39.6 * MIN }),
    ];
    expect(compareRuns(week, [features({ id: 'n', totalMs: 50 * MIN })]).verdict).toBe('slower');
    expect(compareRuns(week, [features({ id: 'n', totalMs: 41 * MIN })]).verdict).toBe('inconclusive');
    expect(compareRuns(week, [features({ id: 'n', totalMs: 50 * MIN })]).metrics[0]!.method).toBe('control-limit');
  });

  it('is inconclusive when both sides come from the same distribution, and faster on a 20 % gain', () => {
    expect(compareRuns(side('a', 40), side('b', 40)).verdict).toBe('inconclusive');
    expect(compareRuns(side('a', 40), side('b', 32)).verdict).toBe('faster');
  });

  it('refuses invalid runs unless asked, and mixed options within a side', () => {
    const bad = features({
      id: 'x',
      valid: false,
      status: 'aborted',
      invalidReasons: ['the run was aborted before it finished'],
    });
    expect(() => compareRuns([bad], side('b', 40))).toThrow(
      /invalid run\(s\) refused: x \(the run was aborted.*--include-invalid/,
    );
    expect(compareRuns([bad], side('b', 40), { includeInvalid: true }).notes.join(' ')).toContain(
      'includes 1 invalid run(s)',
    );
    expect(() =>
      compareRuns([features({ id: 'a' }), features({ id: 'a2', options: { tool: 'tofu' } })], side('b', 40)),
    ).toThrow(/baseline runs were made with different suite options/);
    expect(() => compareRuns([features({ id: 'a', cluster: 'prod' })], side('b', 40))).toThrow(/different clusters/);
  });

  it('gives identical output for identical inputs', () => {
    const render = () => {
      const c = compareRuns(side('a', 40), side('b', 48));
      return [renderCompareMarkdown(c), renderCompareHtml(c), renderCompareJunit(c), JSON.stringify(c)];
    };
    expect(render()).toEqual(render());
  });
});

describe('change attribution', () => {
  const app = (wave: number, healthyMin: number, crashLoops: number) => ({
    wave,
    healthyMs: healthyMin * MIN,
    crashLoops,
  });
  const before = (id: string) =>
    features({
      id,
      totalMs: 44 * MIN,
      crashLoops: 16,
      waves: { '5': 4 * MIN, '10': 17 * MIN },
      apps: { postgres: app(4, 15, 0), linkwarden: app(10, 38, 8), netbox: app(10, 40, 6), mealie: app(10, 36, 2) },
    });
  const after = (id: string) =>
    features({
      id,
      totalMs: 38 * MIN,
      crashLoops: 2,
      waves: { '5': 6 * MIN, '10': 11 * MIN },
      apps: {
        postgres: app(4, 15, 0),
        linkwarden: app(5, 22, 0),
        netbox: app(5, 23, 0),
        mealie: app(10, 36, 2),
        grafana: app(10, 30, 0),
      },
    });

  it('says which apps moved between waves and what that did', () => {
    const a = attribute([before('a')], [after('b')]);
    expect(a.waveMap.moved).toEqual([
      { app: 'linkwarden', from: 10, to: 5 },
      { app: 'netbox', from: 10, to: 5 },
    ]);
    expect(a.waveMap.added).toEqual([{ app: 'grafana', wave: 10 }]);
    expect(a.sentences[0]).toBe(
      'moving linkwarden and netbox from wave 10 to 5 removed 14 crash-loops and 6 minutes from wave 10',
    );
    expect(a.sentences).toContain('added: grafana (wave 10)');
    expect(a.apps[0]!.app).toBe('linkwarden');
    expect(a.waves[0]).toMatchObject({ wave: '10', deltaMs: -6 * MIN });
  });

  it('names a health-check change and lists it as a setup difference', () => {
    const c = compareRuns(
      [features({ id: 'a', healthCheck: false, crashLoops: 42 })],
      [features({ id: 'b', healthCheck: true, crashLoops: 0, totalMs: 41 * MIN })],
    );
    expect(c.attribution.sentences[0]).toBe(
      'adding the Application health check to argocd-cm (waves now gate on health) removed 42 crash-loops and added 1 minute to the total',
    );
    expect(c.setup).toContainEqual({
      what: 'Application health check in argocd-cm',
      baseline: 'false',
      candidate: 'true',
    });
  });
});

describe('compare says which side meets each target, and compares chaos suites on their own figures', () => {
  const recorded = (suite: string) =>
    runFeatures(
      JSON.parse(
        readFileSync(join(import.meta.dirname, '..', 'fixtures', 'runs', `chaos-${suite}`, 'run.json'), 'utf8'),
      ) as RunRecord,
    );

  it('a rebuild that missed its target and crash-looped against one on target: per side, in runs', () => {
    const missed = [0, 1].map((i) => features({ id: `b${i}`, totalMs: 52 * MIN, targetMet: false, crashLoops: 3 }));
    const met = [0, 1].map((i) => features({ id: `c${i}`, totalMs: 38 * MIN + i * MIN }));
    const c = compareRuns(missed, met);
    expect(c.targets).toEqual([
      { what: 'rebuild within the target window', baseline: { met: 0, of: 2 }, candidate: { met: 2, of: 2 } },
      { what: 'zero CrashLoopBackOff', baseline: { met: 0, of: 2 }, candidate: { met: 2, of: 2 } },
      { what: 'verdict passed', baseline: { met: 2, of: 2 }, candidate: { met: 2, of: 2 } },
    ]);
    const md = renderCompareMarkdown(c);
    expect(md).toContain('| rebuild within the target window | 0/2 run(s) ❌ | 2/2 run(s) ✅ |');
    expect(renderCompareHtml(c)).toContain('<h2>Targets and verdict</h2>');
    // 2 + 2 runs: no interval, the range of the differences, said why; reasons carry units.
    const total = c.metrics[0]!;
    expect(total.ci).toBeNull();
    expect(total.range).toEqual({ low: -14 * MIN, high: -13 * MIN });
    expect(md).toContain('range −14m00s … −13m00s');
    expect(c.notes.some((n) => n.startsWith('with so few runs no test can reach significance: no 95 % interval'))).toBe(
      true,
    );
    expect(total.reason).toMatch(/^Δ median −13m30s \(−?-?\d/);
  });

  it('five runs a side keep the 95 % interval', () => {
    const c = compareRuns(side('b', 40), side('c', 48));
    expect(c.metrics[0]!.ci).not.toBeNull();
    expect(c.metrics[0]!.range).toBeNull();
  });

  it('admission-paralysis, Fail against Ignore (recorded): its own figures with units, no rebuild target', () => {
    const c = compareRuns([recorded('admission-paralysis-fail')], [recorded('admission-paralysis')]);
    expect(c.metrics[0]!.label).toBe('run duration');
    const fig = (k: string) => c.metrics.find((m) => m.key === `figure:${k}`);
    expect(fig('paralysis.admission.rejectionRate')).toMatchObject({
      unit: 'share',
      baselineMedian: 0.6,
      candidateMedian: 0,
    });
    expect(fig('paralysis.fullRecoveryMs')?.unit).toBe('ms');
    expect(fig('paralysis.admission.rejected')).toMatchObject({
      unit: 'count',
      baselineMedian: 45,
      candidateMedian: 0,
    });
    expect(c.targets.map((t) => t.what)).toEqual(['verdict passed']);
    const md = renderCompareMarkdown(c);
    expect(md).toMatch(/\| paralysis\.admission\.rejectionRate \| 60 % \| 0 % \| −60 pp /);
    // Directions: fewer rejections is better, more admitted creates is better, settings are not figures.
    expect(fig('paralysis.admission.rejected')?.verdict).not.toBe('slower');
    expect(fig('paralysis.admission.admitted')?.reason).not.toMatch(/not judged/);
    expect(fig('paralysis.admission.probes')?.reason).toMatch(/^shown, not judged/);
    expect(c.metrics.some((m) => /Seconds$/.test(m.key))).toBe(false);
    expect(c.headline).toMatch(/median run duration/);
  });
});

describe('suite figures: which way is better, and their units from their names', () => {
  it('judges durations, rejections and restarts lower-is-better, admitted and request rates higher, counts of probes not at all', () => {
    expect(figureDirection('paralysis.fullRecoveryMs')).toBe('lower');
    expect(figureDirection('k6.latencyMs.p99')).toBe('lower');
    expect(figureDirection('paralysis.admission.rejectionRate')).toBe('lower');
    expect(figureDirection('k6.requestRate')).toBe('higher');
    expect(figureDirection('outage.admitted')).toBe('higher');
    expect(figureDirection('outage.probes')).toBeNull();
    const f = runFeatures({
      ...JSON.parse(
        readFileSync(
          join(import.meta.dirname, '..', 'fixtures', 'runs', 'chaos-admission-paralysis', 'run.json'),
          'utf8',
        ),
      ),
    } as RunRecord).figures;
    expect(f['k6.requestRate']?.unit).toBe('count');
    expect(f['paralysis.admission.rejectionRate']?.unit).toBe('share');
    expect(Object.keys(f).some((k) => k.endsWith('Seconds'))).toBe(false);
  });
});
