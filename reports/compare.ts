import { fmtDuration } from '../core/format.ts';
import { BadInputError } from '../core/errors.ts';
import { attribute, type Attribution } from './attribution.ts';
import type { RunFeatures } from './run-features.ts';
import type { MetricUnit } from '../record/figure-points.ts';
import { compareSamples, median } from './statistics.ts';

export type CompareVerdict = 'faster' | 'slower' | 'inconclusive' | 'no-change';

/** A figure's unit as compare judges and formats it (record/figure-points.ts). */
export type { MetricUnit };

export interface MetricComparison {
  key: string;
  label: string;
  unit: MetricUnit;
  baseline: number[];
  candidate: number[];
  baselineMedian: number | null;
  candidateMedian: number | null;
  deltaMs: number | null;
  relativeDelta: number | null;
  ci: { low: number; high: number } | null;
  /**
   * When no test can reach significance with so few runs (the rank-sum's smallest possible p ≥ α,
   * fewer than 4 a side), a 95 % interval of the median difference means nothing (two runs a side
   * gave "+1m56s … +1m58s" beside p = 0.33): the range of the differences instead.
   */
  range: { low: number; high: number } | null;
  p: number | null;
  verdict: CompareVerdict;
  reason: string;
  /** How the verdict was reached: rank-sum + bootstrap, the one-run control limit, or deltas only. */
  method: 'statistics' | 'control-limit' | 'deltas-only';
}

export interface TargetComparison {
  what: string;
  baseline: { met: number; of: number };
  candidate: { met: number; of: number };
}

export interface SetupDifference {
  what: string;
  baseline: string;
  candidate: string;
}

export interface CompareModel {
  schema: 'rebuild-bench/compare@1';
  suite: string;
  cluster: string;
  baseline: Array<{ id: string; startedAt: string; totalMs: number | null; valid: boolean }>;
  candidate: Array<{ id: string; startedAt: string; totalMs: number | null; valid: boolean }>;
  /** The verdict on the total time, the figure the team's target is about. */
  verdict: CompareVerdict;
  headline: string;
  /** Each target and the suite's verdict: how many runs of each side meet it. */
  targets: TargetComparison[];
  metrics: MetricComparison[];
  setup: SetupDifference[];
  attribution: Attribution;
  notes: string[];
}

export interface CompareOptions {
  includeInvalid?: boolean;
  /** Compare runs of different clusters (or different options within one side). */
  allowMixed?: boolean;
  alpha?: number;
  /** A relative change smaller than this is "no-change" even when significant (default 5 %). */
  minRelativeChange?: number;
}

const stable = (v: unknown) => JSON.stringify(v);

/** Which way a figure is better: durations, rejections and restarts lower; admitted, requests higher; else not judged. */
export type Better = 'lower' | 'higher' | null;

/** A value of a metric with its unit, as reasons and tables write it. */
export function formatMetric(unit: MetricUnit, v: number): string {
  if (unit === 'ms') return fmtDuration(v, { hours: false });
  if (unit === 'share') return `${(Math.round(v * 1000) / 10).toString()} %`;
  return `${Math.round(v * 10) / 10}`;
}

/** Refuses what cannot be compared like for like, with one message saying what to do. */
function checkComparable(baseline: RunFeatures[], candidate: RunFeatures[], o: CompareOptions): void {
  if (!baseline.length || !candidate.length) throw new BadInputError('compare needs at least one run on each side');
  const both = baseline.filter((b) => candidate.some((c) => c.id === b.id)).map((r) => r.id);
  if (both.length)
    throw new BadInputError(`run ${both.join(', ')} is on both sides: a run compared with itself shows nothing`);
  const all = [...baseline, ...candidate];
  const invalid = all.filter((r) => !r.valid);
  if (invalid.length && !o.includeInvalid) {
    throw new BadInputError(
      `invalid run(s) refused: ${invalid.map((r) => `${r.id} (${r.invalidReasons.join('; ') || r.status})`).join(', ')} — pass --include-invalid to compare them anyway`,
    );
  }
  const suites = new Set(all.map((r) => r.suite));
  if (suites.size > 1)
    throw new BadInputError(`runs of different suites cannot be compared: ${[...suites].join(', ')}`);
  const clusters = new Set(all.map((r) => r.cluster));
  if (clusters.size > 1 && !o.allowMixed)
    throw new BadInputError(
      `runs of different clusters (${[...clusters].join(', ')}): pass --allow-mixed to compare them anyway`,
    );
  for (const [side, runs] of [
    ['baseline', baseline],
    ['candidate', candidate],
  ] as const) {
    const opts = new Set(runs.map((r) => stable(r.options)));
    if (opts.size > 1 && !o.allowMixed) {
      throw new BadInputError(
        `the ${side} runs were made with different suite options (${runs.map((r) => r.id).join(', ')}): compare like with like, or pass --allow-mixed`,
      );
    }
  }
}

