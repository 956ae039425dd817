import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  AdmissionSummary,
  AppTimeline,
  RestartRecord,
  RestartsSummary,
  WavesSummary,
} from '../../record/summaries.ts';
import { WAVES_DO_NOT_GATE } from '../../gitops/argocd.ts';
import { BadInputError } from '../../core/errors.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { buildReport } from '../../reports/model.ts';
import { renderHtml } from '../../reports/render/html.ts';
import { renderJson } from '../../reports/render/json.ts';
import { junitCases, renderJunit, xmlEscape } from '../../reports/render/junit.ts';
import { renderMarkdown } from '../../reports/render/markdown.ts';
import type { RebuildSummary } from '../../record/target.ts';
import { parseFormats, renderReports, writeReports } from '../../reports/write.ts';
import { toLine } from '../../record/line-protocol.ts';
import type { Point } from '../../record/point.ts';
import { createRunDir, writeRunRecord } from '../../sinks/run-store.ts';

// ---------------------------------------------------------------- fixtures

const MIN = 60_000;
const T0 = Date.parse('2026-11-21T22:21:00.000Z');
const at = (min: number) => T0 + Math.round(min * MIN);
/** Minutes as whole ms (what the fixtures' timestamps subtract to). */
const ms = (min: number) => Math.round(min * MIN);
const iso = (min: number) => new Date(at(min)).toISOString();

function baseRecord(over: Partial<RunRecord> = {}): RunRecord {
  return {
    schemaVersion: 1,
    id: '20261121-222100-000-ab12',
    tool: { name: 'rebuild-bench', version: '0.1.0' },
    suite: {
      name: 'rebuild',
      source: 'builtin:rebuild',
      destructive: true,
      description: 'destroy and recreate the cluster',
    },
    cluster: {
      name: 'homelab',
      context: 'admin@homelab',
      kubeconfig: '/home/me/.kube/config',
      server: null,
      serverVersion: 'v1.33.2',
      allowDestructive: true,
    },
    options: { workspace: 'infra/terraform', timeoutMinutes: 90 },
    dryRun: false,
    host: 'ci-runner-1',
    pid: 4242,
    startedAt: iso(-0.5),
    endedAt: iso(53),
    durationMs: 53.5 * MIN,
    status: 'completed',
    phases: [],
    faults: [],
    checks: [],
    verdict: { outcome: 'passed', reasons: [] },
    validity: { valid: true, reasons: [] },
    summary: {},
    error: null,
    exitCode: 0,
    ...over,
  };
}

/** An app that started syncing at `start` and was Synced+Healthy at `healthy` (minutes from destroy). */
function app(name: string, wave: number, start: number, healthy: number | null): AppTimeline {
  return {
    name,
    wave,
    parent: 'root',
    first_seen: { t: at(start - 0.2), source: 'watch' },
    sync_started: { t: at(start), source: 'watch' },
    ...(healthy !== null
      ? {
          synced: { t: at(healthy - 0.1), source: 'watch' as const },
          healthy: { t: at(healthy), source: 'watch' as const },
        }
      : {}),
    sync: healthy !== null ? 'Synced' : 'OutOfSync',
    health: healthy !== null ? 'Healthy' : 'Progressing',
  };
}

/** Derives the per-wave rows the way the waves collector does (start = first sync start, end = last Healthy). */
function wavesOf(apps: AppTimeline[], healthCheck: boolean, violations: WavesSummary['violations'] = []): WavesSummary {
  const waves = [...new Set(apps.map((a) => a.wave))]
    .sort((a, b) => a - b)
    .map((wave) => {
      const m = apps.filter((a) => a.wave === wave);
      const start = Math.min(...m.map((a) => a.sync_started!.t));
      const done = m.every((a) => a.healthy);
      const end = done ? Math.max(...m.map((a) => a.healthy!.t)) : null;
      let slowestApp: string | null = null;
      let slowestMs: number | null = null;
      for (const a of m)
        if (a.healthy && (slowestMs === null || a.healthy.t - a.sync_started!.t > slowestMs))
          [slowestApp, slowestMs] = [a.name, a.healthy.t - a.sync_started!.t];
      return { wave, apps: m.length, start, end, durationMs: end === null ? null : end - start, slowestApp, slowestMs };
    });
  const all = apps.every((a) => a.healthy);
  return {
    healthCheck,
    findings: healthCheck ? [] : [WAVES_DO_NOT_GATE],
    apps,
    waves,
    violations,
    allHealthyAt: all ? Math.max(...apps.map((a) => a.healthy!.t)) : null,
    sources: { watch: apps.length * 4 },
  };
}

