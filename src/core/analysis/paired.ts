import { withRowBlock } from './linalg.js';
import { HalfRows, readRow } from '../io/half.js';
import { dot, type Matrix } from './matrix.js';
import { Rng } from './rng.js';
import { biasCorrectedInterval, DEFAULT_PERMUTATIONS, DEFAULT_STOP_AFTER } from './significance.js';

/**
 * Significance, unbiased estimate and bootstrap interval for paired rows (pairwise and HH-RLHF
 * schemas: each record gives a chosen row g⁺_i and a rejected row g⁻_i for the same prompt).
 * The pairs, not the rows, are the independent units: everything here works on the per-pair
 * differences d_i = g⁺_i − g⁻_i, i = 1..n, whose mean d̄ is m₊ − m₋ when every row is in a pair.
 *
 * - Test (sign flip, the paired permutation test; Good 2005, §3.3): under H₀ "chosen and rejected
 *   are exchangeable within each pair" every d_i is as likely as −d_i. Statistic
 *   T(s) = ||(1/n) Σ s_i d_i||² for signs s ∈ {±1}ⁿ, T_obs = T(1) = ||d̄||²; B draws of uniform
 *   signs, p = (k + 1)/(B + 1) with k the draws with T ≥ T_obs, and the same early stop as the
 *   unpaired test (significance.ts: p = stopAfter/L once stopAfter draws reached T_obs after L).
 * - Unbiased estimate: E d̄ = δ = μ₊ − μ₋ and Cov d̄ = Σ_d/n, so E||d̄||² = ||δ||² + tr(Σ_d)/n, and
 *   with S_d the (n − 1)-divisor sample covariance of the d_i (E tr S_d = tr Σ_d),
 *   U = ||d̄||² − tr(S_d)/n is unbiased for ||δ||²; reported as sqrt(max(0, U)).
 * - Interval: R bootstrap replicates resampling n pairs with replacement, ||d̄*||, shifted on the
 *   squared scale so that their median lands on U (biasCorrectedInterval), so it contains
 *   sqrt(max(0, U)).
 *
 * No bound rules draws out as in the unpaired test: the pairs' differences spread far more than
 * their mean (on the bundled HH-RLHF sample n ||S_d|| is 3,300 times ||d̄||²), so every draw is
 * computed, n d multiply-adds each, on the differences held once in the SIMD module.
 */
export interface PairedOptions {
  permutations?: number;
  stopAfter?: number;
  bootstrapReps?: number;
  confidence?: number;
  seed?: number;
  /** Keep each replicate's d̄* (replicateVectors; for the flag stability). */
  replicateVectors?: boolean;
}

export interface PairedStats {
  pairs: number;
  /** ||d̄||: equals ||m₊ − m₋|| when every row of the behavior is in a pair. */
  meanDiffNorm: number;
  /** tr S_d, the (n − 1)-divisor covariance of the pair differences. */
  traceDiff: number;
  /** U = ||d̄||² − tr(S_d)/n, unbiased for ||μ₊ − μ₋||². */
  unbiasedSquare: number;
  /** sqrt(max(0, U)). */
  distinguishabilityUnbiased: number;
  /** Bias-corrected bootstrap interval over pairs; contains distinguishabilityUnbiased. */
  distinguishabilityCI: [number, number];
  /** ||d̄*|| of each bootstrap replicate over pairs, in draw order. */
  replicates: Float64Array;
  /** With replicateVectors: the replicates' d̄* as [R, d] float32 (else empty). */
  replicateVectors: Float32Array;
  pValue: number;
  permutations: number;
  exceedances: number;
}

/** Relative slack on the comparison with T_obs (as in significance.ts): rounding never decides a draw. */
const SLACK = 1e-6;

/**
 * The complete pairs of a behavior: for each pair id with exactly one chosen (+1) and one rejected
 * (-1) row among `rows`, those two rows (in the order the pairs first appear). Rows without a pair
 * id, or in an incomplete pair, are left out.
 */
export function completePairs(
  rows: ArrayLike<number>,
  labels: ArrayLike<number>,
  pairOf: ArrayLike<number>,
): { chosen: Int32Array; rejected: Int32Array } {
  const sides = new Map<number, { chosen: number[]; rejected: number[] }>();
  for (let i = 0; i < rows.length; i++) {
    const id = pairOf[rows[i]];
    if (id < 0) continue;
    let s = sides.get(id);
    if (!s) sides.set(id, (s = { chosen: [], rejected: [] }));
    (labels[i] > 0 ? s.chosen : s.rejected).push(rows[i]);
  }
  const chosen: number[] = [];
  const rejected: number[] = [];
  for (const s of sides.values())
    if (s.chosen.length === 1 && s.rejected.length === 1) {
      chosen.push(s.chosen[0]);
      rejected.push(s.rejected[0]);
    }
  return { chosen: Int32Array.from(chosen), rejected: Int32Array.from(rejected) };
}

