/**
 * Runs a k6 script (suites/k6/*.ts) as a child process, streams its samples, and reads its
 * end-of-test summary.
 *
 * Flags: `run --no-usage-report --no-color --address '' --summary-mode compact
 *   --summary-trend-stats avg,min,med,max,p(90),p(95),p(99) --summary-export <workDir>/k6-summary.json
 *   --out json=<workDir>/k6-samples.json [--tag k=v …] <script>`
 * - --address '': no REST API listener (the default localhost:6565 collides when two runs overlap).
 * - --summary-export writes the legacy JSON summary, the one that k6 1.8 fills completely: every trend
 *   stat named by --summary-trend-stats (p(99) included), counter rates, and each threshold's result
 *   (`true` = crossed). The opt-in --new-machine-readable-summary of k6 1.8 ignores
 *   --summary-trend-stats (no p99), has no thresholds nor rates, and embeds the whole script source.
 * - Samples: k6's JSON output is tailed while k6 runs and each sample of `sampleMetrics` is handed to
 *   `onSample`; the suites turn them into rb_k6 points, so they go where every other point goes (the
 *   run store and the project's InfluxDB sink: 1.8 with or without authentication, 2.x, 3.x). k6's
 *   own `-o influxdb` speaks only the 1.x API without credentials, and an output extension would
 *   mean building a second k6 with xk6 and handing it the InfluxDB credentials; this way k6 never
 *   sees them.
 * - Credentials: `api` (cluster/credentials.ts apiAccess: token, client certificate, exec plugin)
 *   reaches the script through its environment only (K8S_TOKEN, K8S_CLIENT_CERT/K8S_CLIENT_KEY in
 *   PEM), never the command line; TLS is verified against the kubeconfig's CA (written to
 *   <workDir>/cluster-ca.pem and given to k6 as SSL_CERT_FILE), skipped only when the kubeconfig
 *   itself says insecure-skip-tls-verify.
 * - The process environment is not inherited (only PATH, HOME, locale, proxy and CA variables), so a
 *   stray K6_* variable of the caller cannot change a benchmark; `env` is the script's __ENV.
 * - The k6 binary's version must be in K6_SUPPORTED (checked once per binary); another is refused.
 *
 * Exit code 99 (thresholds crossed) is a result, not an error. Any other non-zero exit, or a missing
 * summary, throws K6Error. On abort, k6 gets SIGINT (it stops the scenarios, runs teardown and writes
 * the summary), then SIGKILL after 10 s; runK6 then throws AbortedError.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { ApiAccess } from './credentials.ts';
import { abortReason } from '../core/abortable.ts';
import { AbortedError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { cacheBinDir, isExecutable, resolveCacheDir } from '../core/cache-dir.ts';

export interface K6Latency {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface K6Result {
  /** 0, or 99 when a threshold was crossed. */
  exitCode: number;
  /** Every threshold held (and k6 did not exit 99). */
  thresholdsOk: boolean;
  iterations: number;
  /** HTTP requests (http_reqs). */
  requests: number;
  /** HTTP requests per second over the test run. */
  requestRate: number;
  /** Share of HTTP requests that failed (http_req_failed: status ≥ 400 or no response), 0..1. */
  failedRate: number;
  /** Share of creates rejected by admission (admission_rejected), null when the script has no such metric. */
  rejectedRate: number | null;
  /**
   * Latency of the successful HTTP requests (http_req_duration{expected_response:true} when the script has
   * a threshold on it, else http_req_duration), ms; null when no request succeeded.
   */
  latencyMs: K6Latency | null;
  /** Test run duration as k6 measured it (count / rate), else the process's wall time. */
  durationMs: number;
  /** `<metric>: <expression>` → true when the threshold held. */
  thresholds: Record<string, boolean>;
  summaryFile: string;
}