function setupDifferences(b: RunFeatures, c: RunFeatures, attribution: Attribution): SetupDifference[] {
  const out: SetupDifference[] = [];
  if (b.cluster !== c.cluster) out.push({ what: 'cluster', baseline: b.cluster, candidate: c.cluster });
  if (b.serverVersion !== c.serverVersion)
    out.push({
      what: 'Kubernetes version',
      baseline: b.serverVersion ?? 'unknown',
      candidate: c.serverVersion ?? 'unknown',
    });
  if (b.argocd !== c.argocd) out.push({ what: 'Argo CD', baseline: b.argocd, candidate: c.argocd });
  const keys = [...new Set([...Object.keys(b.options), ...Object.keys(c.options)])].sort();
  for (const k of keys) {
    if (stable(b.options[k]) !== stable(c.options[k]))
      out.push({ what: `option ${k}`, baseline: stable(b.options[k]) ?? '-', candidate: stable(c.options[k]) ?? '-' });
  }
  const m = attribution.waveMap;
  if (m.healthCheck)
    out.push({
      what: 'Application health check in argocd-cm',
      baseline: String(m.healthCheck.from ?? 'unknown'),
      candidate: String(m.healthCheck.to ?? 'unknown'),
    });
  if (m.moved.length || m.added.length || m.removed.length) {
    out.push({
      what: 'wave map',
      baseline: `${Object.keys(b.apps).length} apps`,
      candidate: `${Object.keys(c.apps).length} apps; ${m.moved.length} moved, ${m.added.length} added, ${m.removed.length} removed`,
    });
  }
  return out;
}

/**
 * With one candidate run and at least five baseline runs, a rank test can never be significant;
 * the nightly question "is tonight's run out of line?" is answered with a control limit instead:
 * above every baseline run and beyond median + 3·MAD (robust z > 3), by at least the minimum change.
 */
function controlLimit(
  baseline: number[],
  x: number,
  minRelativeChange: number,
): { verdict: CompareVerdict; reason: string } {
  const med = median(baseline);
  const mad = median(baseline.map((v) => Math.abs(v - med))) * 1.4826;
  const rel = med ? (x - med) / med : 0;
  const limitHigh = med + 3 * mad;
  const limitLow = med - 3 * mad;
  if (x > Math.max(...baseline) && x > limitHigh && rel >= minRelativeChange)
    return {
      verdict: 'slower',
      reason: `above every baseline run and the control limit (median + 3·MAD = ${Math.round(limitHigh)})`,
    };
  if (x < Math.min(...baseline) && x < limitLow && -rel >= minRelativeChange)
    return {
      verdict: 'faster',
      reason: `below every baseline run and the control limit (median − 3·MAD = ${Math.round(limitLow)})`,
    };
  return { verdict: 'inconclusive', reason: 'within the spread of the baseline runs (control limit median ± 3·MAD)' };
}