/** The paired statistics of the pairs (chosen[i], rejected[i]), rows of `m`; needs n >= 2. */
export function pairedStatistics(
  m: Matrix,
  chosen: Int32Array,
  rejected: Int32Array,
  options: PairedOptions = {},
): PairedStats {
  const n = chosen.length;
  if (n < 2 || rejected.length !== n) throw new Error('paired statistics need at least 2 pairs');
  const d = m.dim;
  const B = options.permutations ?? DEFAULT_PERMUTATIONS;
  const stopAfter = options.stopAfter ?? DEFAULT_STOP_AFTER;
  const reps = options.bootstrapReps ?? 200;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 1234;

  // The differences in float32 (the rows are float32; the difference rounds once, 6e-8 relative),
  // so that the draws run on the SIMD kernels; every sum is float64.
  const diffs = new Float32Array(n * d);
  if (m.data instanceof HalfRows) {
    const a = new Float32Array(d);
    const b = new Float32Array(d);
    for (let i = 0; i < n; i++) {
      readRow(m.data, d, chosen[i], a);
      readRow(m.data, d, rejected[i], b);
      for (let k = 0; k < d; k++) diffs[i * d + k] = a[k] - b[k];
    }
  } else {
    const data = m.data;
    for (let i = 0; i < n; i++) {
      const a = chosen[i] * d;
      const b = rejected[i] * d;
      for (let k = 0; k < d; k++) diffs[i * d + k] = data[a + k] - data[b + k];
    }
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const mean = new Float64Array(d);
  let traceDiff = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += diffs[i * d + k];
  for (let k = 0; k < d; k++) mean[k] /= n;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < d; k++) traceDiff += (diffs[i * d + k] - mean[k]) ** 2;
  traceDiff /= n - 1;
  const observedMean = dot(mean, mean, d);
  const unbiasedSquare = observedMean - traceDiff / n;
  const distinguishabilityUnbiased = Math.sqrt(Math.max(0, unbiasedSquare));

  const coef = new Float64Array(n);
  const acc = new Float64Array(d);
  const replicates = new Float64Array(reps);
  const replicateVectors = new Float32Array(options.replicateVectors ? reps * d : 0);
  let exceedances = 0;
  let draws = 0;
  withRowBlock(diffs, d, all, (block) => {
    const statistic = (): number => {
      acc.fill(0);
      block.addTo(coef, acc);
      return dot(acc, acc, d);
    };
    // T_obs by the same arithmetic as a draw (all signs +), so that rounding cannot separate the
    // identity draw from it.
    coef.fill(1 / n);
    const observed = statistic();
    // Salted by the number of pairs: the signs depend only on it and the seed.
    const signs = new Rng(seed, 0x5191, n);
    while (draws < B && exceedances < stopAfter) {
      draws++;
      for (let i = 0; i < n; i += 32) {
        const bits = signs.int(0x100000000);
        for (let j = 0; j < 32 && i + j < n; j++) coef[i + j] = (bits >>> j) & 1 ? 1 / n : -1 / n;
      }
      if (statistic() >= observed * (1 - SLACK)) exceedances++;
    }
    const resample = new Rng(seed, 0xb0d5, n);
    const counts = new Int32Array(n);
    for (let r = 0; r < reps; r++) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[resample.int(n)]++;
      for (let i = 0; i < n; i++) coef[i] = counts[i] / n;
      replicates[r] = Math.sqrt(statistic());
      if (options.replicateVectors) replicateVectors.set(acc, r * d);
    }
  });
  const pValue =
    exceedances >= stopAfter && draws < B ? exceedances / draws : (exceedances + 1) / (B + 1);
  return {
    pairs: n,
    meanDiffNorm: Math.sqrt(observedMean),
    traceDiff,
    unbiasedSquare,
    distinguishabilityUnbiased,
    distinguishabilityCI:
      reps > 0
        ? biasCorrectedInterval(replicates, distinguishabilityUnbiased, unbiasedSquare, confidence)
        : [distinguishabilityUnbiased, distinguishabilityUnbiased],
    replicates,
    replicateVectors,
    pValue: Math.min(1, pValue),
    permutations: draws,
    exceedances,
  };
}
