import type * as k8s from '@kubernetes/client-node';
import { kubeRequest } from './http.ts';

/**
 * Prometheus text exposition (format 0.0.4) from the API server's `/metrics`, and the pure
 * arithmetic to diff two scrapes: counter and histogram deltas (with reset handling) and
 * quantiles from bucket deltas, computed as Prometheus' histogram_quantile does.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(s: string): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
    case 'nan':
      return Number.NaN;
    default:
      return s === '' ? Number.NaN : Number(s);
  }
}

/** Parses one sample line; returns undefined for lines that are not samples (or are malformed). */
function parseLine(line: string): Sample | undefined {
  let i = 0;
  const n = line.length;
  while (i < n && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  const name = line.slice(0, i);
  if (!name) return undefined;
  const labels: Record<string, string> = {};
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (i < n && (line[i] === ' ' || line[i] === '\t' || line[i] === ',')) i++;
      if (i >= n) return undefined;
      if (line[i] === '}') {
        i++;
        break;
      }
      const ks = i;
      while (i < n && /[a-zA-Z0-9_]/.test(line[i]!)) i++;
      const key = line.slice(ks, i);
      while (i < n && line[i] === ' ') i++;
      if (!key || line[i] !== '=') return undefined;
      i++;
      while (i < n && line[i] === ' ') i++;
      if (line[i] !== '"') return undefined;
      i++;
      let value = '';
      for (;;) {
        if (i >= n) return undefined;
        const c = line[i]!;
        if (c === '\\') {
          const e = line[i + 1];
          value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e ?? ''}`;
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      labels[key] = value;
    }
  }
  const rest = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (!rest[0]) return undefined;
  const value = parseValue(rest[0]);
  if (Number.isNaN(value) && rest[0] !== 'NaN' && rest[0] !== 'nan') return undefined;
  return { name, labels, value };
}

/**
 * All samples of a Prometheus text exposition; comments (# HELP, # TYPE), blank and malformed lines
 * are skipped. `prefixes` keeps only metrics whose name starts with one of them (the API server
 * exposes megabytes; filtering before parsing saves most of the work).
 */
export function parsePrometheusText(text: string, prefixes?: readonly string[]): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (prefixes && !prefixes.some((p) => line.startsWith(p))) continue;
    const s = parseLine(line);
    if (s) out.push(s);
  }
  return out;
}

/** A stable key for a label set (sorted), minus the labels in `omit`. */
export function labelKey(labels: Record<string, string>, omit: readonly string[] = []): string {
  return Object.keys(labels)
    .filter((k) => !omit.includes(k))
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

export interface CounterSeries {
  labels: Record<string, string>;
  value: number;
}

export interface Bucket {
  /** Upper bound (le), +Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations <= le. */
  count: number;
}

export interface HistogramSeries {
  labels: Record<string, string>;
  /** Sorted by le, cumulative. */
  buckets: Bucket[];
  sum: number;
  count: number;
}

/** The series of counter (or gauge) `name`, keyed by their label set. */
export function counters(samples: readonly Sample[], name: string): Map<string, CounterSeries> {
  const out = new Map<string, CounterSeries>();
  for (const s of samples) if (s.name === name) out.set(labelKey(s.labels), { labels: s.labels, value: s.value });
  return out;
}

/** The series of histogram `name` (from `name_bucket`, `name_sum`, `name_count`), keyed by their label set without le. */
export function histograms(samples: readonly Sample[], name: string): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  const get = (labels: Record<string, string>): HistogramSeries => {
    const { le: _le, ...rest } = labels;
    const k = labelKey(rest);
    let h = out.get(k);
    if (!h) out.set(k, (h = { labels: rest, buckets: [], sum: 0, count: 0 }));
    return h;
  };
  for (const s of samples) {
    if (s.name === `${name}_bucket`) {
      const le = parseValue(s.labels.le ?? '');
      if (!Number.isNaN(le)) get(s.labels).buckets.push({ le, count: s.value });
    } else if (s.name === `${name}_sum`) get(s.labels).sum = s.value;
    else if (s.name === `${name}_count`) get(s.labels).count = s.value;
  }
  for (const h of out.values()) h.buckets.sort((a, b) => a.le - b.le);
  return out;
}

/** Increase of a counter between two scrapes; a value that went down means a restart, so the new value is the increase. */
export function counterIncrease(prev: number | undefined, cur: number): number {
  if (prev === undefined || cur < prev) return cur;
  return cur - prev;
}

/**
 * Per-series increases between two scrapes. A series absent from `prev` counts in full (client
 * libraries create series on their first increment); series that vanished are ignored.
 */
export function counterDeltas(
  prev: ReadonlyMap<string, CounterSeries>,
  cur: ReadonlyMap<string, CounterSeries>,
): Map<string, CounterSeries> {
  const out = new Map<string, CounterSeries>();
  for (const [k, c] of cur) out.set(k, { labels: c.labels, value: counterIncrease(prev.get(k)?.value, c.value) });
  return out;
}

/** Observations of one histogram series between two scrapes; a lower count (or any lower bucket) means a restart: the new series is the delta. */
export function histogramDelta(prev: HistogramSeries | undefined, cur: HistogramSeries): HistogramSeries {
  const reset =
    !prev ||
    cur.count < prev.count ||
    cur.buckets.some((b) => {
      const p = prev.buckets.find((x) => x.le === b.le);
      return p !== undefined && b.count < p.count;
    });
  if (reset) return { labels: cur.labels, buckets: cur.buckets.map((b) => ({ ...b })), sum: cur.sum, count: cur.count };
  return {
    labels: cur.labels,
    buckets: cur.buckets.map((b) => ({
      le: b.le,
      count: b.count - (prev.buckets.find((x) => x.le === b.le)?.count ?? 0),
    })),
    sum: cur.sum - prev.sum,
    count: cur.count - prev.count,
  };
}

export function histogramDeltas(
  prev: ReadonlyMap<string, HistogramSeries>,
  cur: ReadonlyMap<string, HistogramSeries>,
): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const [k, h] of cur) out.set(k, histogramDelta(prev.get(k), h));
  return out;
}

/** Adds histograms bucket by bucket (to aggregate deltas over time or over labels). */
export function mergeHistograms(labels: Record<string, string>, hs: readonly HistogramSeries[]): HistogramSeries {
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const h of hs) {
    for (const b of h.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
    sum += h.sum;
    count += h.count;
  }
  return { labels, buckets: [...byLe].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le), sum, count };
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of cumulative buckets, as Prometheus' histogram_quantile: find the
 * bucket holding rank q·total and interpolate linearly inside it (the first bucket starts at 0);
 * a rank in the +Inf bucket returns the highest finite bound. NaN without observations, without a
 * +Inf bucket, or with fewer than two buckets.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const bs = [...buckets].sort((a, b) => a.le - b.le);
  if (bs.length < 2) return Number.NaN;
  if (bs[bs.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Cumulative counts must not decrease (float or scrape glitches): clamp, as Prometheus does.
  let max = 0;
  const counts = bs.map((b) => (max = Math.max(max, b.count)));
  const total = counts[counts.length - 1]!;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let i = counts.findIndex((c) => c >= rank);
  if (i < 0) i = counts.length - 1;
  if (i === bs.length - 1) return bs[bs.length - 2]!.le;
  if (i === 0 && bs[0]!.le <= 0) return bs[0]!.le;
  const start = i === 0 ? 0 : bs[i - 1]!.le;
  const end = bs[i]!.le;
  const below = i === 0 ? 0 : counts[i - 1]!;
  const inBucket = counts[i]! - below;
  if (inBucket <= 0) return end;
  return start + (end - start) * ((rank - below) / inBucket);
}

export interface Scrape {
  samples: Sample[];
  /** Wall-clock time the scrape completed (ms since the epoch). */
  at: number;
  /** Request plus parse time. */
  durationMs: number;
  /** Parse time alone. */
  parseMs: number;
  bytes: number;
}

/** GET /metrics on the API server (needs the nonResourceURL /metrics permission) and parses it. */
export async function scrapeApiserverMetrics(
  kc: k8s.KubeConfig,
  o: { timeoutMs?: number; signal?: AbortSignal; prefixes?: readonly string[] } = {},
): Promise<Scrape> {
  const t0 = performance.now();
  const res = await kubeRequest<string>(kc, 'GET', '/metrics', {
    accept: 'text/plain',
    timeoutMs: o.timeoutMs ?? 20_000,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  const p0 = performance.now();
  const samples = parsePrometheusText(text, o.prefixes);
  const end = performance.now();
  return { samples, at: Date.now(), durationMs: end - t0, parseMs: end - p0, bytes: Buffer.byteLength(text) };
}