export interface RunK6Options {
  script: string;
  /** Default: k6Binary(). */
  bin?: string;
  /** The script's __ENV (STAGES, NAMESPACE, …; K8S_* come from `api`). */
  env: Record<string, string>;
  /** The API server and the credentials to use (cluster/credentials.ts apiAccess). */
  api?: ApiAccess;
  /** Tags on every sample (--tag k=v), e.g. { run: runId }. */
  tags: Record<string, string>;
  /** Each sample of `sampleMetrics`, as k6 records it (from its JSON output, while it runs). */
  onSample?: (s: K6Sample) => void;
  /** Metrics handed to onSample (default K6_SAMPLE_METRICS). */
  sampleMetrics?: readonly string[];
  /** Where k6 runs and writes k6-summary.json (created when missing). */
  workDir: string;
  signal?: AbortSignal;
  /** stdout and stderr of k6, line by line, with secrets masked. */
  onLine?: (line: string) => void;
  /** Values never to appear in a line passed to onLine or in an error message. */
  secrets?: string[];
}

/** One k6 sample: a metric's value at a time, with its tags. */
export interface K6Sample {
  metric: string;
  /** ms since the epoch. */
  time: number;
  value: number;
  tags: Record<string, string>;
}

/** The metrics worth a point each: requests, their latency and failure, the admission figures, load. */
export const K6_SAMPLE_METRICS = [
  'http_reqs',
  'http_req_duration',
  'http_req_failed',
  'admission_latency',
  'admission_rejected',
  'iterations',
  'vus',
] as const;

/** Sample tags kept on points (url is left out: one value per pod name). */
const KEPT_TAGS = ['name', 'method', 'status', 'expected_response', 'outcome', 'scenario', 'error_code'] as const;

/** The rb_k6 point of a sample (record/point-schema.ts). */
export function k6Point(s: K6Sample): {
  measurement: 'rb_k6';
  tags: Record<string, string>;
  fields: { value: number };
  time: number;
} {
  const tags: Record<string, string> = { metric: s.metric };
  for (const k of KEPT_TAGS) if (s.tags[k] !== undefined && s.tags[k] !== '') tags[k] = s.tags[k];
  return { measurement: 'rb_k6', tags, fields: { value: s.value }, time: s.time };
}

/**
 * k6Point for a whole run: InfluxDB keeps one point per series and timestamp, and k6 emits samples
 * of the same series within the same microsecond under load; each such sample is moved 1 µs after
 * the last one of its series so none is overwritten.
 */
export function k6Points(): (s: K6Sample) => ReturnType<typeof k6Point> {
  const last = new Map<string, number>();
  return (s) => {
    const p = k6Point(s);
    const key = JSON.stringify(Object.entries(p.tags).sort());
    const prev = last.get(key);
    if (prev !== undefined && p.time <= prev) p.time = Math.round((prev + 0.001) * 1000) / 1000;
    last.set(key, p.time);
    return p;
  };
}

/** Versions of k6 this module drives: 1.x (native TypeScript, --summary-mode; tested with v1.8.1). */
export const K6_SUPPORTED = { min: [1, 0, 0], below: [2, 0, 0], text: '>= 1.0.0 and < 2.0.0' } as const;

/** k6 exited with a code other than 0 or 99 (script error, bad options, …), or wrote no summary. */
export class K6Error extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    /** The last lines k6 printed (masked). */
    readonly tail: string[],
  ) {
    super(message);
    this.name = 'K6Error';
  }
}

export const K6_THRESHOLDS_CROSSED = 99;
const SUMMARY_FILE = 'k6-summary.json';
const SAMPLES_FILE = 'k6-samples.json';
const TREND_STATS = 'avg,min,med,max,p(90),p(95),p(99)';
const KILL_AFTER_MS = 10_000;
const passedEnv = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'LC_ALL',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];
const secretEnvKey = /TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|CREDENTIAL/i;

