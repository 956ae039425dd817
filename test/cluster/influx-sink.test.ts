/**
 * The InfluxDB sink and `rebuild-bench push` against real influxd 1.8 on loopback: points arrive
 * and can be counted back; an outage (our own influxd, stopped and restarted) loses nothing; a slow
 * or refusing InfluxDB is spooled and replayed in order; push sends exactly the stored points.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InfluxConfig } from '../../engine/config-schema.ts';
import { silentLogger } from '../../core/logger.ts';
import { redact } from '../../core/redact.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { newRunId } from '../../record/run-id.ts';
import { influxConfig, influxdArgs, LOOPBACK } from '../../sandbox/flags.ts';
import { pickFreePorts } from '../../sandbox/ports.ts';
import { procState, spawnDetached, stopProcess, type ProcessRecord } from '../../sandbox/processes.ts';
import { InfluxSink, REJECTED_FILE, SPOOL_FILE } from '../../sinks/influx.ts';
import { parseLine } from '../../record/line-protocol.ts';
import type { Point, PointSink } from '../../record/point.ts';
import { pushRun } from '../../sinks/push.ts';
import { createRunDir, PointFile, writeRunRecord } from '../../sinks/run-store.ts';
import { POINTS_FILE, readPoints } from '../../record/store.ts';

const influxUrl = inject('sandboxInfluxUrl');
const binDir = inject('sandboxBinDir');
const repoRoot = resolve(import.meta.dirname, '..', '..');
const DB = 'rebuild_bench';
const BUCKET = 'rebuild_bench/autogen';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const temps: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

function cfg(url: string, extra: Partial<InfluxConfig> = {}): InfluxConfig {
  return { url, org: '', bucket: BUCKET, tokenEnv: 'RB_TEST_INFLUX_TOKEN', timeoutMs: 2000, ...extra };
}

async function influxQuery(url: string, q: string): Promise<any> {
  const params = new URLSearchParams({ q, db: DB, epoch: 'ms' });
  const r = await fetch(`${url}/query?${params.toString()}`, { method: q.startsWith('SELECT') ? 'GET' : 'POST' });
  const body = await r.text();
  expect(r.status, body).toBe(200);
  return JSON.parse(body);
}

/** Points of one run in InfluxDB: `SELECT count(*)` over the one field our test points carry. */
async function countRun(url: string, run: string): Promise<number> {
  const r = await influxQuery(url, `SELECT count(*) FROM "rb_app" WHERE "run" = '${run}'`);
  expect(r.results[0]?.error).toBeUndefined();
  return (r.results[0]?.series?.[0]?.values?.[0]?.[1] as number | undefined) ?? 0;
}

/** `n` distinct points (distinct series+time) of one run, starting at index `from`. */
function points(run: string, from: number, n: number, t0: number): Point[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      measurement: 'rb_app',
      tags: {
        run,
        suite: 'influx-test',
        cluster: 'sandbox',
        app: `app-${i % 40}`,
        wave: String(i % 7),
        event: 'synced',
        source: 'watch',
      },
      fields: { offset_s: i / 10 },
      time: t0 + i,
    };
  });
}

/** The run store and InfluxDB side by side, like the engine fans out to its sinks. */
function fanOut(sinks: PointSink[]) {
  return (ps: Point[]) => sinks.forEach((s) => s.write(ps));
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - t0;
}

function runRecord(id: string, status: RunRecord['status'] = 'completed'): RunRecord {
  const now = new Date().toISOString();
  return {
    schemaVersion: 1,
    id,
    tool: { name: 'rebuild-bench', version: '0.0.0-test' },
    suite: { name: 'influx-test', source: 'test', destructive: false, description: 'points for push' },
    cluster: {
      name: 'sandbox',
      context: null,
      kubeconfig: null,
      server: null,
      serverVersion: null,
      allowDestructive: false,
    },
    options: {},
    dryRun: false,
    host: 'test-host',
    pid: 1,
    startedAt: now,
    endedAt: now,
    durationMs: 0,
    status,
    phases: [],
    faults: [],
    checks: [],
    verdict: { outcome: 'passed', reasons: [] },
    validity: { valid: true, reasons: [] },
    summary: {},
    error: null,
    exitCode: 0,
  };
}

