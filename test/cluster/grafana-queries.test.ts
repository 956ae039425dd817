/**
 * Every InfluxQL query of the Grafana dashboards (panels, variables, the fault annotation) runs on a
 * real influxd 1.8 and returns rows, with the template variables substituted the way Grafana does:
 * the rebuild and admission dashboards against the stored demo rebuild run, the chaos dashboard
 * against the recorded chaos runs (test/fixtures/runs/chaos-*), whose points are rebuilt from
 * their run.json.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restartPoint } from '../../collectors/restarts.ts';
import { buildDashboards, queriesOf } from '../../grafana/dashboards.ts';
import { faultPoint, phasePoint } from '../../record/run-points.ts';
import { figurePoints } from '../../record/figure-points.ts';
import { toLine } from '../../record/line-protocol.ts';
import { schemaProblems } from '../../record/point-schema.ts';
import type { Point } from '../../record/point.ts';
import { parseRunRecord } from '../../record/run-json.ts';
import type { RunRecord } from '../../record/run-record.ts';
import type { AdmissionSummary, ProbeOutcome, RestartsSummary } from '../../record/summaries.ts';

const influxUrl = inject('sandboxInfluxUrl');
const runDir = resolve(import.meta.dirname, '..', 'fixtures', 'runs', 'demo-rebuild');
const DB = `grafana_${randomBytes(4).toString('hex')}`;

const record = JSON.parse(readFileSync(resolve(runDir, 'run.json'), 'utf8')) as {
  id: string;
  suite: { name: string };
  cluster: { name: string };
};
const lines = readFileSync(resolve(runDir, 'points.lp'), 'utf8').split('\n').filter(Boolean);
const nsOf = (line: string) => BigInt(line.slice(line.lastIndexOf(' ') + 1));
const measurementOf = (line: string) => line.slice(0, line.search(/[, ]/));
const start = lines.map(nsOf).reduce((a, b) => (b < a ? b : a));
const end = lines.map(nsOf).reduce((a, b) => (b > a ? b : a));
const stored = new Set(lines.map(measurementOf));

const allUses = Object.entries(buildDashboards()).flatMap(([file, d]) => queriesOf(file, d));
const isChaos = (u: { where: string }) => u.where.startsWith('chaos.json ');
/** The rebuild and admission dashboards: the demo run. */
const uses = allUses.filter((u) => !isChaos(u));
/** The chaos dashboard: the recorded chaos runs. */
const chaosUses = allUses.filter(isChaos);

/** How Grafana's InfluxDB data source escapes a value for a `=~ /^$var$/` regex. */
const regexEscape = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

function substitute(
  query: string,
  run = record.id,
  from = start,
  to = end,
  of: { suite: { name: string }; cluster: { name: string } } = record,
): string {
  const vars: Record<string, string> = {
    run: regexEscape(run),
    suite: regexEscape(of.suite.name),
    cluster: regexEscape(of.cluster.name),
    timeFilter: `time >= ${from}ns AND time <= ${to}ns`,
    __interval: '10s',
  };
  return query.replace(/\$(\w+)/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`no value for $${name} in: ${query}`);
    return v;
  });
}

async function influx(
  path: string,
  params: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  const r = await fetch(`${influxUrl}${path}?${new URLSearchParams(params).toString()}`, {
    method: body === undefined && path === '/query' ? 'GET' : 'POST',
    body,
  });
  return { status: r.status, text: await r.text() };
}

/** Rows of one InfluxQL statement (summed over its series); throws on an error. */
async function rows(q: string): Promise<number> {
  const r = await influx('/query', { db: DB, q, epoch: 'ns' });
  expect(r.status, r.text).toBe(200);
  const body = JSON.parse(r.text) as {
    error?: string;
    results: Array<{ error?: string; series?: Array<{ values?: unknown[][] }> }>;
  };
  expect(body.error, q).toBeUndefined();
  expect(body.results).toHaveLength(1);
  expect(body.results[0]!.error, q).toBeUndefined();
  return (body.results[0]!.series ?? []).reduce((n, s) => n + (s.values?.length ?? 0), 0);
}

