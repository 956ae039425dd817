/**
 * Every InfluxQL query of the Grafana dashboards (panels, variables, the fault annotation) runs on a
 * real influxd 1.8 against the stored demo rebuild run and returns rows, with the template
 * variables substituted the way Grafana does.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDashboards, queriesOf } from '../../grafana/dashboards.ts';
import { toLine } from '../../record/line-protocol.ts';
import type { Point } from '../../record/point.ts';

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

const uses = Object.entries(buildDashboards()).flatMap(([file, d]) => queriesOf(file, d));

/** How Grafana's InfluxDB data source escapes a value for a `=~ /^$var$/` regex. */
const regexEscape = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

function substitute(query: string, run = record.id, from = start, to = end): string {
  const vars: Record<string, string> = {
    run: regexEscape(run),
    suite: regexEscape(record.suite.name),
    cluster: regexEscape(record.cluster.name),
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

describe('Grafana dashboard queries on influxd 1.8 with the stored demo run', () => {
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
  });

  afterAll(async () => {
    await influx('/query', { q: `DROP DATABASE ${DB}` }, '');
  });

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
