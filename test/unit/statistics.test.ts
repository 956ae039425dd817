import { describe, expect, it } from 'vitest';
import {
  binomial,
  bootstrapMedianDiffCI,
  compareSamples,
  median,
  midranks,
  mulberry32,
  permutationTest,
  rankSum,
} from '../../reports/statistics.ts';

// Reference values marked "scipy" were computed with scipy 1.17.1:
//   mannwhitneyu(x, y, method='exact')                      (no ties)
//   mannwhitneyu(x, y, method=PermutationMethod(np.inf))     (exact with midranks, ties)
//   mannwhitneyu(x, y, method='asymptotic')                  (normal approximation)
//   permutation_test((x, y), median/mean difference, n_resamples=np.inf)

// Fixed multiplicative noise within ±3 %.
const noiseA = [0.985, 1.021, 0.972, 1.008, 1.029];
const noiseB = [1.013, 0.976, 1.027, 0.991, 1.004];
const baseline = noiseA.map((f) => 2400 * f); // median 2419.2
const slower = noiseB.map((f) => 2400 * 1.2 * f); // true median shift +480 s
const faster = noiseB.map((f) => 2400 * 0.8 * f); // true median shift −480 s
const same = noiseB.map((f) => 2400 * f); // same distribution as the baseline

describe('median and PRNG', () => {
  it('median of odd and even samples; empty throws', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('mulberry32 is seeded: same seed same stream, other seed other stream, values in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const sa = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(sa);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(sa);
    expect(sa.every((v) => v >= 0 && v < 1)).toBe(true);
    const m = sa.reduce((s, v) => s + v, 0) / sa.length;
    expect(m).toBeGreaterThan(0.45);
    expect(m).toBeLessThan(0.55);
  });

  it('binomial and midranks', () => {
    expect(binomial(10, 5)).toBe(252);
    expect(binomial(20, 10)).toBe(184_756);
    expect(midranks([10, 20, 20, 5, 20])).toEqual([2, 4, 4, 1, 4]);
  });
});