/** A second influxd of our own (its own data dir and port), for outages. */
class OwnInfluxd {
  readonly dir = tempDir('rb-influxd-');
  readonly conf = join(this.dir, 'influxdb.conf');
  rec: ProcessRecord | undefined;
  url = '';

  async start(): Promise<number> {
    if (!this.url) {
      const [http, rpc] = await pickFreePorts(2);
      writeFileSync(this.conf, influxConfig(join(this.dir, 'data'), http!, rpc!));
      this.url = `http://${LOOPBACK}:${http}`;
    }
    const t0 = Date.now();
    const port = Number(new URL(this.url).port);
    this.rec = spawnDetached(
      {
        name: 'influxd',
        bin: join(binDir, 'influxd'),
        args: influxdArgs(this.conf),
        log: join(this.dir, 'influxd.log'),
      },
      { http: port },
    ).record;
    await until(
      async () => {
        try {
          return (await fetch(`${this.url}/ping`)).status === 204;
        } catch {
          return false;
        }
      },
      30_000,
      `influxd /ping at ${this.url}`,
    );
    return Date.now() - t0;
  }

  async stop(): Promise<void> {
    if (!this.rec) return;
    const out = await stopProcess(this.rec, this.dir, 10_000);
    expect(['term', 'kill', 'not-running']).toContain(out.result);
    expect(procState(this.rec.pid)).not.toBe('running');
    this.rec = undefined;
  }
}