function compareMetric(
  key: string,
  label: string,
  unit: MetricUnit,
  b: number[],
  c: number[],
  o: Required<Pick<CompareOptions, 'alpha' | 'minRelativeChange'>>,
  better: Better = 'lower',
): MetricComparison {
  const base: MetricComparison = {
    key,
    label,
    unit,
    baseline: b,
    candidate: c,
    baselineMedian: b.length ? median(b) : null,
    candidateMedian: c.length ? median(c) : null,
    deltaMs: null,
    relativeDelta: null,
    ci: null,
    range: null,
    p: null,
    verdict: 'inconclusive',
    reason: '',
    method: 'deltas-only',
  };
  if (!b.length || !c.length) return { ...base, reason: 'missing on one side' };
  const bm = base.baselineMedian!;
  const cm = base.candidateMedian!;
  base.deltaMs = cm - bm;
  // A share of almost nothing (0 s → 1 s read as +3607 %) says nothing: below 1 s or 1 count, no share.
  base.relativeDelta = Math.abs(bm) >= { ms: 1000, count: 1, share: 0.01 }[unit] ? (cm - bm) / bm : null;
  const range = { low: Math.min(...c) - Math.max(...b), high: Math.max(...c) - Math.min(...b) };
  if (better === null)
    return { ...base, range, reason: 'shown, not judged: neither a higher nor a lower value is better' };
  if (b.length >= 2 && c.length >= 2) {
    const s = compareSamples(b, c, {
      alpha: o.alpha,
      minRelativeChange: o.minRelativeChange,
      lowerIsBetter: better === 'lower',
      seed: 1,
      format: (x) => formatMetric(unit, x),
    });
    const meaningful = s.minAchievableP === undefined || s.minAchievableP < o.alpha;
    return {
      ...base,
      ci: s.ci && meaningful ? { low: s.ci.low, high: s.ci.high } : null,
      range: meaningful ? null : range,
      p: s.pRankSum ?? null,
      verdict: s.verdict,
      reason: s.reason,
      method: 'statistics',
    };
  }
  base.range = range;
  if (c.length === 1 && b.length >= 5) {
    // The control limit is written for lower-is-better: a higher-is-better figure is judged on its negation.
    const flip = better === 'higher' ? -1 : 1;
    return {
      ...base,
      ...controlLimit(
        b.map((x) => x * flip),
        c[0]! * flip,
        o.minRelativeChange,
      ),
      method: 'control-limit',
    };
  }
  if (b.every((x) => x === 0) && c.every((x) => x === 0))
    return { ...base, verdict: 'no-change', reason: 'zero on both sides' };
  return {
    ...base,
    reason: `${b.length} + ${c.length} run(s): deltas only, no statistical conclusion is possible (run at least 2 per side, 5 + 5 to detect a 20 % change)`,
  };
}

/** Compares two sides of stored runs, oldest first within each side. */
export function compareRuns(baseline: RunFeatures[], candidate: RunFeatures[], o: CompareOptions = {}): CompareModel {
  checkComparable(baseline, candidate, o);
  const opts = { alpha: o.alpha ?? 0.05, minRelativeChange: o.minRelativeChange ?? 0.05 };
  const values = (runs: RunFeatures[], get: (r: RunFeatures) => number | null | undefined) =>
    runs.map(get).filter((v): v is number => typeof v === 'number');
  const metric = (
    key: string,
    label: string,
    unit: MetricUnit,
    get: (r: RunFeatures) => number | null | undefined,
    better: Better = 'lower',
  ) => compareMetric(key, label, unit, values(baseline, get), values(candidate, get), opts, better);

  const all = [...baseline, ...candidate];
  const rebuild = all.some((r) => r.targetMet !== null);
  const metrics: MetricComparison[] = [
    metric('total', rebuild ? 'total (destroy → all Healthy)' : 'run duration', 'ms', (r) => r.totalMs),
  ];
  const phaseNames = [...new Set([...baseline, ...candidate].flatMap((r) => Object.keys(r.phases)))];
  for (const p of phaseNames) metrics.push(metric(`phase:${p}`, `phase ${p}`, 'ms', (r) => r.phases[p]));
  const waveKeys = [...new Set([...baseline, ...candidate].flatMap((r) => Object.keys(r.waves)))].sort(
    (a, b) => Number(a) - Number(b),
  );
  for (const w of waveKeys) metrics.push(metric(`wave:${w}`, `wave ${w}`, 'ms', (r) => r.waves[w]));
  metrics.push(metric('crashLoops', 'CrashLoopBackOff entries', 'count', (r) => r.crashLoops));
  metrics.push(metric('restarts', 'restarts', 'count', (r) => r.restarts));
  if (all.some((r) => r.admissionP99Ms !== null)) {
    metrics.push(metric('admission:p50', 'admission latency p50', 'ms', (r) => r.admissionP50Ms));
    metrics.push(metric('admission:p99', 'admission latency p99', 'ms', (r) => r.admissionP99Ms));
  }
  // A chaos suite's own figures (its ctx.summary) that every run of both sides recorded; a null
  // duration (a Deployment never Ready, or nothing to time) is said in a note, not silently dropped.
  const figureKeys = [...new Set(all.flatMap((r) => Object.keys(r.figures)))].filter((k) =>
    all.every((r) => r.figures[k] !== undefined),
  );
  const figureNotes: string[] = [];
  for (const k of figureKeys.sort()) {
    metrics.push(metric(`figure:${k}`, k, all[0]!.figures[k]!.unit, (r) => r.figures[k]?.value, figureDirection(k)));
    const never = all.filter((r) => r.figures[k]?.value === null).map((r) => r.id);
    if (never.length)
      figureNotes.push(
        `${k}: no value in ${never.join(', ')} (never reached, or not measured): left out of its median`,
      );
  }

  const attribution = attribute(baseline, candidate);
  const total = metrics[0]!;
  const notes: string[] = [];
  if (baseline.length < 2 || candidate.length < 2)
    notes.push(
      `${baseline.length} baseline and ${candidate.length} candidate run(s): ${total.method === 'control-limit' ? 'the verdict uses a control limit, not a significance test' : 'deltas only, no statistical conclusion is possible'}`,
    );
  if (metrics.some((m) => m.range && m.method !== 'deltas-only'))
    notes.push(
      'with so few runs no test can reach significance: no 95 % interval (it would mean nothing); the range is the smallest to the largest difference between a candidate and a baseline run',
    );
  notes.push(...figureNotes);
  const invalid = [...baseline, ...candidate].filter((r) => !r.valid);
  if (invalid.length)
    notes.push(`includes ${invalid.length} invalid run(s) (--include-invalid): ${invalid.map((r) => r.id).join(', ')}`);
  const head = baseline[baseline.length - 1]!;
  const tail = candidate[candidate.length - 1]!;
  const summary = (r: RunFeatures) => ({ id: r.id, startedAt: r.startedAt, totalMs: r.totalMs, valid: r.valid });
  return {
    schema: 'rebuild-bench/compare@1',
    suite: tail.suite,
    cluster: tail.cluster,
    baseline: baseline.map(summary),
    candidate: candidate.map(summary),
    verdict: total.verdict,
    headline: headline(total, rebuild ? 'total' : 'run duration'),
    targets: targetComparisons(baseline, candidate),
    metrics,
    setup: setupDifferences(head, tail, attribution),
    attribution,
    notes,
  };
}