/**
 * The rebuild suite does not run the admission collector, so the demo run has no rb_admission_*
 * points. These synthetic ones, for the same run id and inside its time range, are written with the
 * real line-protocol writer so the admission panels have data; every other panel reads only the
 * stored demo run (asserted below).
 */
function syntheticAdmission(): Point[] {
  const tags = { run: record.id, suite: record.suite.name, cluster: record.cluster.name };
  const t0 = Number(start / 1_000_000n);
  const span = Number((end - start) / 1_000_000n);
  const at = (k: number, n: number) => t0 + Math.round((span * (k + 1)) / (n + 1));
  const points: Point[] = [];
  for (let k = 0; k < 20; k++) {
    const outcome = k % 4 === 3 ? 'rejected' : 'admitted';
    points.push({
      measurement: 'rb_admission_probe',
      tags: { ...tags, outcome, mutated: 'true', ...(outcome === 'rejected' ? { reason: 'webhook denied' } : {}) },
      fields: { latency_ms: 12 + k * 3 },
      time: at(k, 20),
    });
  }
  for (let k = 0; k < 4; k++) {
    const time = at(k, 4);
    points.push(
      {
        measurement: 'rb_admission_webhook',
        tags: {
          ...tags,
          webhook: 'validate.kyverno.svc-fail',
          type: 'validating',
          operation: 'CREATE',
          rejected: 'false',
        },
        fields: { count: 15, sum_s: 0.3, p50_s: 0.01, p99_s: 0.05 + k / 100 },
        time,
      },
      {
        measurement: 'rb_admission_rejection',
        tags: { ...tags, webhook: 'validate.kyverno.svc-fail', error_type: 'calling_webhook_error', code: '500' },
        fields: { count: k + 1 },
        time,
      },
      {
        measurement: 'rb_admission_fail_open',
        tags: { ...tags, webhook: 'mutate.kyverno.svc-fail' },
        fields: { count: 2 },
        time,
      },
    );
  }
  return points.filter((p) => !stored.has(p.measurement));
}

const fixtures = resolve(import.meta.dirname, '..', 'fixtures', 'runs');
const chaosRuns: RunRecord[] = readdirSync(fixtures)
  .filter((d) => d.startsWith('chaos-'))
  .map((d) => {
    const file = resolve(fixtures, d, 'run.json');
    return parseRunRecord(readFileSync(file, 'utf8'), file);
  });

/**
 * The points of a recorded chaos run, rebuilt from its run.json with the functions that write them
 * in a live run: its figures with figurePoints (the engine, on each ctx.summary, after the suite's
 * last step), its restarts with restartPoint (the restarts collector). Its steps and faults are
 * written with LiveRun's phasePoint and faultPoint: rb_phase at each step's end, rb_fault when a
 * fault was applied and when it was rolled back. run.json keeps only the tally of the admission probes, not each probe:
 * that many probes, with their outcomes, reasons and latencies, are spread over the run.
 */