function restartRec(
  app: string,
  wave: number,
  min: number,
  n: number,
  classification: 'dependency' | 'other',
  backoff: boolean,
  reason = 'Error',
): RestartRecord {
  return {
    namespace: 'apps',
    pod: `${app}-7d9c-x1`,
    container: app,
    app,
    wave,
    reason,
    exitCode: reason === 'OOMKilled' ? 137 : 1,
    restartCount: n,
    at: { t: at(min), source: 'watch' },
    fault: undefined,
    backoff,
    classification,
  };
}

const rebuildPhases = (sync: [number, number | null]): RebuildSummary['phases'] => [
  { name: 'destroy', startMs: 0, endMs: 6 * MIN, budgetMs: 8 * MIN },
  { name: 'create', startMs: 6 * MIN, endMs: 14 * MIN, budgetMs: 10 * MIN },
  { name: 'bootstrap argocd', startMs: 14 * MIN, endMs: 18 * MIN, budgetMs: 5 * MIN },
  {
    name: 'sync to healthy',
    startMs: sync[0] * MIN,
    endMs: sync[1] === null ? null : sync[1] * MIN,
    budgetMs: 25 * MIN,
  },
];

/** Missed 45 min: waves do not gate, consumers crash-loop waiting for postgres and redis. */
function missedRun(): RunRecord {
  const apps = [
    app('cert-manager', -1, 18, 20),
    app('cnpg-operator', -1, 18, 21.5),
    app('kyverno', 0, 18.1, 24),
    app('ingress-nginx', 0, 18.1, 22),
    app('postgres-main', 1, 18.2, 33),
    app('redis', 1, 18.2, 27),
    app('api', 2, 18.3, 52),
    app('worker', 2, 18.3, 49),
    app('notifier', 2, 18.3, 41),
    app('billing', 2, 18.4, 45.5),
    app('search', 2, 18.4, 38),
    app('frontend', 3, 18.5, 30),
    app('docs', 3, 18.5, 19.5),
  ];
  const violations = apps
    .filter((a) => a.wave >= 1)
    .map((a) => {
      const prevEnd = { 1: at(24), 2: at(33), 3: at(52) }[a.wave as 1 | 2 | 3];
      return {
        app: a.name,
        wave: a.wave,
        blockingWave: a.wave - 1,
        startedAt: a.sync_started!.t,
        blockingHealthyAt: prevEnd,
        earlyMs: prevEnd - a.sync_started!.t,
      };
    });
  const records = [
    restartRec('api', 2, 20, 1, 'dependency', false),
    restartRec('api', 2, 22, 2, 'dependency', true),
    restartRec('api', 2, 26, 3, 'dependency', true),
    restartRec('api', 2, 31, 4, 'dependency', true),
    restartRec('api', 2, 40, 5, 'other', false),
    restartRec('worker', 2, 21, 1, 'dependency', false),
    restartRec('worker', 2, 24, 2, 'dependency', true),
    restartRec('worker', 2, 29, 3, 'dependency', true),
    restartRec('redis', 1, 26, 1, 'other', false, 'OOMKilled'),
  ];
  const restarts: RestartsSummary = {
    restarts: records.length,
    crashLoopBackOff: 4,
    oomKilled: 1,
    byApp: [
      { app: 'api', wave: 2, restarts: 5, crashLoops: 0, dependency: 4, other: 1, oomKilled: 0 },
      { app: 'worker', wave: 2, restarts: 3, crashLoops: 0, dependency: 3, other: 0, oomKilled: 0 },
      { app: 'redis', wave: 1, restarts: 1, crashLoops: 0, dependency: 0, other: 1, oomKilled: 1 },
    ],
    neverReady: ['apps/api-7d9c-old'],
    records,
  };
  const rebuild: RebuildSummary = {
    clockStart: T0,
    totalMs: 52 * MIN,
    target: { minMinutes: 30, maxMinutes: 45, scale: 1 },
    outcome: 'missed',
    phases: rebuildPhases([18, 52]),
  };
  return baseRecord({
    phases: [
      { name: 'destroy', parents: [], startedAt: iso(0), endedAt: iso(6), durationMs: 6 * MIN, status: 'ok' },
      { name: 'create', parents: [], startedAt: iso(6), endedAt: iso(14), durationMs: 8 * MIN, status: 'ok' },
    ],
    checks: [
      { name: 'API server reachable', kind: 'before', ok: true, at: iso(-0.4) },
      { name: 'rebuild within 45 min', kind: 'target', ok: false, detail: 'took 52m00s (> 45 min)', at: iso(52) },
      { name: 'every Application Synced+Healthy', kind: 'after', ok: true, at: iso(52.5) },
    ],
    verdict: { outcome: 'failed', reasons: ['rebuild took 52m00s: missed 45 min'] },
    exitCode: 1,
    summary: { rebuild, collectors: { waves: wavesOf(apps, false, violations), restarts }, restartsNotes: [] },
  });
}