describe('rankSum', () => {
  it('completely separated 5 + 5: exact p = 2/252', () => {
    const r = rankSum([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.method).toBe('exact');
    expect(r.uBaseline).toBe(0);
    expect(r.uCandidate).toBe(25);
    expect(r.pValue).toBeCloseTo(2 / 252, 12); // scipy 0.007936507936507936
    expect(r.minAchievableP).toBeCloseTo(2 / 252, 12);
    // Direction does not matter for a two-sided test.
    expect(rankSum([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).pValue).toBeCloseTo(2 / 252, 12);
  });

  it('smallest exact p: 2+2 → 1/3, 3+3 → 0.1, 4+4 → 2/70', () => {
    expect(rankSum([1, 2], [3, 4]).pValue).toBeCloseTo(1 / 3, 12);
    expect(rankSum([1, 2, 3], [4, 5, 6]).pValue).toBeCloseTo(0.1, 12); // scipy 0.1
    expect(rankSum([1, 2, 3, 4], [5, 6, 7, 8]).pValue).toBeCloseTo(0.02857142857142857, 12); // scipy
  });

  it('mixed 5 + 5 without ties matches scipy exact', () => {
    const r = rankSum([2410, 2380, 2502, 2455, 2390], [2440, 2520, 2475, 2600, 2395]);
    expect(r.uBaseline).toBe(6);
    expect(r.pValue).toBeCloseTo(0.2222222222222222, 12);
  });

  it('hand-computed tie: [1,2] vs [2,3] → midranks 1, 2.5 | 2.5, 4 → p = 2/3', () => {
    // Pooled midranks {1, 2.5, 2.5, 4}; the 6 baseline pairs have sums 3.5 ×2, 5 ×2, 6.5 ×2.
    // Observed 3.5: P(W ≤ 3.5) = 2/6, two-sided 4/6.
    const r = rankSum([1, 2], [2, 3]);
    expect(r.rankSumBaseline).toBe(3.5);
    expect(r.uBaseline).toBe(0.5);
    expect(r.pValue).toBeCloseTo(2 / 3, 12);
    expect(r.minAchievableP).toBeCloseTo(2 / 3, 12);
  });

  it('ties use the exact midrank permutation distribution (scipy PermutationMethod), not the untied one', () => {
    const r = rankSum([1, 2, 2, 3, 5], [2, 3, 4, 4, 6]);
    expect(r.uBaseline).toBe(6.5);
    expect(r.pValue).toBeCloseTo(0.2222222222222222, 12); // scipy method='exact' (ignores ties) gives 0.3095
    const u = rankSum([5, 5, 6, 7, 7, 7, 9], [7, 9, 9]);
    expect(u.uBaseline).toBe(3.5);
    expect(u.pValue).toBeCloseTo(0.21666666666666667, 12);
  });

  it('all values tied → p = 1 and nothing is achievable', () => {
    const r = rankSum([3, 3, 3], [3, 3, 3]);
    expect(r.pValue).toBe(1);
    expect(r.minAchievableP).toBe(1);
  });

  it('beyond the exact limit: normal approximation with tie and continuity correction (scipy asymptotic)', () => {
    const x = [12.1, 14.3, 9.8, 11.0, 15.2, 13.3, 10.4, 12.9, 16.1, 11.7, 13.8, 10.9, 14.7, 12.4, 9.5];
    const y = [13.0, 15.9, 14.1, 12.2, 17.3, 16.0, 14.8, 11.9, 15.5, 13.6, 18.2, 12.8, 16.6, 14.4, 13.1];
    const r = rankSum(x, y); // C(30, 15) ≈ 1.55e8 > 200k
    expect(r.method).toBe('normal');
    expect(r.minAchievableP).toBeUndefined();
    expect(r.uBaseline).toBe(53);
    expect(r.pValue).toBeCloseTo(0.014396852751179462, 6);
    const t = rankSum(x.map(Math.round), y.map(Math.round));
    expect(t.uBaseline).toBe(50.5);
    expect(t.pValue).toBeCloseTo(0.010055682331864954, 6);
  });
});

describe('permutationTest', () => {
  it('exact, separated 5 + 5: means → 2/252, medians → 12/252 (six splits reach the same median gap)', () => {
    const b = [1, 2, 3, 4, 5];
    const c = [6, 7, 8, 9, 10];
    const mean = permutationTest(b, c, { statistic: 'mean' });
    expect(mean).toMatchObject({ method: 'exact', permutations: 252, observed: 5 });
    expect(mean.pValue).toBeCloseTo(2 / 252, 12);
    expect(permutationTest(b, c).pValue).toBeCloseTo(12 / 252, 12); // scipy 0.047619…
  });

  it('exact, mixed 5 + 5 matches scipy permutation_test', () => {
    const b = [2410, 2380, 2502, 2455, 2390];
    const c = [2440, 2520, 2475, 2600, 2395];
    expect(permutationTest(b, c, { statistic: 'median' }).pValue).toBeCloseTo(1 / 3, 12);
    expect(permutationTest(b, c, { statistic: 'mean' }).pValue).toBeCloseTo(0.19047619047619047, 12);
  });

  it('Monte Carlo beyond the exact limit: seeded, deterministic, close to a 200k-resample scipy estimate', () => {
    const x = [12.1, 14.3, 9.8, 11.0, 15.2, 13.3, 10.4, 12.9, 16.1, 11.7, 13.8, 10.9, 14.7, 12.4, 9.5];
    const y = [13.0, 15.9, 14.1, 12.2, 17.3, 16.0, 14.8, 11.9, 15.5, 13.6, 18.2, 12.8, 16.6, 14.4, 13.1];
    const r = permutationTest(x, y, { statistic: 'mean', seed: 1 });
    expect(r.method).toBe('monte-carlo');
    expect(r.permutations).toBe(10_000);
    expect(Math.abs(r.pValue - 0.00773)).toBeLessThan(0.004);
    expect(permutationTest(x, y, { statistic: 'mean', seed: 1 })).toEqual(r);
    const med = permutationTest(x, y, { statistic: 'median', seed: 1 });
    expect(Math.abs(med.pValue - 0.02719)).toBeLessThan(0.008);
  });

  it('Monte Carlo never reports p = 0', () => {
    const b = Array.from({ length: 15 }, (_, i) => i);
    const c = b.map((v) => v + 100);
    const r = permutationTest(b, c, { iterations: 500, seed: 1 });
    expect(r.pValue).toBeCloseTo(1 / 501, 12);
  });
});

describe('bootstrapMedianDiffCI', () => {
  it('brackets the true +480 s shift and excludes 0; deterministic per seed', () => {
    const ci = bootstrapMedianDiffCI(baseline, slower, { seed: 1 });
    expect(ci.estimate).toBeCloseTo(2400 * 1.2 * 1.004 - 2400 * 1.008, 9);
    expect(ci.low).toBeGreaterThan(0);
    expect(ci.low).toBeLessThan(480);
    expect(ci.high).toBeGreaterThan(480);
    expect(bootstrapMedianDiffCI(baseline, slower, { seed: 1 })).toEqual(ci);
    // The interval stays inside the range of attainable median differences.
    expect(ci.low).toBeGreaterThanOrEqual(Math.min(...slower) - Math.max(...baseline));
    expect(ci.high).toBeLessThanOrEqual(Math.max(...slower) - Math.min(...baseline));
  });

  it('a wider confidence level gives a wider (or equal) interval; other seeds differ only slightly', () => {
    const narrow = bootstrapMedianDiffCI(baseline, same, { confidence: 0.5, seed: 3 });
    const wide = bootstrapMedianDiffCI(baseline, same, { confidence: 0.99, seed: 3 });
    expect(wide.low).toBeLessThan(narrow.low);
    expect(wide.high).toBeGreaterThan(narrow.high);
    expect(narrow.low).toBeLessThan(0);
    expect(narrow.high).toBeGreaterThan(0);
    const other = bootstrapMedianDiffCI(baseline, slower, { seed: 2 });
    const first = bootstrapMedianDiffCI(baseline, slower, { seed: 1 });
    expect(Math.abs(other.low - first.low)).toBeLessThan(20);
    expect(Math.abs(other.high - first.high)).toBeLessThan(20);
  });
});

describe('compareSamples', () => {
  it('20 % slower candidate → slower, CI excludes 0, p < 0.05', () => {
    const r = compareSamples(baseline, slower, { seed: 1 });
    expect(r.verdict).toBe('slower');
    expect(r.n).toEqual({ baseline: 5, candidate: 5 });
    expect(r.medians.baseline).toBeCloseTo(2419.2, 9);
    expect(r.medians.candidate).toBeCloseTo(2891.52, 9);
    expect(r.relativeDelta).toBeCloseTo(472.32 / 2419.2, 9);
    expect(r.pRankSum).toBeCloseTo(2 / 252, 12);
    expect(r.pRankSum!).toBeLessThan(0.05);
    expect(r.ci!.low).toBeGreaterThan(0);
    expect(r.ci!.low).toBeLessThan(480);
    expect(r.ci!.high).toBeGreaterThan(480);
    expect(r.ci!.confidence).toBeCloseTo(0.95, 12);
    expect(r.pPermutation).toBeCloseTo(12 / 252, 12);
    expect(r.reason).toMatch(/p = 0\.0079 < 0\.05/);
    expect(r.reason).toMatch(/excludes 0/);
  });

  it('20 % faster candidate → faster; with lowerIsBetter=false the labels swap', () => {
    const r = compareSamples(baseline, faster, { seed: 1 });
    expect(r.verdict).toBe('faster');
    expect(r.delta).toBeLessThan(0);
    expect(r.ci!.high).toBeLessThan(0);
    expect(r.ci!.low).toBeLessThan(-480);
    expect(r.ci!.high).toBeGreaterThan(-480);
    expect(compareSamples(baseline, faster, { seed: 1, lowerIsBetter: false }).verdict).toBe('slower');
    expect(compareSamples(baseline, slower, { seed: 1, lowerIsBetter: false }).verdict).toBe('faster');
  });

  it('1 + 1 runs → inconclusive, deltas only, no statistics', () => {
    const r = compareSamples([2400], [2880]);
    expect(r.verdict).toBe('inconclusive');
    expect(r.delta).toBe(480);
    expect(r.relativeDelta).toBeCloseTo(0.2, 12);
    expect(r.ci).toBeUndefined();
    expect(r.pRankSum).toBeUndefined();
    expect(r.pPermutation).toBeUndefined();
    expect(r.reason).toMatch(/one run per side allows no statistical conclusion \(deltas only/);
    const oneSided = compareSamples([2400], slower);
    expect(oneSided.verdict).toBe('inconclusive');
    expect(oneSided.n).toEqual({ baseline: 1, candidate: 5 });
    expect(oneSided.reason).toMatch(/single run on a side allows no statistical conclusion/);
  });

  it('5 + 5 from the same distribution → inconclusive, naming the failed conditions', () => {
    const r = compareSamples(baseline, same, { seed: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.pRankSum!).toBeGreaterThanOrEqual(0.05);
    expect(r.ci!.low).toBeLessThan(0);
    expect(r.ci!.high).toBeGreaterThan(0);
    expect(r.reason).toMatch(/rank-sum p = [0-9.]+ ≥ alpha 0\.05/);
    expect(r.reason).toMatch(/does not exclude 0/);
    expect(r.reason).toMatch(/minimum relative change 5\.0 %/);
  });

  it('3 + 3 runs can never reach alpha 0.05, even when completely separated', () => {
    const r = compareSamples(baseline.slice(0, 3), slower.slice(0, 3), { seed: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.pRankSum).toBeCloseTo(0.1, 12);
    expect(r.minAchievableP).toBeCloseTo(0.1, 12);
    expect(r.reason).toContain('with 3 + 3 runs the smallest possible p is 0.10 > 0.05: add runs');
    expect(compareSamples([1, 2], [3, 4]).reason).toContain('with 2 + 2 runs the smallest possible p is 0.33 > 0.05');
    // 4 + 4 can: the minimum is 2/70 ≈ 0.029.
    expect(compareSamples(baseline.slice(0, 4), slower.slice(0, 4), { seed: 1 }).verdict).toBe('slower');
  });

  it('significant but below minRelativeChange → inconclusive naming the size condition', () => {
    const tight = [1000, 1001, 999, 1002, 998];
    const shifted = tight.map((v) => v + 20); // +2 %, fully separated
    const r = compareSamples(tight, shifted, { seed: 1 });
    expect(r.pRankSum).toBeCloseTo(2 / 252, 12);
    expect(r.ci!.low).toBeGreaterThan(0);
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/\|Δ\| = 2\.0 % < minimum relative change 5\.0 %/);
    expect(r.reason).not.toMatch(/rank-sum p/);
    expect(compareSamples(tight, shifted, { seed: 1, minRelativeChange: 0.01 }).verdict).toBe('slower');
  });

  it('is deterministic: same inputs and seed → deep-equal results', () => {
    expect(compareSamples(baseline, slower, { seed: 9 })).toEqual(compareSamples(baseline, slower, { seed: 9 }));
    expect(compareSamples(baseline, same)).toEqual(compareSamples(baseline, same));
  });

  it('rejects empty samples and non-finite values', () => {
    expect(() => compareSamples([], [1, 2])).toThrow(RangeError);
    expect(() => compareSamples([1, Number.NaN], [1, 2])).toThrow(RangeError);
  });
});
