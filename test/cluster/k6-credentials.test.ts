/**
 * k6 as the admission-paralysis suite runs it, against the sandbox's real kube-apiserver and a real
 * influxd 1.8 with authentication: the kubeconfig's client certificate (k6 tlsAuth, no token), TLS
 * verified against the cluster CA, no credential on k6's command line, a k6 of an unsupported
 * version refused, and k6's samples in an authenticated InfluxDB through the project's own sink.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiAccess, type ApiAccess } from '../../cluster/credentials.ts';
import { K6Error, k6Points, runK6, type K6Sample } from '../../cluster/k6.ts';
import { loadKube } from '../../cluster/kube.ts';
import { silentLogger } from '../../core/logger.ts';
import { influxConfig, influxdArgs, LOOPBACK } from '../../sandbox/flags.ts';
import { pickFreePorts } from '../../sandbox/ports.ts';
import { spawnDetached, stopProcess, type ProcessRecord } from '../../sandbox/processes.ts';
import { InfluxSink } from '../../sinks/influx.ts';

const script = resolve(import.meta.dirname, '../../suites/k6/admission-load.ts');
const k6 = join(inject('sandboxBinDir'), 'k6');
const stages = JSON.stringify([
  { duration: '1s', target: 2 },
  { duration: '2s', target: 2 },
]);
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A k6 that records its command line (what `ps` shows), then runs the real one. */
function recordingK6(): { bin: string; argv: () => string } {
  const dir = tempDir('rb-k6-argv-');
  const log = join(dir, 'argv.log');
  const bin = join(dir, 'k6');
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${k6}' "$@"\n`);
  chmodSync(bin, 0o755);
  return { bin, argv: () => readFileSync(log, 'utf8') };
}

