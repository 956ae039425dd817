/**
 * Nonparametric before/after statistics for small samples of rebuild runs
 * (e.g. 1–10 rebuild durations per side). Pure, deterministic functions: every
 * resampling step draws from a seeded PRNG, so identical inputs and seed give
 * identical output.
 *
 * Sign convention everywhere: delta = candidate − baseline.
 */
import { median as ssMedian } from 'simple-statistics';

/** Seed used when the caller gives none; results stay deterministic. */
export const DEFAULT_SEED = 0x5eed;
/** Largest C(n+m, n) for which exact distributions are computed. */
export const DEFAULT_MAX_EXACT = 200_000;

const assertSample = (xs: readonly number[], name: string): void => {
  if (xs.length === 0) throw new RangeError(`${name}: empty sample`);
  if (!xs.every(Number.isFinite)) throw new RangeError(`${name}: every value must be a finite number`);
};

/** Median (mean of the two middle values for even length). Throws on an empty sample. */
export function median(xs: readonly number[]): number {
  assertSample(xs, 'median');
  return ssMedian(xs);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** mulberry32: a small 32-bit seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binomial coefficient C(n, k) as a float (exact below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const kk = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= kk; i++) c = (c * (n - kk + i)) / i;
  return Math.round(c);
}

/** Linear-interpolation quantile (type 7) of an ascending array. */
const quantileSorted = (sorted: readonly number[], p: number): number => {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
};

export interface BootstrapOptions {
  iterations?: number;
  confidence?: number;
  seed?: number;
}

export interface BootstrapCI {
  /** Observed median(candidate) − median(baseline). */
  estimate: number;
  low: number;
  high: number;
}

/**
 * Percentile bootstrap CI for median(candidate) − median(baseline): each
 * iteration resamples both sides independently with replacement (same sizes)
 * and records the difference of medians; the interval is the
 * (1−confidence)/2 and (1+confidence)/2 quantiles of those differences.
 * With very small samples the interval is coarse and tends to be too narrow.
 */
export function bootstrapMedianDiffCI(
  baseline: readonly number[],
  candidate: readonly number[],
  { iterations = 10_000, confidence = 0.95, seed = DEFAULT_SEED }: BootstrapOptions = {},
): BootstrapCI {
  assertSample(baseline, 'baseline');
  assertSample(candidate, 'candidate');
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
  const rng = mulberry32(seed);
  const resample = (xs: readonly number[], buf: number[]): number[] => {
    for (let i = 0; i < xs.length; i++) buf[i] = xs[Math.floor(rng() * xs.length)]!;
    return buf;
  };
  const bBuf = new Array<number>(baseline.length);
  const cBuf = new Array<number>(candidate.length);
  const diffs = new Array<number>(iterations);
  for (let i = 0; i < iterations; i++) {
    diffs[i] = ssMedian(resample(candidate, cBuf)) - ssMedian(resample(baseline, bBuf));
  }
  diffs.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  return {
    estimate: median(candidate) - median(baseline),
    low: quantileSorted(diffs, tail),
    high: quantileSorted(diffs, 1 - tail),
  };
}

/** Midranks (1-based, ties share the average rank) of `xs`, in input order. */
export function midranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const ranks = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const r = (i + j + 2) / 2; // average of 1-based ranks i+1 … j+1
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
const erfc = (x: number): number => {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
};

export interface RankSumOptions {
  /** Exact distribution when C(n+m, n) ≤ maxExact (default 200 000). */
  maxExact?: number;
}

export interface RankSumResult {
  /** Mann–Whitney U of the baseline: #(b > c) + ½·#(b = c) over all pairs (scipy's U1 for x = baseline). */
  uBaseline: number;
  /** U of the candidate; uBaseline + uCandidate = n·m. */
  uCandidate: number;
  /** Sum of the baseline's midranks in the pooled sample. */
  rankSumBaseline: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'normal';
  /**
   * Exact method only: the smallest two-sided p any split of these pooled
   * values could give (2 / C(n+m, n) without ties). If it is ≥ alpha the test
   * can never be significant at that alpha.
   */
  minAchievableP?: number;
}