/** How many runs of each side meet the rebuild target, zero CrashLoopBackOff, and the suite's verdict. */
function targetComparisons(baseline: RunFeatures[], candidate: RunFeatures[]): TargetComparison[] {
  const count = (runs: RunFeatures[], ok: (r: RunFeatures) => boolean | null) => {
    const judged = runs.map(ok).filter((v): v is boolean => v !== null);
    return { met: judged.filter(Boolean).length, of: judged.length };
  };
  const rows: Array<[string, (r: RunFeatures) => boolean | null]> = [
    ['rebuild within the target window', (r) => r.targetMet],
    ['zero CrashLoopBackOff', (r) => (r.targetMet === null || r.crashLoops === null ? null : r.crashLoops === 0)],
    ['verdict passed', (r) => (r.verdict === null ? null : r.verdict === 'passed')],
  ];
  return rows
    .map(([what, ok]) => ({ what, baseline: count(baseline, ok), candidate: count(candidate, ok) }))
    .filter((t) => t.baseline.of + t.candidate.of > 0);
}

/** Which way a suite figure is better, from its name (its last path segment). */
export function figureDirection(key: string): Better {
  const last = key.split('.').pop() ?? '';
  if (/(admitted|mutated|requests|iterations|(request|iteration)s?Rate)$/i.test(last)) return 'higher';
  if (/Ms$|^p\d+$|^max$|(rejected|errors|restarts|crashLoops|(rejection|failed|rejected)Rate)$/i.test(last))
    return 'lower';
  return null;
}

function headline(t: MetricComparison, what: string): string {
  const n = `${t.baseline.length} vs ${t.candidate.length} run(s)`;
  if (t.deltaMs === null) return `Total time: no comparison possible (${t.reason}; ${n})`;
  const change = `${t.deltaMs < 0 ? '−' : '+'}${fmtDuration(Math.abs(t.deltaMs), { hours: false })}${t.relativeDelta !== null ? ` (${t.relativeDelta < 0 ? '' : '+'}${(t.relativeDelta * 100).toFixed(1)} %)` : ''}`;
  const word = {
    faster: 'Faster',
    slower: 'Slower (regression)',
    inconclusive: 'Inconclusive',
    'no-change': 'No change',
  }[t.verdict];
  return `${word}: median ${what} ${fmtDuration(t.baselineMedian, { hours: false })} → ${fmtDuration(t.candidateMedian, { hours: false })}, ${change}; ${n}`;
}