/** 38 min with the health check in argocd-cm: waves gate, zero restarts. */
function onTargetRun(): RunRecord {
  const apps = [
    app('cert-manager', -1, 16, 18),
    app('kyverno', 0, 18.1, 21),
    app('postgres-main', 1, 21.1, 29),
    app('api', 2, 29.2, 36),
    app('worker', 2, 29.2, 38),
  ];
  const rebuild: RebuildSummary = {
    clockStart: T0,
    totalMs: 38 * MIN,
    target: { minMinutes: 30, maxMinutes: 45, scale: 1 },
    outcome: 'on-target',
    phases: rebuildPhases([16, 38]),
  };
  const restarts: RestartsSummary = {
    restarts: 0,
    crashLoopBackOff: 0,
    oomKilled: 0,
    byApp: [],
    neverReady: [],
    records: [],
  };
  return baseRecord({
    id: '20261122-090000-000-cd34',
    endedAt: iso(39),
    durationMs: 39.5 * MIN,
    checks: [{ name: 'rebuild within 45 min', kind: 'target', ok: true, detail: 'took 38m00s', at: iso(38) }],
    summary: {
      rebuild,
      collectors: { waves: wavesOf(apps, true), restarts },
      wavesNotes: ['1 app(s) timed from object timestamps (1 s precision) after a gap'],
    },
  });
}

/** kyverno-kill: no rebuild summary, no waves; faults with windows, admission latency. */
function chaosRun(): RunRecord {
  const admission: AdmissionSummary = {
    namespace: 'default',
    intervalMs: 1000,
    probes: {
      count: 600,
      admitted: 540,
      mutated: 540,
      rejected: 12,
      errors: 48,
      skipped: 3,
      abandoned: 0,
      ticks: 603,
      latencyMs: { p50: 41.2, p90: 180.4, p99: 10_012.5, max: 10_030.1 },
      latencyByOutcome: {},
      reasons: { 'webhook-unreachable:validate.kyverno.svc-fail': 48, 'denied:require-labels': 12 },
    },
    webhooks: [
      {
        name: 'validate.kyverno.svc-fail',
        type: 'validating',
        count: 650,
        sum_s: 40.1,
        p50_s: 0.012,
        p99_s: 10.0,
        rejected: 60,
      },
    ],
    rejectionsByErrorType: { calling_webhook_error: 48 },
    rejections: [],
    failOpen: {},
    scrapes: { ok: 40, failed: 0, meanMs: 120, maxMs: 300, meanParseMs: 20, bytes: 800_000, seriesSeen: true },
  };
  return baseRecord({
    id: '20261123-100000-000-ef56',
    suite: {
      name: 'kyverno-kill',
      source: 'builtin:kyverno-kill',
      destructive: false,
      description: 'kill the Kyverno admission controller',
    },
    startedAt: new Date(T0).toISOString(),
    endedAt: iso(10),
    durationMs: 10 * MIN,
    phases: [
      { name: 'steady state', parents: [], startedAt: iso(0), endedAt: iso(1), durationMs: MIN, status: 'ok' },
      { name: 'kill kyverno', parents: [], startedAt: iso(1), endedAt: iso(9), durationMs: 8 * MIN, status: 'ok' },
      {
        name: 'scale to 0',
        parents: ['kill kyverno'],
        startedAt: iso(1),
        endedAt: iso(1.1),
        durationMs: 6000,
        status: 'ok',
      },
    ],
    faults: [
      {
        id: 'f1',
        kind: 'scale',
        title: 'scale kyverno/kyverno-admission-controller to 0',
        plannedAt: iso(1),
        appliedAt: iso(1.1),
        rolledBackAt: iso(8),
        status: 'rolled-back',
        verified: '0/1 ready replicas',
      },
    ],
    checks: [
      { name: 'pods admitted', kind: 'before', ok: true, at: iso(0.5) },
      { name: 'pods admitted', kind: 'after', ok: true, at: iso(9.5) },
    ],
    summary: { collectors: { admission } },
  });
}