/**
 * Wilcoxon rank-sum / Mann–Whitney U test, two-sided.
 *
 * Exact (C(n+m, n) ≤ maxExact): the permutation distribution of the baseline's
 * midrank sum over all C(n+m, n) equally likely assignments of the pooled
 * midranks to the baseline, counted by dynamic programming over subsets
 * (same counts as enumerating them; ties keep their midranks, so this is the
 * exact conditional test, equal to scipy's `mannwhitneyu` with
 * `method=PermutationMethod()`, and to `method='exact'` when there are no
 * ties). The distribution is symmetric, so p = min(1, 2·min(P(W ≤ w), P(W ≥ w))).
 *
 * Otherwise: normal approximation with tie-corrected variance and continuity
 * correction (as scipy's `method='asymptotic'`).
 */
export function rankSum(
  baseline: readonly number[],
  candidate: readonly number[],
  { maxExact = DEFAULT_MAX_EXACT }: RankSumOptions = {},
): RankSumResult {
  assertSample(baseline, 'baseline');
  assertSample(candidate, 'candidate');
  const n = baseline.length;
  const m = candidate.length;
  const N = n + m;
  const ranks = midranks([...baseline, ...candidate]);
  const rankSumBaseline = ranks.slice(0, n).reduce((a, b) => a + b, 0);
  const uBaseline = rankSumBaseline - (n * (n + 1)) / 2;
  const base = { uBaseline, uCandidate: n * m - uBaseline, rankSumBaseline };

  if (binomial(N, n) <= maxExact) {
    // Doubled midranks are integers, so sums are counted without rounding issues.
    const r2 = ranks.map((r) => Math.round(2 * r));
    const maxSum = r2.reduce((a, b) => a + b, 0);
    const dp = Array.from({ length: n + 1 }, () => new Float64Array(maxSum + 1));
    dp[0]![0] = 1;
    r2.forEach((r, i) => {
      for (let k = Math.min(i + 1, n); k >= 1; k--) {
        const to = dp[k]!;
        const from = dp[k - 1]!;
        for (let s = maxSum - r; s >= 0; s--) if (from[s]! > 0) to[s + r]! += from[s]!;
      }
    });
    const counts = dp[n]!;
    const total = binomial(N, n);
    const w = Math.round(2 * rankSumBaseline);
    let le = 0;
    let ge = 0;
    let minSum = -1;
    for (let s = 0; s <= maxSum; s++) {
      const c = counts[s]!;
      if (c === 0) continue;
      if (minSum < 0) minSum = s;
      if (s <= w) le += c;
      if (s >= w) ge += c;
    }
    return {
      ...base,
      pValue: Math.min(1, (2 * Math.min(le, ge)) / total),
      method: 'exact',
      minAchievableP: Math.min(1, (2 * counts[minSum]!) / total),
    };
  }

  // Normal approximation with tie correction and continuity correction.
  const sorted = [...baseline, ...candidate].sort((a, b) => a - b);
  let tieTerm = 0;
  for (let i = 0; i < N;) {
    let j = i;
    while (j + 1 < N && sorted[j + 1] === sorted[i]) j++;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const mu = (n * m) / 2;
  const sigma = Math.sqrt(((n * m) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  const pValue = sigma === 0 ? 1 : Math.min(1, erfc((Math.abs(uBaseline - mu) - 0.5) / sigma / Math.SQRT2));
  return { ...base, pValue, method: 'normal' };
}

export interface PermutationOptions {
  /** Test statistic: difference (candidate − baseline) of medians (default) or means. */
  statistic?: 'median' | 'mean';
  /** Exact enumeration when C(n+m, n) ≤ maxExact (default 200 000). */
  maxExact?: number;
  /** Monte Carlo permutations when not exact (default 10 000). */
  iterations?: number;
  seed?: number;
}

export interface PermutationResult {
  /** Observed statistic(candidate) − statistic(baseline). */
  observed: number;
  /** Two-sided p-value: share of splits with |T| ≥ |observed|. */
  pValue: number;
  method: 'exact' | 'monte-carlo';
  /** Number of splits evaluated (C(n+m, n) when exact). */
  permutations: number;
}

/**
 * Two-sample permutation test of T = stat(candidate) − stat(baseline), two-sided
 * (|T| ≥ |T_obs|, with a tiny relative tolerance for float rounding).
 * Exact: all C(n+m, n) splits of the pooled values. Otherwise seeded Monte
 * Carlo shuffles with p = (1 + hits) / (1 + iterations), which never gives 0.
 */
export function permutationTest(
  baseline: readonly number[],
  candidate: readonly number[],
  {
    statistic = 'median',
    maxExact = DEFAULT_MAX_EXACT,
    iterations = 10_000,
    seed = DEFAULT_SEED,
  }: PermutationOptions = {},
): PermutationResult {
  assertSample(baseline, 'baseline');
  assertSample(candidate, 'candidate');
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  const stat = statistic === 'mean' ? mean : (xs: readonly number[]) => ssMedian(xs);
  const n = baseline.length;
  const pooled = [...baseline, ...candidate];
  const N = pooled.length;
  const observed = stat(candidate) - stat(baseline);
  const threshold = Math.abs(observed) - 1e-9 * Math.max(1, Math.abs(observed));
  const b = new Array<number>(n);
  const c = new Array<number>(N - n);
  const total = binomial(N, n);

  if (total <= maxExact) {
    // Walk all n-subsets of indices in lexicographic order; the subset is the baseline.
    const idx = Array.from({ length: n }, (_, i) => i);
    let hits = 0;
    for (;;) {
      let bi = 0;
      let ci = 0;
      for (let i = 0; i < N; i++) {
        if (bi < n && idx[bi] === i) b[bi++] = pooled[i]!;
        else c[ci++] = pooled[i]!;
      }
      if (Math.abs(stat(c) - stat(b)) >= threshold) hits++;
      let k = n - 1;
      while (k >= 0 && idx[k] === N - n + k) k--;
      if (k < 0) break;
      idx[k]!++;
      for (let j = k + 1; j < n; j++) idx[j] = idx[j - 1]! + 1;
    }
    return { observed, pValue: hits / total, method: 'exact', permutations: total };
  }

  const rng = mulberry32(seed);
  const work = [...pooled];
  let hits = 0;
  for (let it = 0; it < iterations; it++) {
    // Partial Fisher–Yates: the first n slots become a uniform random baseline.
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(rng() * (N - i));
      const t = work[i]!;
      work[i] = work[j]!;
      work[j] = t;
    }
    for (let i = 0; i < n; i++) b[i] = work[i]!;
    for (let i = n; i < N; i++) c[i - n] = work[i]!;
    if (Math.abs(stat(c) - stat(b)) >= threshold) hits++;
  }
  return { observed, pValue: (1 + hits) / (1 + iterations), method: 'monte-carlo', permutations: iterations };
}

export type Verdict = 'faster' | 'slower' | 'inconclusive';

export interface CompareOptions {
  alpha?: number;
  /** Smallest |relativeDelta| that counts as a change (default 0.05 = 5 %). */
  minRelativeChange?: number;
  /** True for durations (default); false for throughput-like metrics. */
  lowerIsBetter?: boolean;
  /** Bootstrap / Monte Carlo iterations (default 10 000). */
  iterations?: number;
  seed?: number;
  /** Writes a value of the metric with its unit in the reason (default: 4 significant digits, no unit). */
  format?: (x: number) => string;
}

export interface Comparison {
  n: { baseline: number; candidate: number };
  medians: { baseline: number; candidate: number };
  /** median(candidate) − median(baseline). */
  delta: number;
  /** delta / median(baseline) (±Infinity when the baseline median is 0 and delta ≠ 0). */
  relativeDelta: number;
  /** Bootstrap CI of delta at confidence 1 − alpha. */
  ci?: BootstrapCI & { confidence: number };
  /** Rank-sum two-sided p (exact for C(n+m, n) ≤ 200 000); this p decides significance. */
  pRankSum?: number;
  /** Exact/Monte Carlo permutation p for the difference of medians; reported, not used for the verdict. */
  pPermutation?: number;
  /** Smallest p the exact rank-sum test could reach with these sample sizes and ties. */
  minAchievableP?: number;
  verdict: Verdict;
  reason: string;
}

const fmtP = (p: number): string => p.toPrecision(2);
const fmtNum = (x: number): string => String(Number(x.toPrecision(4)));
const fmtPct = (r: number): string => `${r > 0 ? '+' : ''}${(r * 100).toFixed(1)} %`;

/**
 * Before/after verdict for baseline vs candidate runs.
 *
 * - Fewer than 2 runs on either side: deltas only, verdict 'inconclusive'.
 * - Otherwise significant iff all hold: rank-sum p (exact for these sizes) < alpha,
 *   the bootstrap CI of the median difference (confidence 1 − alpha) lies
 *   entirely on the side of the observed delta (excludes 0), and
 *   |relativeDelta| ≥ minRelativeChange. Then 'slower' when the candidate is
 *   worse (larger with lowerIsBetter) and 'faster' when it is better; else
 *   'inconclusive' with every failed condition named in `reason`. When the
 *   exact test can never reach alpha with these sizes the reason says so.
 */
export function compareSamples(
  baseline: readonly number[],
  candidate: readonly number[],
  {
    alpha = 0.05,
    minRelativeChange = 0.05,
    lowerIsBetter = true,
    iterations = 10_000,
    seed = DEFAULT_SEED,
    format = fmtNum,
  }: CompareOptions = {},
): Comparison {
  const fmtSigned = (x: number): string => (x > 0 ? '+' : x < 0 ? '−' : '') + format(Math.abs(x));
  assertSample(baseline, 'baseline');
  assertSample(candidate, 'candidate');
  if (!(alpha > 0 && alpha < 1)) throw new RangeError('alpha must be in (0, 1)');
  if (!(minRelativeChange >= 0)) throw new RangeError('minRelativeChange must be ≥ 0');
  const nb = baseline.length;
  const nc = candidate.length;
  const medians = { baseline: median(baseline), candidate: median(candidate) };
  const delta = medians.candidate - medians.baseline;
  const relativeDelta =
    medians.baseline !== 0 ? delta / Math.abs(medians.baseline) : delta === 0 ? 0 : Math.sign(delta) * Infinity;
  const head = { n: { baseline: nb, candidate: nc }, medians, delta, relativeDelta };
  const runs = `${nb} + ${nc} runs`;
  const deltaText = `Δ median ${fmtSigned(delta)} (${fmtPct(relativeDelta)})`;

  if (nb < 2 || nc < 2) {
    return {
      ...head,
      verdict: 'inconclusive',
      reason: `${runs}: ${nb === 1 && nc === 1 ? 'one run per side' : 'a single run on a side'} allows no statistical conclusion (deltas only: ${deltaText}); add runs for at least 2 per side`,
    };
  }

  const rs = rankSum(baseline, candidate);
  const confidence = 1 - alpha;
  const ci = { ...bootstrapMedianDiffCI(baseline, candidate, { iterations, confidence, seed }), confidence };
  const pPermutation = permutationTest(baseline, candidate, { statistic: 'median', iterations, seed }).pValue;
  const stats = { ...head, ci, pRankSum: rs.pValue, pPermutation, minAchievableP: rs.minAchievableP };

  const ciText = `${Math.round(confidence * 100)} % CI [${fmtSigned(ci.low)}, ${fmtSigned(ci.high)}]`;
  const ciExcludesZero = delta > 0 ? ci.low > 0 : delta < 0 ? ci.high < 0 : false;
  const failures: string[] = [];
  if (rs.minAchievableP !== undefined && rs.minAchievableP >= alpha) {
    const cmp = rs.minAchievableP > alpha ? '>' : '=';
    failures.push(`with ${runs} the smallest possible p is ${fmtP(rs.minAchievableP)} ${cmp} ${alpha}: add runs`);
  } else if (rs.pValue >= alpha) {
    failures.push(`rank-sum p = ${fmtP(rs.pValue)} ≥ alpha ${alpha}`);
  }
  if (!ciExcludesZero) failures.push(`${ciText} does not exclude 0`);
  if (!(Math.abs(relativeDelta) >= minRelativeChange)) {
    failures.push(
      `|Δ| = ${fmtPct(Math.abs(relativeDelta)).replace('+', '')} < minimum relative change ${(minRelativeChange * 100).toFixed(1)} %`,
    );
  }
  if (failures.length > 0) {
    return { ...stats, verdict: 'inconclusive', reason: `${deltaText}, not significant: ${failures.join('; ')}` };
  }
  const worse = lowerIsBetter ? delta > 0 : delta < 0;
  return {
    ...stats,
    verdict: worse ? 'slower' : 'faster',
    reason: `${deltaText} with ${runs}: rank-sum p = ${fmtP(rs.pValue)} < ${alpha}, ${ciText} excludes 0, |Δ| ≥ ${(minRelativeChange * 100).toFixed(1)} %`,
  };
}