/** The toolchain cache's k6 (`rebuild-bench sandbox install` builds it) when present, else `k6` from PATH. */
export function k6Binary(env: NodeJS.ProcessEnv = process.env): string {
  const cached = join(cacheBinDir(resolveCacheDir(env)), 'k6');
  return isExecutable(cached) ? cached : 'k6';
}

const versions = new Map<string, Promise<string>>();

/** `k6 version` of a binary, checked against K6_SUPPORTED (once per binary); throws K6Error outside it. */
export async function checkK6Version(bin: string, env: Record<string, string>): Promise<string> {
  let p = versions.get(bin);
  if (!p) {
    p = (async () => {
      const r = await execa(bin, ['version'], { env, extendEnv: false, reject: false, stdin: 'ignore' });
      const m = /\bk6 v(\d+)\.(\d+)\.(\d+)/.exec(r.stdout ?? '');
      const where = bin.includes('/') ? bin : `${bin} (from PATH)`;
      if (r.exitCode === undefined || !m)
        throw new K6Error(
          `k6 not usable: ${where} ${r.exitCode === undefined ? `did not run (${r.shortMessage})` : `printed no version`}; run \`rebuild-bench sandbox install\` to build the supported k6 into the cache`,
          r.exitCode,
          [],
        );
      const v = [Number(m[1]), Number(m[2]), Number(m[3])];
      const cmp = (a: readonly number[], b: readonly number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
      const version = `v${v.join('.')}`;
      if (cmp(v, K6_SUPPORTED.min) < 0 || cmp(v, K6_SUPPORTED.below) >= 0)
        throw new K6Error(
          `k6 ${version} at ${where} is outside the supported range (${K6_SUPPORTED.text}): run \`rebuild-bench sandbox install\` to build the supported k6 into the cache, or put a supported k6 first on PATH`,
          undefined,
          [],
        );
      return version;
    })();
    versions.set(bin, p);
    p.catch(() => versions.delete(bin));
  }
  return p;
}

/** The script's K8S_* environment for an API server and its credentials; writes the CA for SSL_CERT_FILE. */
export function k6ApiEnv(api: ApiAccess, workDir: string): Record<string, string> {
  const env: Record<string, string> = { K8S_API: api.server.replace(/\/+$/, '') };
  if (api.token) env.K8S_TOKEN = api.token;
  if (api.cert && api.key) {
    env.K8S_CLIENT_CERT = api.cert;
    env.K8S_CLIENT_KEY = api.key;
  }
  if (api.insecure) env.K8S_INSECURE_SKIP_TLS_VERIFY = '1';
  if (api.ca) {
    // Go (k6) reads SSL_CERT_FILE instead of the system roots: the cluster CA alone verifies the API server.
    const caFile = join(workDir, 'cluster-ca.pem');
    writeFileSync(caFile, api.ca, { mode: 0o600 });
    env.SSL_CERT_FILE = caFile;
  }
  return env;
}

/** The command line of a run (without the binary): no credential is ever on it. Exported for tests. */
export function k6Args(o: Pick<RunK6Options, 'script' | 'tags'>, summaryFile: string, samplesFile?: string): string[] {
  const args = [
    'run',
    '--no-usage-report',
    '--no-color',
    '--address',
    '',
    '--summary-mode',
    'compact',
    '--summary-trend-stats',
    TREND_STATS,
    '--summary-export',
    summaryFile,
  ];
  for (const [k, v] of Object.entries(o.tags)) {
    if (!k || k.includes('=')) throw new Error(`k6 tag name ${JSON.stringify(k)} is empty or contains "="`);
    args.push('--tag', `${k}=${v}`);
  }
  if (samplesFile) args.push('--out', `json=${samplesFile}`);
  args.push(resolve(o.script));
  return args;
}

/** Masks the registered secrets (core/redact.ts), the given values, and credentials in URLs. */
function masker(secrets: string[]): (line: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const s of values) out = out.split(s).join('***');
    return redact(out).replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@');
  };
}