/** Ctrl-C during sync: aborted, invalid (watch gap), rebuild never finished, no collector summaries. */
function abortedRun(): { record: RunRecord; points: Point[] } {
  const rebuild: RebuildSummary = {
    clockStart: T0,
    totalMs: null,
    target: { minMinutes: 30, maxMinutes: 45, scale: 1 },
    outcome: 'did-not-finish',
    phases: rebuildPhases([18, null]),
  };
  const pt = (name: string, event: string, min: number): Point => ({
    measurement: 'rb_app',
    tags: { run: 'x', app: name, wave: '0', event, source: 'watch' },
    fields: { offset_s: min * 60 },
    time: at(min),
  });
  return {
    record: baseRecord({
      id: '20261124-110000-000-aa00',
      endedAt: iso(25),
      durationMs: 25.5 * MIN,
      status: 'aborted',
      verdict: { outcome: 'aborted', reasons: ['SIGINT received'] },
      validity: {
        valid: false,
        reasons: ['waves: Application watch gap 2026-11-21T22:40:00.000Z → end: connection reset'],
      },
      exitCode: 3,
      summary: { rebuild },
    }),
    points: [
      pt('a', 'sync_started', 18),
      pt('a', 'healthy', 20),
      pt('b', 'sync_started', 18),
      pt('b', 'healthy', 23),
      pt('c', 'sync_started', 19),
    ],
  };
}

// ---------------------------------------------------------------- tests

const all = () => ({
  missed: buildReport(missedRun()),
  onTarget: buildReport(onTargetRun()),
  chaos: buildReport(chaosRun()),
  aborted: buildReport(abortedRun().record, abortedRun().points),
});

describe('report model: verdict against the target window', () => {
  it('words each outcome and says when the window is scaled', () => {
    const { missed, onTarget, aborted } = all();
    expect(missed.target?.wording).toBe('missed 45 min');
    expect(missed.headline).toBe('Rebuild missed 45 min: took 52m00s (target 30–45 min); 4 CrashLoopBackOff');
    expect(missed.target?.distanceMs).toBe(7 * MIN);
    expect(onTarget.target?.wording).toBe('on target');
    expect(onTarget.headline).toBe('Rebuild on target: took 38m00s (target 30–45 min); zero CrashLoopBackOff');
    expect(aborted.target?.wording).toBe('did not finish');
    expect(aborted.headline).toBe('Rebuild did not finish (target 30–45 min); INVALID run');

    const ahead = onTargetRun();
    (ahead.summary.rebuild as RebuildSummary).totalMs = 25 * MIN;
    expect(buildReport(ahead).target?.wording).toBe('ahead of 30 min');

    const demo = onTargetRun();
    (demo.summary.rebuild as RebuildSummary).target = {
      minMinutes: 30,
      maxMinutes: 45,
      scale: 0.1,
      note: 'demo: twin durations',
    };
    (demo.summary.rebuild as RebuildSummary).totalMs = 5 * MIN;
    const d = buildReport(demo);
    expect(d.target?.wording).toBe('missed 4.5 min');
    expect(d.target?.scaled).toBe(true);
    expect(d.target?.scaleNote).toBe('target window scaled ×0.1 from 30–45 min to 3m00s–4m30s (demo: twin durations)');
    expect(d.headline).toContain('window scaled ×0.1');
    expect(renderMarkdown(d)).toContain('_Note: target window scaled ×0.1');
  });

  it('puts the headline verdict on the first Markdown line', () => {
    const { missed, chaos } = all();
    expect(renderMarkdown(missed).split('\n')[0]).toBe(
      '❌ **Rebuild missed 45 min: took 52m00s (target 30–45 min); 4 CrashLoopBackOff**',
    );
    expect(renderMarkdown(chaos).split('\n')[0]).toBe(
      '✅ **kyverno-kill: passed; steady state back within 1m30s of the revert**',
    );
  });
});

