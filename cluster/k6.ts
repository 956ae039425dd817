/**
 * Runs a k6 script (suites/k6/*.ts) as a child process and reads its end-of-test summary.
 *
 * Flags: `run --no-usage-report --no-color --address '' --summary-mode compact
 *   --summary-trend-stats avg,min,med,max,p(90),p(95),p(99) --summary-export <workDir>/k6-summary.json
 *   [--tag k=v …] [-o influxdb=http://host:port/db] <script>`
 * - --address '': no REST API listener (the default localhost:6565 collides when two runs overlap).
 * - --summary-export writes the legacy JSON summary, the one that k6 1.8 fills completely: every trend
 *   stat named by --summary-trend-stats (p(99) included), counter rates, and each threshold's result
 *   (`true` = crossed). The opt-in --new-machine-readable-summary of k6 1.8 ignores
 *   --summary-trend-stats (no p99), has no thresholds nor rates, and embeds the whole script source.
 * - The process environment is not inherited (only PATH, HOME, locale, proxy and CA variables), so a
 *   stray K6_* variable of the caller cannot change a benchmark; `env` is the script's __ENV.
 *
 * Exit code 99 (thresholds crossed) is a result, not an error. Any other non-zero exit, or a missing
 * summary, throws K6Error. On abort, k6 gets SIGINT (it stops the scenarios, runs teardown and writes
 * the summary), then SIGKILL after 10 s; runK6 then throws AbortedError.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
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
  /** The script's __ENV (K8S_API, K8S_TOKEN, STAGES, …). */
  env: Record<string, string>;
  /** Tags on every sample (--tag k=v), e.g. { run: runId }. */
  tags: Record<string, string>;
  /** Also stream k6's metrics to InfluxDB 1.x (k6's built-in output: -o influxdb=<url>/<db>). */
  influx?: { url: string; db: string };
  /** Where k6 runs and writes k6-summary.json (created when missing). */
  workDir: string;
  signal?: AbortSignal;
  /** stdout and stderr of k6, line by line, with secrets masked. */
  onLine?: (line: string) => void;
  /** Values never to appear in a line passed to onLine or in an error message. */
  secrets?: string[];
}

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

/** The command line of a run (without the binary). Exported for tests. */
export function k6Args(o: Pick<RunK6Options, 'script' | 'tags' | 'influx'>, summaryFile: string): string[] {
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
  if (o.influx) args.push('--out', `influxdb=${o.influx.url.replace(/\/+$/, '')}/${encodeURIComponent(o.influx.db)}`);
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
  const bin = o.bin ?? k6Binary();
  const args = k6Args(o, summaryFile);

  const secrets = [
    ...(o.secrets ?? []),
    ...Object.entries(o.env)
      .filter(([k]) => secretEnvKey.test(k))
      .map(([, v]) => v),
  ];
  if (o.influx) {
    try {
      const u = new URL(o.influx.url);
      if (u.password) secrets.push(decodeURIComponent(u.password), u.password);
    } catch {
      /* k6 reports a bad URL itself */
    }
  }
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
  Object.assign(env, o.env);

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
  let r;
  try {
    r = await child;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    clearTimeout(killTimer);
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