function chaosPoints(r: RunRecord): Point[] {
  const common = { run: r.id, suite: r.suite.name, cluster: r.cluster.name };
  const points: Point[] = [];
  const add = (p: Omit<Point, 'tags'> & { tags: Record<string, string> }) =>
    points.push({ ...p, tags: { ...p.tags, ...common } });
  for (const ph of r.phases)
    if (ph.endedAt !== null && ph.durationMs !== null) add(phasePoint(ph, ph.durationMs, Date.parse(ph.endedAt)));
  for (const f of r.faults)
    for (const [event, at] of [
      ['applied', f.appliedAt],
      ['rolled-back', f.rolledBackAt],
    ] as const)
      if (at !== null) add(faultPoint(f, event, Date.parse(at)));
  const published = Math.max(...r.phases.map((ph) => Date.parse(ph.endedAt ?? r.startedAt)));
  for (const [key, value] of Object.entries(r.summary))
    for (const p of figurePoints(key, value)) add({ ...p, time: published });
  const collectors = r.summary.collectors as { restarts?: RestartsSummary; admission?: AdmissionSummary };
  for (const rec of collectors.restarts?.records ?? []) add(restartPoint(rec));
  const probes = collectors.admission?.probes;
  if (probes) {
    const t0 = Date.parse(r.startedAt);
    const span = Date.parse(r.endedAt!) - t0;
    const reasons = Object.entries(probes.reasons).flatMap(([reason, n]) => Array<string>(n).fill(reason));
    const counts: Array<[ProbeOutcome, number]> = [
      ['admitted', probes.admitted],
      ['rejected', probes.rejected],
      ['error', probes.errors],
    ];
    for (const [outcome, n] of counts) {
      const l = probes.latencyByOutcome[outcome];
      for (let k = 0; k < n; k++)
        add({
          measurement: 'rb_admission_probe',
          tags: {
            outcome,
            // the first `mutated` admitted probes were mutated
            mutated: String(outcome === 'admitted' && k < probes.mutated),
            reason: outcome === 'admitted' ? '' : (reasons.shift() ?? ''),
          },
          fields: { latency_ms: l ? [l.p50, l.p90, l.p99, l.max][k % 4]! : 0 },
          time: t0 + Math.round((span * (k + 0.5)) / n),
        });
    }
  }
  return points;
}

/** One database for the demo run and the recorded chaos runs (different run ids), dropped at the end. */
beforeAll(async () => {
  expect((await influx('/query', { q: `CREATE DATABASE ${DB}` }, '')).status).toBe(200);
  for (let i = 0; i < lines.length; i += 5000) {
    const r = await influx('/write', { db: DB, precision: 'ns' }, lines.slice(i, i + 5000).join('\n'));
    expect(r.status, r.text).toBe(204);
  }
  const synthetic = syntheticAdmission();
  if (synthetic.length) {
    const r = await influx('/write', { db: DB, precision: 'ns' }, synthetic.map(toLine).join('\n'));
    expect(r.status, r.text).toBe(204);
  }
  for (const run of chaosRuns) {
    const r = await influx('/write', { db: DB, precision: 'ns' }, chaosPoints(run).map(toLine).join('\n'));
    expect(r.status, r.text).toBe(204);
  }
});

afterAll(async () => {
  await influx('/query', { q: `DROP DATABASE ${DB}` }, '');
});

describe('Grafana dashboard queries on influxd 1.8 with the stored demo run', () => {
  it('the demo run is stored whole, and only the admission measurements are synthetic', async () => {
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => l.includes(`,run=${record.id}`))).toBe(true);
    expect(await rows(`SELECT count("duration_s") FROM "rb_phase" WHERE "run" = '${record.id}'`)).toBe(1);
    const queried = new Set(uses.map((u) => /FROM "(\w+)"/.exec(u.query)![1]!));
    for (const m of queried)
      if (!m.startsWith('rb_admission_')) expect(stored, `the demo run has no ${m} points`).toContain(m);
  });

  it.each(uses.map((u) => [u.where, u.query] as const))('%s returns rows', async (_where, query) => {
    const q = substitute(query);
    expect(await rows(q), q).toBeGreaterThan(0);
  });

  it('per-run queries return nothing for another run id (the $run filter is applied)', async () => {
    const perRun = uses.filter((u) => u.query.includes('$run') && u.kind !== 'variable');
    expect(perRun.length).toBeGreaterThan(5);
    for (const u of perRun) expect(await rows(substitute(u.query, `${record.id}-other`)), u.where).toBe(0);
  });

  it('panel queries return nothing for a time range after the run ($timeFilter is applied)', async () => {
    const panels = uses.filter((u) => u.kind === 'panel');
    const hour = 3_600_000_000_000n;
    for (const u of panels) expect(await rows(substitute(u.query, record.id, end + 1n, end + hour)), u.where).toBe(0);
  });
});