describe('report model: waves, slowest apps, restarts', () => {
  it('builds one row per wave with offsets from destroy', () => {
    const w = all().missed.waves!;
    expect(w.rows.map((r) => [r.wave, r.apps, r.startMs, r.endMs, r.durationMs, r.slowestApp])).toEqual([
      [-1, 2, 18 * MIN, ms(21.5), ms(3.5), 'cnpg-operator'],
      [0, 2, ms(18.1), 24 * MIN, ms(5.9), 'kyverno'],
      [1, 2, ms(18.2), 33 * MIN, ms(14.8), 'postgres-main'],
      [2, 5, ms(18.3), 52 * MIN, ms(33.7), 'api'],
      [3, 2, ms(18.5), 30 * MIN, ms(11.5), 'frontend'],
    ]);
    expect(w.allHealthyMs).toBe(52 * MIN);
    expect(w.healthCheck).toBe(false);
    expect(w.violations).toHaveLength(9);
    expect(w.findings.map((f) => f.id)).toEqual(['WAVES_DO_NOT_GATE']);
    expect(w.findings[0]!.fix).toContain('resource.customizations.health.argoproj.io_Application');
    const md = renderMarkdown(all().missed);
    expect(md).toContain('| 2 | 5 | +18m18s | +52m00s | 33m42s | api (33m42s) |');
    expect(md).toContain('**Fix:** Add resource.customizations.health.argoproj.io_Application');
    expect(all().onTarget.waves!.findings).toEqual([]);
  });

  it('lists the ten slowest apps, slowest first, ties by name', () => {
    const s = all().missed.slowestApps!;
    expect(s).toHaveLength(10);
    expect(s.map((a) => a.app)).toEqual([
      'api',
      'worker',
      'billing',
      'notifier',
      'search',
      'postgres-main',
      'frontend',
      'redis',
      'kyverno',
      'ingress-nginx',
    ]);
    expect(s[0]).toMatchObject({ wave: 2, startMs: ms(18.3), healthyMs: 52 * MIN, durationMs: ms(33.7) });
  });

  it('counts restarts by classification and CrashLoopBackOff per app', () => {
    const r = all().missed.restarts!;
    expect([r.restarts, r.dependency, r.other, r.crashLoopBackOff, r.oomKilled]).toEqual([9, 7, 2, 4, 1]);
    expect(r.byApp.map((a) => [a.app, a.restarts, a.crashLoops, a.dependency, a.other, a.oomKilled])).toEqual([
      ['api', 5, 3, 4, 1, 0],
      ['worker', 3, 2, 3, 0, 0],
      ['redis', 1, 0, 0, 1, 1],
    ]);
    expect(r.byApp[2]!.reasons).toEqual(['OOMKilled']);
    const on = all().onTarget.restarts!;
    expect([on.restarts, on.crashLoopBackOff, on.byApp.length]).toEqual([0, 0, 0]);
  });

  it('builds a step series of Healthy apps', () => {
    const h = all().onTarget.healthyOverTime!;
    expect(h).toEqual([
      { offsetMs: 0, healthy: 0 },
      { offsetMs: 18 * MIN, healthy: 1 },
      { offsetMs: 21 * MIN, healthy: 2 },
      { offsetMs: 29 * MIN, healthy: 3 },
      { offsetMs: 36 * MIN, healthy: 4 },
      { offsetMs: 38 * MIN, healthy: 5 },
    ]);
  });
});