describe('k6 credentials and TLS (real k6, real kube-apiserver)', () => {
  let api: ApiAccess;

  beforeAll(async () => {
    // The sandbox kubeconfig authenticates with a client certificate, like a Talos kubeconfig.
    api = await apiAccess(loadKube({ kubeconfig: inject('sandboxKubeconfig') }).kc);
  });

  it('a client-certificate kubeconfig works (tlsAuth, no token), TLS verified, no credential on the command line', async () => {
    expect(api.token).toBeUndefined();
    expect(api.cert).toContain('BEGIN CERTIFICATE');
    expect(api.ca).toContain('BEGIN CERTIFICATE');
    expect(api.insecure).toBe(false);
    const rec = recordingK6();
    const lines: string[] = [];
    const r = await runK6({
      script,
      bin: rec.bin,
      api,
      env: { NAMESPACE: 'default', RUN_ID: `k6c-${randomBytes(3).toString('hex')}`, STAGES: stages },
      tags: {},
      workDir: tempDir('rb-k6-cert-'),
      onLine: (l) => lines.push(l),
    });
    expect(r.exitCode, lines.slice(-10).join('\n')).toBe(0);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.failedRate).toBe(0);
    expect(r.rejectedRate).toBe(0);
    const argv = rec.argv();
    expect(argv).toMatch(/^run /m);
    const keyLine = api.key!.split('\n').find((l) => l.length > 20 && !l.startsWith('-----'))!;
    expect(argv).not.toContain(keyLine);
    expect(argv).not.toContain('BEGIN');
    for (const l of lines) expect(l).not.toContain(keyLine);
  });

  it('TLS is verified: with a CA that did not sign the API server, every request fails (x509)', async () => {
    const dir = tempDir('rb-k6-ca-');
    await execa(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
        '-subj',
        '/CN=not-the-cluster-ca',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'ca.pem'),
      ]),
    );
    const lines: string[] = [];
    const r = await runK6({
      script,
      bin: k6,
      api: { ...api, ca: readFileSync(join(dir, 'ca.pem'), 'utf8') },
      env: { NAMESPACE: 'default', STAGES: stages },
      tags: {},
      workDir: join(dir, 'work'),
      onLine: (l) => lines.push(l),
    });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.failedRate).toBe(1);
    expect(lines.join('\n')).toMatch(/x509|certificate signed by unknown authority|tls/i);
  });

  it('a k6 on PATH outside the supported range is refused with a clear message', async () => {
    const dir = tempDir('rb-k6-old-');
    writeFileSync(join(dir, 'k6'), '#!/bin/sh\necho "k6 v0.49.0 (go1.21.6, linux/amd64)"\n');
    chmodSync(join(dir, 'k6'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path ?? ''}`;
    try {
      const err = await runK6({ script, bin: 'k6', api, env: {}, tags: {}, workDir: join(dir, 'work') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(K6Error);
      expect((err as Error).message).toMatch(
        /k6 v0\.49\.0 at k6 \(from PATH\) is outside the supported range \(>= 1\.0\.0 and < 2\.0\.0\): run `rebuild-bench sandbox install`/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});

/** influxd 1.8 of our own with `auth-enabled = true` and an admin user. */
class AuthInfluxd {
  readonly dir = tempDir('rb-influxd-auth-');
  rec: ProcessRecord | undefined;
  url = '';
  readonly user = 'rb-admin';
  readonly password = `pw-${randomBytes(8).toString('hex')}`;

  async start(): Promise<void> {
    const [http, rpc] = await pickFreePorts(2);
    const conf = join(this.dir, 'influxdb.conf');
    const text = influxConfig(join(this.dir, 'data'), http!, rpc!);
    expect(text).toContain('auth-enabled = false');
    writeFileSync(conf, text.replace('auth-enabled = false', 'auth-enabled = true'));
    this.url = `http://${LOOPBACK}:${http}`;
    this.rec = spawnDetached(
      {
        name: 'influxd',
        bin: join(inject('sandboxBinDir'), 'influxd'),
        args: influxdArgs(conf),
        log: join(this.dir, 'influxd.log'),
      },
      { http: http! },
    ).record;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/ping`)).status === 204) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`influxd did not answer at ${this.url}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // With auth on and no user yet, influxd accepts exactly one statement without credentials: the first admin.
    await this.query(`CREATE USER "${this.user}" WITH PASSWORD '${this.password}' WITH ALL PRIVILEGES`, false);
    await this.query('CREATE DATABASE rebuild_bench');
  }

  async query(q: string, auth = true): Promise<{ status: number; body: any }> {
    const params = new URLSearchParams({ q, db: 'rebuild_bench', ...(auth ? { u: this.user, p: this.password } : {}) });
    const r = await fetch(`${this.url}/query?${params.toString()}`, {
      method: q.startsWith('SELECT') ? 'GET' : 'POST',
    });
    return { status: r.status, body: await r.json() };
  }

  async stop(): Promise<void> {
    if (this.rec) await stopProcess(this.rec, this.dir, 10_000);
  }
}

describe('k6 samples in InfluxDB 1.8 with authentication, through the project sink', () => {
  const influx = new AuthInfluxd();
  beforeAll(() => influx.start(), 60_000);
  afterAll(() => influx.stop());

  it('every admission_latency sample of the run is in InfluxDB, and InfluxDB really refuses anonymous reads', async () => {
    const api = await apiAccess(loadKube({ kubeconfig: inject('sandboxKubeconfig') }).kc);
    const run = `k6i-${randomBytes(3).toString('hex')}`;
    const runDir = tempDir('rb-k6-influx-run-');
    const env = { RB_TEST_K6_INFLUX_TOKEN: `${influx.user}:${influx.password}` };
    const sink = new InfluxSink({
      config: {
        url: influx.url,
        org: '',
        bucket: 'rebuild_bench/autogen',
        tokenEnv: 'RB_TEST_K6_INFLUX_TOKEN',
        timeoutMs: 5000,
      },
      runDir,
      log: silentLogger,
      env,
    });
    const samples: K6Sample[] = [];
    const k6Point = k6Points();
    const r = await runK6({
      script,
      bin: k6,
      api,
      env: { NAMESPACE: 'default', RUN_ID: run, STAGES: stages },
      tags: { run },
      workDir: join(runDir, 'k6'),
      onSample: (s) => {
        samples.push(s);
        const p = k6Point(s);
        sink.write([{ ...p, tags: { ...p.tags, run, suite: 'admission-paralysis', cluster: 'sandbox' } }]);
      },
    });
    await sink.close();
    expect(r.exitCode).toBe(0);
    expect(sink.stats(), JSON.stringify(sink.stats())).toMatchObject({ written: samples.length, invalid: 0 });
    expect(sink.stats().pending).toBe(0);

    const anonymous = await influx.query(`SELECT count("value") FROM "rb_k6" WHERE "run" = '${run}'`, false);
    expect(anonymous.status).toBe(401);
    const q = await influx.query(
      `SELECT count("value") FROM "rb_k6" WHERE "run" = '${run}' AND "metric" = 'admission_latency' GROUP BY "outcome"`,
    );
    expect(q.status).toBe(200);
    const series = (q.body.results[0]?.series ?? []) as Array<{
      tags: { outcome: string };
      values: Array<[string, number]>;
    }>;
    expect(series.map((s) => s.tags.outcome)).toEqual(['admitted']);
    expect(series[0]!.values[0]![1]).toBe(r.iterations);
  });
});
