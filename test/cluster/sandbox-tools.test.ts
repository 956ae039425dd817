import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const influxUrl = inject('sandboxInfluxUrl');
const k6 = join(inject('sandboxBinDir'), 'k6');

interface QueryResult {
  results: Array<{ error?: string; series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }>;
}

async function influxQuery(q: string, db?: string): Promise<QueryResult> {
  const params = new URLSearchParams({ q, ...(db ? { db } : {}), epoch: 'ms' });
  const r = await fetch(`${influxUrl}/query?${params.toString()}`, {
    method: q.startsWith('SELECT') || q.startsWith('SHOW') ? 'GET' : 'POST',
  });
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as QueryResult;
}

describe('InfluxDB (real influxd 1.8)', () => {
  beforeAll(async () => {
    const created = await influxQuery('CREATE DATABASE rebuild_bench');
    expect(created.results[0]?.error).toBeUndefined();
  });

  it('stores points written with @influxdata/influxdb-client and returns them from /query', async () => {
    const run = `t${randomBytes(4).toString('hex')}`;
    const t = Date.now() - 60_000;
    const writer = new InfluxDB({ url: influxUrl, token: '' }).getWriteApi('', 'rebuild_bench/autogen', 'ms');
    writer.writePoint(
      new Point('sandbox_probe').tag('run', run).tag('node', 'obsy').floatField('value', 1.5).timestamp(new Date(t)),
    );
    writer.writePoint(
      new Point('sandbox_probe')
        .tag('run', run)
        .tag('node', 'onyx')
        .floatField('value', 2.5)
        .intField('restarts', 3)
        .timestamp(new Date(t + 1000)),
    );
    await writer.close();

    const r = await influxQuery(
      `SELECT "value", "restarts", "node" FROM "sandbox_probe" WHERE "run" = '${run}' ORDER BY time ASC`,
      'rebuild_bench',
    );
    const series = r.results[0]?.series?.[0];
    expect(series?.columns).toEqual(['time', 'value', 'restarts', 'node']);
    expect(series?.values).toEqual([
      [t, 1.5, null, 'obsy'],
      [t + 1000, 2.5, 3, 'onyx'],
    ]);
  });

  it('returns nothing for a run that wrote nothing', async () => {
    const r = await influxQuery(`SELECT * FROM "sandbox_probe" WHERE "run" = 'never-written'`, 'rebuild_bench');
    expect(r.results[0]?.series).toBeUndefined();
  });
});

describe('k6', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'rebuild-bench-k6-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const script = resolve(import.meta.dirname, '../../suites/k6/smoke.ts');
  const run = (token: string, iterations: number, summary: string) =>
    execa(
      k6,
      ['run', '--address', '', '--no-usage-report', '--quiet', '--no-color', '--summary-export', summary, script],
      {
        reject: false,
        all: true,
        cwd: work,
        env: {
          HOME: work,
          K8S_API: inject('sandboxApiserverUrl'),
          K8S_TOKEN: token,
          // TLS is verified: k6 (Go) takes the sandbox CA from SSL_CERT_FILE.
          SSL_CERT_FILE: join(inject('sandboxDir'), 'pki', 'ca.crt'),
          EXPECT_VERSION: inject('sandboxKubernetesVersion'),
          ITERATIONS: String(iterations),
        },
        timeout: 120_000,
      },
    );

  it('`k6 version` from the cache reports the pinned version', async () => {
    const r = await execa(k6, ['version']);
    expect(r.stdout).toContain(`k6 ${inject('sandboxK6Version')}`);
  });

  it('runs the TypeScript smoke script against the sandbox API and passes', async () => {
    const summary = join(work, 'ok.json');
    const r = await run(inject('sandboxToken'), 5, summary);
    expect(r.exitCode, r.all).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { metrics: Record<string, Record<string, number>> };
    expect(s.metrics.iterations?.count).toBe(5);
    expect(s.metrics.http_reqs?.count).toBe(5);
    expect(s.metrics.checks?.passes).toBe(10);
    expect(s.metrics.checks?.fails).toBe(0);
  });

  it('fails (non-zero exit) when the API rejects the token', async () => {
    const r = await run('not-a-valid-token', 2, join(work, 'bad.json'));
    expect(r.exitCode, r.all).not.toBe(0);
  });
});