describe('report model: runs without some sections', () => {
  it('a chaos run has no target or waves; faults and admission are there', () => {
    const c = all().chaos;
    expect(c.target).toBeUndefined();
    expect(c.waves).toBeUndefined();
    expect(c.slowestApps).toBeUndefined();
    expect(c.restarts).toBeUndefined();
    expect(c.faults).toEqual([
      {
        id: 'f1',
        kind: 'scale',
        title: 'scale kyverno/kyverno-admission-controller to 0',
        status: 'rolled-back',
        startMs: 1.1 * MIN,
        endMs: 8 * MIN,
        durationMs: ms(6.9),
        error: null,
        verified: '0/1 ready replicas',
      },
    ]);
    expect(c.admission?.latencyMs?.p99).toBe(10_012.5);
    expect(c.phases.map((p) => [p.name, p.parents.length, p.startMs])).toEqual([
      ['steady state', 0, 0],
      ['kill kyverno', 0, MIN],
      ['scale to 0', 1, MIN],
    ]);
    const md = renderMarkdown(c);
    expect(md).not.toContain('## Target');
    expect(md).not.toContain('## Sync waves');
    expect(md).toContain('## Admission latency');
    expect(md).toContain(
      '| f1 | scale | scale kyverno/kyverno-admission-controller to 0 | +1m06s | +8m00s | 6m54s | rolled-back (took effect: 0/1 ready replicas) |',
    );
  });

  it('an aborted, invalid run falls back to the stored points and flags the run', () => {
    const a = all().aborted;
    expect(a.validity.valid).toBe(false);
    expect(a.phases[3]).toMatchObject({ name: 'sync to healthy', endMs: null, overBudget: true });
    expect(a.slowestApps!.map((x) => [x.app, x.durationMs, x.source])).toEqual([
      ['b', 5 * MIN, 'point'],
      ['a', 2 * MIN, 'point'],
    ]);
    expect(renderMarkdown(a)).toContain('> [!WARNING]');
  });

  it('a bare record (no summary, no phases) still renders every format', () => {
    const bare = baseRecord({ summary: {}, verdict: null, status: 'running', endedAt: null, durationMs: null });
    const m = buildReport(bare);
    for (const r of renderReports(m)) expect(r.content.length).toBeGreaterThan(50);
    expect(renderHtml(m)).not.toContain('<svg');
    expect(junitCases(m).map((c) => [c.name, !!c.failure])).toEqual([['run completed and valid', true]]);
  });

  it('carries validity notes from the collectors', () => {
    expect(all().onTarget.validity.notes).toEqual([
      'waves: 1 app(s) timed from object timestamps (1 s precision) after a gap',
    ]);
  });
});

const cases = (xml: string) => [...xml.matchAll(/<testcase [^>]*?(\/>|>[\s\S]*?<\/testcase>)/g)].map((m) => m[0]);

describe('JUnit', () => {
  it('one testcase per target, phase budget and check; failures carry a message', () => {
    const xml = renderJunit(all().missed);
    const tc = cases(xml);
    // run + total time + zero CrashLoopBackOff + 4 phase budgets + 3 checks
    expect(tc).toHaveLength(10);
    expect(xml).toContain('<testsuite name="rebuild-bench rebuild 20261121-222100-000-ab12" tests="10" failures="4"');
    const failed = tc.filter((c) => c.includes('<failure'));
    expect(failed.map((c) => / name="([^"]*)"/.exec(c)![1])).toEqual([
      'total rebuild time within 30–45 min',
      'zero CrashLoopBackOff',
      'phase sync to healthy within 25m00s',
      'rebuild within 45 min',
    ]);
    expect(xml).toContain('<failure message="rebuild took 52m00s: missed 45 min (by 7m00s)" type="missed">');
    expect(xml).toContain('message="phase sync to healthy took 34m00s, budget 25m00s"');

    const ok = renderJunit(all().onTarget);
    expect(cases(ok)).toHaveLength(1 + 2 + 4 + 1);
    expect(ok).not.toContain('<failure');

    const chaos = renderJunit(all().chaos);
    expect(cases(chaos).map((c) => / name="([^"]*)"/.exec(c)![1])).toEqual([
      'run completed and valid',
      'pods admitted',
      'pods admitted',
    ]);

    const aborted = renderJunit(all().aborted);
    expect(aborted).toContain('failures="3"'); // run (aborted+invalid), did not finish, sync phase did not end
    expect(aborted).toContain('<skipped message="the restarts collector did not run"/>');
  });

  it('escapes everything', () => {
    expect(xmlEscape(`a<b & "c" 'd'>\u0001`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
    const r = chaosRun();
    r.checks.push({
      name: 'no <script> & "quotes"',
      kind: 'after',
      ok: false,
      detail: 'got </failure><x>',
      at: iso(9),
    });
    const xml = renderJunit(buildReport(r));
    expect(xml).toContain('name="no &lt;script&gt; &amp; &quot;quotes&quot;"');
    expect(xml).toContain('message="got &lt;/failure&gt;&lt;x&gt;"');
    expect(xml).not.toContain('<x>');
  });
});