describe('InfluxDB sink (real influxd 1.8)', () => {
  const own = new OwnInfluxd();
  let fake: Server | undefined;

  beforeAll(async () => {
    await influxQuery(influxUrl, `CREATE DATABASE ${DB}`);
  });

  afterAll(async () => {
    await own.stop().catch(() => {});
    fake?.close();
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  it('writes every point, readable back with SELECT count(*)', async () => {
    const run = `a${randomBytes(4).toString('hex')}`;
    const runDir = tempDir('rb-influx-run-');
    const sink = new InfluxSink({ config: cfg(influxUrl), runDir, log: silentLogger });
    const N = 50_000;
    const t0 = Date.now() - 3_600_000;
    const started = performance.now();
    for (let i = 0; i < N; i += 1000) sink.write(points(run, i, 1000, t0));
    await sink.close();
    const secs = (performance.now() - started) / 1000;
    console.log(`influx sink: ${N} points in ${secs.toFixed(2)}s = ${Math.round(N / secs)} points/s`);

    expect(sink.stats()).toMatchObject({ written: N, pending: 0, spooled: 0, rejected: 0, failures: 0 });
    expect(sink.summary()).toEqual({ written: N, pending: 0 });
    expect(existsSync(join(runDir, SPOOL_FILE))).toBe(false);
    expect(await countRun(influxUrl, run)).toBe(N);
  });

  it('outage: points written while influxd is stopped are spooled, then all arrive after it restarts', async () => {
    await own.start();
    await influxQuery(own.url, `CREATE DATABASE ${DB}`);
    const run = `b${randomBytes(4).toString('hex')}`;
    const runDir = tempDir('rb-influx-run-');
    const store = new PointFile(join(runDir, POINTS_FILE));
    const sink = new InfluxSink({
      config: cfg(own.url, { timeoutMs: 1000 }),
      runDir,
      log: silentLogger,
      flushIntervalMs: 100,
      retryMinMs: 200,
      retryMaxMs: 1000,
    });
    const emit = fanOut([store, sink]);
    const t0 = Date.now() - 3_600_000;
    let next = 0;
    const produce = (n: number) => {
      emit(points(run, next, n, t0));
      next += n;
    };

    produce(2000);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 2000, pending: 0 });

    await own.stop();
    // Keep writing through the outage, as collectors do: nothing throws, nothing is lost.
    for (let k = 0; k < 10; k++) {
      produce(500);
      await sink.flush();
      await sleep(100);
    }
    expect(sink.pending()).toBe(5000);
    expect(sink.stats().down).toBe(true);
    expect(sink.stats().failures).toBeGreaterThan(0);
    const spool = join(runDir, SPOOL_FILE);
    expect(readFileSync(spool, 'utf8').split('\n').filter(Boolean)).toHaveLength(5000);

    const restartMs = await own.start();
    const upAt = Date.now();
    produce(1000); // written after the restart: queued behind the spool
    const recoveryMs = await until(() => sink.pending() === 0, 30_000, 'the spool to drain');
    console.log(
      `influx sink outage: influxd restart ${restartMs} ms; spool of 5000 (+1000 new) replayed ${recoveryMs} ms after /ping answered (retry back-off ≤ 1 s)`,
    );
    expect(Date.now() - upAt).toBeLessThan(10_000);

    await sink.close();
    await store.close();
    expect(existsSync(spool)).toBe(false);
    const stored = readPoints(runDir).length;
    expect(stored).toBe(8000);
    expect(store.written).toBe(8000);
    expect(sink.summary()).toEqual({ written: 8000, pending: 0 });
    expect(await countRun(own.url, run)).toBe(stored);
  });

  it('outage past close(): close() gives up within its budget, the spool stays, push --since-spool delivers it', async () => {
    await influxQuery(own.url, `CREATE DATABASE ${DB}`);
    const run = `c${randomBytes(4).toString('hex')}`;
    const home = tempDir('rb-influx-home-');
    const id = newRunId();
    const runDir = createRunDir(home, id);
    const record = runRecord(id, 'running');
    writeRunRecord(runDir, record);
    const store = new PointFile(join(runDir, POINTS_FILE));
    const sink = new InfluxSink({
      config: cfg(own.url, { timeoutMs: 500 }),
      runDir,
      log: silentLogger,
      closeTimeoutMs: 1000,
      retryMinMs: 100,
    });
    const emit = fanOut([store, sink]);
    const t0 = Date.now() - 3_600_000;
    emit(points(run, 0, 1000, t0));
    await sink.flush();
    await own.stop();
    emit(points(run, 1000, 3000, t0));
    const c0 = Date.now();
    await sink.close();
    await store.close();
    const closeMs = Date.now() - c0;
    expect(closeMs).toBeLessThan(1000 + 500 + 1000); // budget + one request timeout + slack
    expect(sink.summary()).toEqual({ written: 1000, pending: 3000 });

    // What the engine records; a live run refuses --since-spool (its sink owns the spool).
    record.summary.influx = sink.summary();
    writeRunRecord(runDir, record);
    await expect(pushRun({ runDir, config: cfg(own.url), sinceSpool: true })).rejects.toThrow(/still live/);
    record.status = 'completed';
    writeRunRecord(runDir, record);

    await own.start();
    const progress: number[] = [];
    const result = await pushRun({
      runDir,
      config: cfg(own.url),
      sinceSpool: true,
      batchSize: 1000,
      onProgress: (p) => progress.push(p.sent),
    });
    expect(result).toMatchObject({ source: SPOOL_FILE, total: 3000, sent: 3000, rejected: 0, batches: 3 });
    expect(progress).toEqual([1000, 2000, 3000]);
    expect(existsSync(join(runDir, SPOOL_FILE))).toBe(false);
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).summary.influx).toEqual({
      written: 4000,
      pending: 0,
    });
    expect(await countRun(own.url, run)).toBe(4000);
    // Nothing pending any more: a second push sends nothing.
    expect((await pushRun({ runDir, config: cfg(own.url), sinceSpool: true })).sent).toBe(0);
  });

  it('slow and refusing InfluxDB: timed-out and 503 batches are spooled and replayed in order; malformed ones set aside', async () => {
    let mode: 'ok' | 'slow' | '503' | '400' = 'ok';
    const received: string[] = [];
    fake = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const m = mode;
        if (m === 'slow') return void setTimeout(() => res.writeHead(204).end(), 1500);
        if (m === '503')
          return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"overloaded"}');
        if (m === '400')
          return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unable to parse"}');
        received.push(...Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => fake!.listen(0, LOOPBACK, r));
    const port = (fake.address() as { port: number }).port;
    const runDir = tempDir('rb-influx-run-');
    const secret = `s3cr3t-${randomBytes(6).toString('hex')}`;
    const logged: string[] = [];
    const log = {
      ...silentLogger,
      warn: (m: string) => logged.push(redact(m)),
      info: (m: string) => logged.push(redact(m)),
      debug: (m: string) => logged.push(redact(m)),
    };
    const sink = new InfluxSink({
      config: cfg(`http://${LOOPBACK}:${port}`, { timeoutMs: 300 }),
      runDir,
      log,
      env: { RB_TEST_INFLUX_TOKEN: secret },
      flushIntervalMs: 50,
      retryMinMs: 100,
      retryMaxMs: 200,
    });
    const t0 = 1_700_000_000_000;
    const run = 'order';
    const batch = (from: number) => points(run, from, 100, t0);

    sink.write(batch(0));
    await sink.flush();
    mode = 'slow';
    sink.write(batch(100));
    await sink.flush(); // times out: spooled
    mode = '503';
    await sleep(250);
    sink.write(batch(200));
    await sink.flush(); // 503 (or still in back-off): spooled
    expect(sink.pending()).toBe(200);
    expect(sink.stats().down).toBe(true);
    mode = 'ok';
    sink.write(batch(300));
    await until(() => sink.pending() === 0, 10_000, 'replay');
    mode = '400';
    sink.write(batch(400));
    await sink.flush();
    mode = 'ok';
    sink.write(batch(500));
    await sink.close();

    // Every accepted point once per attempt that reached us, in the order written; the timed-out
    // batch may also have been received (InfluxDB dedups it): compare distinct lines in first-seen order.
    const distinct = [...new Set(received)].map((l) => parseLine(l).fields.offset_s as number);
    const expected = [
      ...Array.from({ length: 400 }, (_, i) => i),
      ...Array.from({ length: 100 }, (_, i) => 500 + i),
    ].map((i) => i / 10);
    expect(distinct).toEqual(expected);
    // Spooled: the timed-out batch, the 503 batch, and the batch written while they were pending
    // (queued behind them to keep the order).
    expect(sink.stats()).toMatchObject({ written: 500, pending: 0, rejected: 100, spooled: 300 });
    expect(readFileSync(join(runDir, REJECTED_FILE), 'utf8').split('\n').filter(Boolean)).toHaveLength(100);
    expect(logged.join('\n')).toMatch(/cannot write/);
    expect(logged.join('\n')).not.toContain(secret);
  });

  it('push <run> sends exactly the stored points through the real CLI, idempotently; no influx: section → exit 2', async () => {
    const run = `d${randomBytes(4).toString('hex')}`;
    const home = tempDir('rb-influx-home-');
    const id = newRunId();
    const runDir = createRunDir(home, id);
    writeRunRecord(runDir, runRecord(id));
    const store = new PointFile(join(runDir, POINTS_FILE));
    const N = 12_345;
    store.write(points(run, 0, N, Date.now() - 7_200_000));
    await store.close();
    const cfgFile = join(home, 'rebuild-bench.yaml');
    writeFileSync(cfgFile, `influx:\n  url: ${influxUrl}\n  bucket: ${BUCKET}\n`);
    const cli = (args: string[]) =>
      execa('node', [join(repoRoot, 'bin', 'rebuild-bench.js'), ...args], {
        cwd: home,
        reject: false,
        env: { REBUILD_BENCH_CONFIG: '' },
        stdin: 'ignore',
      });

    const first = await cli(['push', id, '--home', home, '--config', cfgFile]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain(`sent ${N} of ${N} points from points.lp`);
    expect(first.stderr).toContain(`batch 3/3: ${N}/${N} points (100%`);
    expect(first.stderr).toContain(`batch 1/3: 5000/${N} points`);
    expect(await countRun(influxUrl, run)).toBe(N);

    const again = await cli(['push', 'last', '--home', home, '--config', cfgFile, '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    const pushed = JSON.parse(again.stdout);
    expect(pushed).toMatchObject({ run: id, source: 'points.lp', total: N, sent: N, batches: 3 });
    console.log(`push: ${N} points in ${pushed.seconds}s = ${pushed.pointsPerSecond} points/s`);
    expect(await countRun(influxUrl, run)).toBe(N); // same series + time: stored once

    const noInflux = join(home, 'plain.yaml');
    writeFileSync(noInflux, 'target:\n  minMinutes: 30\n');
    const bad = await cli(['push', id, '--home', home, '--config', noInflux]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/no influx: section/);
    expect(bad.stderr).toContain('tokenEnv');

    const help = await cli(['push', '--help']);
    expect(help.stdout).toContain('--since-spool');
    expect(help.stdout).toContain('push last');
  });
});