describe('the chaos dashboard on influxd 1.8 with the recorded chaos runs', () => {
  const range = (r: RunRecord) =>
    [BigInt(Date.parse(r.startedAt)) * 1_000_000n, BigInt(Date.parse(r.endedAt!)) * 1_000_000n] as const;
  const chaosRows = (query: string, r: RunRecord, run = r.id, from = range(r)[0], to = range(r)[1]) =>
    rows(substitute(query, run, from, to, r));
  const figuresTable = chaosUses.find((u) => u.where === 'chaos.json panel "Figures of the run"')!;

  it('has the recorded chaos runs, and their points are in the schema', () => {
    expect(chaosRuns.map((r) => r.suite.name).sort()).toEqual([
      'admission-paralysis',
      'admission-paralysis',
      'cpu-saturation',
      'cpu-saturation',
      'kyverno-kill',
      'postgres-delay',
    ]);
    for (const r of chaosRuns) for (const p of chaosPoints(r)) expect(schemaProblems(p), p.measurement).toEqual([]);
    expect(chaosUses.filter((u) => u.kind === 'panel').length).toBeGreaterThanOrEqual(5);
  });

  it.each(chaosUses.map((u) => [u.where, u.query] as const))(
    '%s returns rows for a recorded chaos run',
    async (_where, query) => {
      const counts = await Promise.all(chaosRuns.map((r) => chaosRows(query, r)));
      expect(
        Math.max(...counts),
        substitute(query, chaosRuns[0]!.id, ...range(chaosRuns[0]!), chaosRuns[0]),
      ).toBeGreaterThan(0);
    },
  );

  it('the figures table has one row per figure of each run, with the recorded value and its unit', async () => {
    for (const r of chaosRuns) {
      const figures = Object.entries(r.summary).flatMap(([k, v]) => figurePoints(k, v));
      expect(await chaosRows(figuresTable.query, r), r.id).toBe(figures.length);
    }
    const fail = chaosRuns.find((r) => r.id === '20261201-190359-108-84ab')!;
    const res = await influx('/query', {
      db: DB,
      q: substitute(
        figuresTable.query.replace('GROUP BY', `AND "figure" = 'paralysis.admission.rejectionRate' GROUP BY`),
        fail.id,
        ...range(fail),
        fail,
      ),
    });
    const series = (
      JSON.parse(res.text) as {
        results: Array<{ series?: Array<{ tags: Record<string, string>; values: unknown[][] }> }>;
      }
    ).results[0]!.series!;
    expect(series.map((s) => [s.tags.unit, s.values[0]![1]])).toEqual([['share', 0.6]]);
  });

  it('the steps and faults of every run, and the restarts of postgres-delay, are on the dashboard', async () => {
    const panel = (title: string) => chaosUses.find((u) => u.where === `chaos.json panel "${title}"`)!.query;
    for (const r of chaosRuns) {
      expect(await chaosRows(panel('Steps'), r), r.id).toBe(r.phases.length);
      expect(await chaosRows(panel('Faults'), r), r.id).toBe(
        r.faults.filter((f) => f.appliedAt).length + r.faults.filter((f) => f.rolledBackAt).length,
      );
    }
    const pg = chaosRuns.find((r) => r.suite.name === 'postgres-delay')!;
    const restarts = (pg.summary.collectors as { restarts: RestartsSummary }).restarts;
    expect(await chaosRows(panel('Restarts by app and fault'), pg)).toBe(
      new Set(
        restarts.records.map((x) => {
          const t = restartPoint(x).tags;
          return [t.app, t.classification, t.reason, t.fault].join('|');
        }),
      ).size,
    );
  });

  it('per-run queries return nothing for another run id, panels nothing after the run', async () => {
    const perRun = chaosUses.filter((u) => u.query.includes('$run') && u.kind !== 'variable');
    expect(perRun.length).toBeGreaterThan(5);
    const hour = 3_600_000_000_000n;
    for (const r of chaosRuns) {
      for (const u of perRun) expect(await chaosRows(u.query, r, `${r.id}-other`), u.where).toBe(0);
      const after = range(r)[1];
      for (const u of chaosUses.filter((x) => x.kind === 'panel'))
        expect(await chaosRows(u.query, r, r.id, after + 1n, after + hour), u.where).toBe(0);
    }
  });
});