export async function runK6(o: RunK6Options): Promise<K6Result> {
  mkdirSync(o.workDir, { recursive: true });
  const summaryFile = resolve(o.workDir, SUMMARY_FILE);
  const samplesFile = o.onSample ? resolve(o.workDir, SAMPLES_FILE) : undefined;
  const bin = o.bin ?? k6Binary();
  const args = k6Args(o, summaryFile, samplesFile);
  const scriptEnv = { ...(o.api ? k6ApiEnv(o.api, o.workDir) : {}), ...o.env };

  const secrets = [
    ...(o.secrets ?? []),
    ...Object.entries(scriptEnv)
      .filter(([k]) => secretEnvKey.test(k))
      .map(([, v]) => v),
  ];
  const mask = masker(secrets);
  const tail: string[] = [];
  const emit = (raw: string) => {
    const line = mask(raw.replace(/\r$/, ''));
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (o.onLine && line.trim()) o.onLine(line);
  };

  if (o.signal?.aborted) throw new AbortedError(abortReason(o.signal));
  const env: Record<string, string> = {};
  for (const k of passedEnv) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  await checkK6Version(bin, env);
  Object.assign(env, scriptEnv);

  const sampler = samplesFile
    ? new SampleTail(samplesFile, new Set(o.sampleMetrics ?? K6_SAMPLE_METRICS), o.onSample!)
    : undefined;
  const started = Date.now();
  const child = execa(bin, args, {
    cwd: o.workDir,
    env,
    extendEnv: false,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) emit(l);
    });
    stream?.on('end', () => {
      if (partial) emit(partial);
      partial = '';
    });
  }

  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    emit('rebuild-bench: abort: sending SIGINT to k6 (it stops the scenarios, runs teardown and writes its summary)');
    child.kill('SIGINT');
    killTimer = setTimeout(() => {
      emit(`rebuild-bench: k6 still running ${KILL_AFTER_MS / 1000} s after SIGINT: SIGKILL`);
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const tailTimer = sampler ? setInterval(() => sampler.read(), 500) : undefined;
  let r;
  try {
    r = await child;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    clearTimeout(killTimer);
    clearInterval(tailTimer);
    sampler?.read(true);
  }
  const wallMs = Date.now() - started;

  if (o.signal?.aborted)
    throw new AbortedError(`${abortReason(o.signal)} (k6 stopped; partial summary, if any: ${summaryFile})`);
  const last = tail.filter((l) => l.trim()).slice(-8);
  if (r.exitCode === undefined) {
    throw new K6Error(
      mask(
        r.signal
          ? `k6 was killed by ${r.signal}: ${last.slice(-3).join(' | ')}`
          : `k6 did not run (${bin}): ${r.shortMessage}`,
      ),
      undefined,
      last,
    );
  }
  const exitCode = r.exitCode;
  if (exitCode !== 0 && exitCode !== K6_THRESHOLDS_CROSSED) {
    throw new K6Error(
      `k6 exited ${exitCode}${r.signal ? ` (${r.signal})` : ''}: ${last.slice(-3).join(' | ')}`,
      exitCode,
      last,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch (err) {
    throw new K6Error(
      `k6 exited ${exitCode} but its summary ${summaryFile} cannot be read: ${(err as Error).message}`,
      exitCode,
      last,
    );
  }
  return parseK6Summary(json, { exitCode, summaryFile, wallMs });
}

/** An RFC 3339 time with up to nanoseconds, as ms since the epoch keeping the microseconds. */
export function sampleTime(t: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return Date.parse(t);
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return whole + Number(frac) / 1000;
}

/** Follows k6's JSON output (one object per line) as k6 appends to it. */
class SampleTail {
  private fd = -1;
  private partial = '';
  private readonly buf = Buffer.alloc(1 << 16);
  constructor(
    private readonly file: string,
    private readonly metrics: ReadonlySet<string>,
    private readonly onSample: (s: K6Sample) => void,
  ) {}

  read(final = false): void {
    if (this.fd < 0) {
      if (!existsSync(this.file)) return;
      this.fd = openSync(this.file, 'r');
    }
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      if (n <= 0) break;
      const lines = (this.partial + this.buf.toString('utf8', 0, n)).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) this.line(l);
    }
    if (final) {
      if (this.partial) this.line(this.partial);
      this.partial = '';
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private line(l: string): void {
    if (!l.startsWith('{"') || !l.includes('"type":"Point"')) return;
    let p: { metric?: string; data?: { time?: string; value?: number; tags?: Record<string, string> | null } };
    try {
      p = JSON.parse(l) as typeof p;
    } catch {
      return;
    }
    if (!p.metric || !this.metrics.has(p.metric) || typeof p.data?.value !== 'number') return;
    const time = sampleTime(p.data.time ?? '');
    if (!Number.isFinite(time)) return;
    this.onSample({ metric: p.metric, time, value: p.data.value, tags: p.data.tags ?? {} });
  }
}

type MetricValues = Record<string, unknown>;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Reads k6's --summary-export JSON (legacy format: `{ metrics: { name: { count, rate, p(99), thresholds } } }`). */
export function parseK6Summary(json: unknown, o: { exitCode: number; summaryFile: string; wallMs?: number }): K6Result {
  const metrics = (json as { metrics?: unknown } | null)?.metrics;
  if (!metrics || typeof metrics !== 'object')
    throw new Error(`${o.summaryFile}: not a k6 summary export (no "metrics" object)`);
  const m = metrics as Record<string, MetricValues | undefined>;

  const thresholds: Record<string, boolean> = {};
  for (const [name, values] of Object.entries(m)) {
    const t = values?.thresholds;
    if (!t || typeof t !== 'object') continue;
    // In the summary export, a threshold's value is true when it was crossed.
    for (const [expr, crossed] of Object.entries(t as Record<string, unknown>))
      thresholds[`${name}: ${expr}`] = crossed !== true;
  }

  const reqs = m.http_reqs;
  const iters = m.iterations;
  const requests = num(reqs?.count) ?? 0;
  const requestRate = num(reqs?.rate) ?? 0;
  const iterations = num(iters?.count) ?? 0;
  const fromRate = (c: number | undefined, r: number | undefined) => (c && r ? (c / r) * 1000 : undefined);
  const durationMs = fromRate(num(iters?.count), num(iters?.rate)) ?? fromRate(requests, requestRate) ?? o.wallMs ?? 0;

  // http_req_failed counts failed requests as "passes" and the others as "fails": with no successful
  // request, the expected_response:true submetric has no sample and k6 exports zeros for it.
  const succeeded = num(m.http_req_failed?.fails);
  const okTrend = m['http_req_duration{expected_response:true}'];
  const trend = succeeded === 0 ? undefined : (okTrend ?? m.http_req_duration);
  let latencyMs: K6Latency | null = null;
  if (trend && requests > 0) {
    const p50 = num(trend.med) ?? num(trend['p(50)']);
    const [p90, p95, p99, max] = [num(trend['p(90)']), num(trend['p(95)']), num(trend['p(99)']), num(trend.max)];
    if (p50 !== undefined && p90 !== undefined && p95 !== undefined && p99 !== undefined && max !== undefined)
      latencyMs = { p50, p90, p95, p99, max };
  }

  return {
    exitCode: o.exitCode,
    thresholdsOk: o.exitCode !== K6_THRESHOLDS_CROSSED && Object.values(thresholds).every(Boolean),
    iterations,
    requests,
    requestRate,
    failedRate: num(m.http_req_failed?.value) ?? 0,
    rejectedRate: num(m.admission_rejected?.value) ?? null,
    latencyMs,
    durationMs,
    thresholds,
    summaryFile: o.summaryFile,
  };
}