describe('HTML', () => {
  it('is one self-contained page with three inline SVG charts', () => {
    const html = renderHtml(all().missed);
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).toContain('data-chart="timeline"');
    expect(html).toContain('data-chart="healthy"');
    expect(html).toContain('data-chart="minutes"');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/url\((?!#)/);
    // Only XML namespace names may mention http(s); nothing is fetched.
    const withoutNs = html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
    expect(withoutNs).not.toMatch(/https?:\/\//);
    expect(html).toContain('target 30–45 min');
    expect(html).toContain('WAVES_DO_NOT_GATE');
  });

  it('draws an outcome of many probes as one path in the admission chart, every probe in it', () => {
    const probe = (i: number, outcome: string): Point => ({
      measurement: 'rb_admission_probe',
      tags: { outcome, mutated: 'false' },
      fields: { latency_ms: 20 + (i % 50) },
      time: at(2 + i / 60),
    });
    const points = [...Array.from({ length: 900 }, (_, i) => probe(i, 'admitted'))];
    points.push(...Array.from({ length: 40 }, (_, i) => probe(900 + i, 'rejected')));
    const svg = /data-chart="admission">(.*?)<\/figure>/s.exec(renderHtml(buildReport(chaosRun(), points)))![1]!;
    expect(svg).toContain('40 rejected of 940');
    // Each circle is a move and two arcs: 900 in the admitted series' one path, 40 path elements for the rejected.
    const paths = [...svg.matchAll(/<path d="([^"]*)"[^>]*fill="(#[0-9a-f]+)"/g)];
    const admitted = paths.filter((p) => p[2] === '#2e9d6a' && p[1]!.length > 10_000);
    expect(admitted).toHaveLength(1);
    expect(admitted[0]![1]!.match(/M/g)).toHaveLength(900);
    expect(paths.filter((p) => p[2] === '#d64545' && p[1]!.startsWith('M1 0A1 1'))).toHaveLength(40);
  });

  it('a chaos run gets the timeline only', () => {
    const html = renderHtml(all().chaos);
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).toContain('fault f1: scale');
  });
});

describe('determinism', () => {
  it('renders the same record to byte-identical output in every format', () => {
    const fixtures: Array<() => { record: RunRecord; points: Point[] }> = [
      () => ({ record: missedRun(), points: [] }),
      () => ({ record: onTargetRun(), points: [] }),
      () => ({ record: chaosRun(), points: [] }),
      abortedRun,
    ];
    for (const f of fixtures) {
      const a = f();
      const first = renderReports(buildReport(a.record, a.points));
      // Other charts in between move echarts' process-wide id counters.
      renderHtml(buildReport(missedRun()));
      const b = f();
      const second = renderReports(buildReport(structuredClone(b.record), b.points));
      expect(second.map((r) => r.format)).toEqual(['md', 'html', 'json', 'junit']);
      for (let i = 0; i < first.length; i++)
        expect(second[i]!.content, `${a.record.id} ${first[i]!.format}`).toBe(first[i]!.content);
    }
  });

  it('the JSON model has sorted keys and round-trips', () => {
    const m = buildReport(missedRun());
    const json = renderJson(m);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(m)));
    const top = Object.keys(JSON.parse(json));
    expect(top).toEqual([...top].sort());
  });
});

describe('writeReports and formats', () => {
  it('writes the four files from run.json and points.lp', () => {
    const home = mkdtempSync(join(tmpdir(), 'rb-report-'));
    const { record, points } = abortedRun();
    const dir = createRunDir(home, record.id);
    writeRunRecord(dir, record);
    writeFileSync(join(dir, 'points.lp'), `${points.map(toLine).join('\n')}\n`);
    const paths = writeReports(dir);
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['report.md', 'report.html', 'report.json', 'junit.xml']);
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(json.meta.pointCount).toBe(5);
    expect(json.slowestApps.map((a: { app: string }) => a.app)).toEqual(['b', 'a']);
    const out = join(home, 'artifacts');
    expect(writeReports(dir, ['junit'], out)).toEqual([join(out, 'junit.xml')]);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toBe(readFileSync(join(dir, 'junit.xml'), 'utf8'));
  });

  it('parses --format lists and rejects unknown names as bad input', () => {
    expect(parseFormats(undefined)).toEqual(['md', 'html', 'json', 'junit']);
    expect(parseFormats('md, junit')).toEqual(['md', 'junit']);
    expect(parseFormats(['html', 'markdown,xml'])).toEqual(['html', 'md', 'junit']);
    expect(() => parseFormats('md,pdf')).toThrow(BadInputError);
    expect(() => parseFormats('pdf')).toThrow(/unknown report format "pdf"/);
  });
});
