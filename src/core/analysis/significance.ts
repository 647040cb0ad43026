import { addRows, asRows, type GramBlock, rowDots, withGramBlock } from './linalg.js';
import { dot, type Matrix } from './matrix.js';
import { Rng } from './rng.js';
import { readRow } from '../io/half.js';
import {
  FIRST_ITERATIONS,
  LOW_RANK_DIRECTIONS,
  type LowRankBound,
  lowRankBound,
  lowRankRulesOut,
  SECOND_ITERATIONS,
} from './permutation-bound.js';

/**
 * Is a behavior's mean difference more than noise? A seeded permutation test, labels shuffled
 * within the behavior (H0: the labels are exchangeable, i.e. mu+ = mu- and the classes have the
 * same distribution).
 *
 * Statistic: T(S) = ||m_S - m_notS||^2, the squared distance between the means of a relabeled
 * positive set S (|S| = n+) and its complement; T_obs = ||m+ - m-||^2 for the true labels.
 * p = (k + 1) / (B + 1) with k the draws with T >= T_obs out of B (Phipson & Smyth 2010: never 0,
 * and exactly valid), so B = 999 resolves p down to 1e-3.
 *
 * Early stop (Besag & Clifford 1991, also exactly valid): once `stopAfter` draws reach T_obs the
 * test stops after L draws with p = stopAfter / L; a behavior clearly indistinguishable from noise
 * costs a few dozen draws.
 *
 * Most draws are decided without touching the rows. Write each row as g_i = mu_{y_i} + r_i (its
 * true class mean plus a residual). For a relabeling with coefficients c_i = 1/n+ on S and -1/n-
 * off S, m_S - m_notS = sum_i c_i g_i = a (m+ - m-) + sum_i c_i r_i, where
 * a = sum_{i in D+} c_i = k/n+ - (n+ - k)/n- and k = |S ∩ D+| (sum_i c_i = 0 gives the second
 * class the coefficient -a). With R the residual rows, ||sum_i c_i r_i|| <= ||R||_2 ||c||,
 * ||c||^2 = 1/n+ + 1/n-, and ||R||_2^2 = lambda_max((n+ - 1) S+ + (n- - 1) S-)
 * <= (n+ - 1)||S+|| + (n- - 1)||S-|| (S± the class covariances, ||·|| their spectral norms). So
 * sqrt(T(S)) <= |a| ||m+ - m-|| + rho with rho = sqrt(((n+ - 1)||S+|| + (n- - 1)||S-||)(1/n+ + 1/n-)),
 * and a draw with |a| ||m+ - m-|| + rho < ||m+ - m-|| cannot reach T_obs. Only the others are
 * computed from the rows (exactly, in float64). k alone is drawn first (hypergeometric: the true
 * positives among n+ of n examples drawn without replacement), then, for a draw that needs its
 * rows, which k positives and n+ - k negatives: together a uniformly random S. A draw the first
 * bound does not rule out meets a tighter one (permutation-bound.ts: the statistic in a few
 * leading directions of the residuals, exactly, plus a bound on the rest) before it is computed,
 * once enough draws are expected to need it to repay building it (lowRankCost).
 */
export interface PermutationOptions {
  /** Draws B (default 999: p down to 1e-3). */
  permutations?: number;
  /** Stop once this many draws reach the observed statistic (default 50). */
  stopAfter?: number;
  seed?: number;
  /** Use the bounds that need `means` (along b, low-rank; default true; false: for tests). */
  lowRank?: boolean;
  /** The low-rank bound alone: built at the first draw that needs it, no bound along b (for tests). */
  lowRankAlways?: boolean;
}

export const DEFAULT_PERMUTATIONS = 999;
export const DEFAULT_STOP_AFTER = 50;

export interface PermutationResult {
  pValue: number;
  /** Draws made (B, or fewer after an early stop). */
  permutations: number;
  /** Draws whose statistic reached the observed one. */
  exceedances: number;
  /** Draws that had to be computed from the rows (the rest were ruled out by the bound). */
  computed: number;
  /** Whether the low-rank bound was built (only where it is expected to save more than it costs). */
  lowRank: boolean;
}

/** What the test needs of the behavior's statistics (all in BehaviorStats). */
export interface PermutationInput {
  meanDiff: Float64Array;
  /** Spectral norms of the two class covariances (n - 1 divisor). */
  spectralNorms: [number, number];
  /** The class means m+ and m-: enable the low-rank bound (permutation-bound.ts). */
  means?: [Float64Array, Float64Array];
}

/** Relative slack on the bound and the comparison: Lanczos norms and rounding never decide a draw. */
const SLACK = 1e-6;

export function permutationTest(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  input: PermutationInput,
  options: PermutationOptions = {},
): PermutationResult {
  const B = options.permutations ?? DEFAULT_PERMUTATIONS;
  const stopAfter = options.stopAfter ?? DEFAULT_STOP_AFTER;
  const np = positives.length;
  const nn = negatives.length;
  const n = np + nn;
  const d = m.dim;
  const observed = dot(input.meanDiff, input.meanDiff, d);
  const len = Math.sqrt(observed);
  const rho = Math.sqrt(
    ((np - 1) * input.spectralNorms[0] + (nn - 1) * input.spectralNorms[1]) *
      (1 / np + 1 / nn) *
      (1 + SLACK),
  );
  const cdf = hypergeometricCdf(n, np, np);
  const kMin = Math.max(0, np - nn);
  // Salted by the class sizes: the draws depend only on them and the seed. k comes from one
  // stream; the subset of a computed draw from its own stream (salted by the draw's number), so
  // the draws, and the p-value, do not depend on which draws the bound rules out.
  const seed = options.seed ?? 1234;
  const rng = new Rng(seed, 0x9e47, np, nn);
  const both = new Int32Array(n);
  both.set(asRows(positives));
  both.set(asRows(negatives), np);
  const permPos = new Int32Array(np);
  const permNeg = new Int32Array(nn);
  const coef = new Float64Array(n);
  const chosen = new Int32Array(np);
  let low: LowRankBound | undefined;
  let along: Float64Array | undefined;
  const alpha = 1 / np + 1 / nn;
  let exceedances = 0;
  let computed = 0;
  let draws = 0;
  // Draws that the spectral bound did not rule out (the low-rank bound's expected customers).
  let passed = 0;
  withGramBlock(m.data, d, both, (block) => {
    // m_S - m_notS = alpha * sum_S g - (1/n-) * sum_all g.
    const total = new Float64Array(d);
    block.addTo(new Float64Array(n).fill(1), total);
    const diff = new Float64Array(d);
    while (draws < B && exceedances < stopAfter) {
      draws++;
      const k = kMin + searchCdf(cdf, rng.float());
      const a = k / np - (np - k) / nn;
      if (Math.abs(a) * len + rho < len * (1 - SLACK)) continue;
      pickSubset(seed, np, nn, draws, k, permPos, permNeg, chosen);
      if (!low && input.means && options.lowRank !== false && !options.lowRankAlways) {
        // The statistic along b exactly, the rest by the spectral bound (see alongB).
        along ??= alongB(block, d, np, input.means, input.meanDiff, len);
        let sum = 0;
        for (let i = 0; i < np; i++) sum += along[chosen[i]];
        const x = a * len + alpha * sum;
        if ((x * x + rho * rho) * (1 + SLACK) < observed * (1 - SLACK)) continue;
      }
      passed++;
      if (!low && input.means && options.lowRank !== false) {
        const remaining =
          exceedances > 0
            ? Math.min(B - draws, ((stopAfter - exceedances) * draws) / exceedances)
            : B - draws;
        if (
          options.lowRankAlways ||
          (draws >= LOW_RANK_PROBE && (passed / draws) * remaining * np > lowRankCost(n))
        )
          low = lowRankBound(block, d, np, input.means, input.meanDiff, seed);
      }
      if (low && lowRankRulesOut(low, chosen, a * len, alpha, 1 / np + 1 / nn, observed, rho * rho))
        continue;
      computed++;
      coef.fill(0);
      for (let i = 0; i < np; i++) coef[chosen[i]] = alpha;
      for (let q = 0; q < d; q++) diff[q] = -total[q] / nn;
      block.addTo(coef, diff);
      if (dot(diff, diff, d) >= observed * (1 - SLACK)) exceedances++;
    }
  });
  const pValue =
    exceedances >= stopAfter && draws < B ? exceedances / draws : (exceedances + 1) / (B + 1);
  return {
    pValue: Math.min(1, pValue),
    permutations: draws,
    exceedances,
    computed,
    lowRank: low !== undefined,
  };
}

/**
 * The residuals' projections on b / ||b||, z_i = (g_i - m_{y_i}) . b / ||b|| in block order (one
 * pass over the rows). With them a draw's statistic splits into its component along b, exactly,
 * and the rest: T(S) = (a ||b|| + alpha sum_{i in S} z_i)^2 + ||P_b w||^2 <= (...)^2 + rho^2
 * (P_b projects out b; ||P_b w|| <= ||w|| <= ||R||_2 ||c|| <= rho as in the first bound). A draw
 * that the first bound passes because |a| is large is usually ruled out here for n+ additions,
 * where computing it costs n+ · d multiply-adds: on isotropic spreads (the synthetic benchmark)
 * it decides nearly all of them.
 */
function alongB(
  block: GramBlock,
  d: number,
  np: number,
  means: [Float64Array, Float64Array],
  meanDiff: Float64Array,
  len: number,
): Float64Array {
  const unit = meanDiff.map((x) => x / len);
  const z = new Float64Array(block.n);
  block.dots(unit, z);
  const mp = dot(means[0], unit, d);
  const mn = dot(means[1], unit, d);
  for (let i = 0; i < z.length; i++) z[i] -= i < np ? mp : mn;
  return z;
}

/**
 * When the low-rank bound is built. It costs about LOW_RANK_PASSES passes of n·d multiply-adds
 * (two Lanczos runs of fused Gram passes, then the projections) and can at best save each later
 * draw that the spectral bound passes its n+·d computation. So it is built at the first such draw
 * after LOW_RANK_PROBE draws where (share of draws passed so far) × (draws expected to remain,
 * counting an early stop) × n+ exceeds LOW_RANK_PASSES × n. On real sentence embeddings nearly
 * every draw passes the spectral bound and it is built at once; on isotropic spreads (the
 * synthetic benchmark) a few percent pass and it never pays. Either way only the work changes:
 * every draw not ruled out is computed exactly, so the p-value is the same.
 */
const LOW_RANK_PROBE = 16;
const LOW_RANK_PASSES = 2 * FIRST_ITERATIONS + 2 * SECOND_ITERATIONS + LOW_RANK_DIRECTIONS;
const lowRankCost = (n: number): number => LOW_RANK_PASSES * n;

/**
 * The relabeled positive set of draw `draw` given its k: k of the positives and np - k of the
 * negatives (block positions, positives first), from the draw's own stream, into `chosen`.
 */
function pickSubset(
  seed: number,
  np: number,
  nn: number,
  draw: number,
  k: number,
  permPos: Int32Array,
  permNeg: Int32Array,
  chosen: Int32Array,
): void {
  const pick = new DrawRng(seed, np, nn, draw);
  for (let i = 0; i < np; i++) permPos[i] = i;
  for (let j = 0; j < nn; j++) permNeg[j] = np + j;
  for (let i = 0; i < k; i++) {
    const j = i + pick.int(np - i);
    const t = permPos[j];
    permPos[j] = permPos[i];
    permPos[i] = t;
    chosen[i] = t;
  }
  for (let i = 0; i < np - k; i++) {
    const j = i + pick.int(nn - i);
    const t = permNeg[j];
    permNeg[j] = permNeg[i];
    permNeg[i] = t;
    chosen[k + i] = t;
  }
}

/** What permutationTestWith asks of the linear-algebra worker (GemmService.behavior). */
export interface PermutationProducts {
  /**
   * ||C (X - mean X)||^2 per row of C [r, n] (float32 product, squares summed in float64), X the
   * behavior's rows, positives then negatives.
   */
  centredNorms(
    positives: Int32Array,
    negatives: Int32Array,
    c: Float32Array,
  ): Promise<Float64Array>;
}

/** Draws whose float32 statistics go to the linear-algebra worker in one request. */
const PRODUCT_BATCH = 128;

/**
 * permutationTest with the statistics of the draws that the bounds do not rule out computed as one
 * float32 matrix product per batch by the linear-algebra worker (rows of C: 1/n+ on S, -1/n- off
 * S), with a rigorous bound on that product's rounding error: a draw is decided by the float32
 * value only where the value plus or minus the error bound is on one side of the threshold, and
 * computed exactly (float64, as permutationTest does) otherwise. So every draw gets the decision
 * of permutationTest, which has the same draws: the same p-value, exceedances and draw count
 * (test/unit/analysis-significance.test.ts). The low-rank bound is not used (the product is
 * cheaper than building it).
 *
 * The error bound: with u = 2^-24 and any summation order, a float32 sum of n products errs by at
 * most gamma_n sum |terms| (gamma_n = n u / (1 - n u)); the coefficients, the mean and the
 * centring round too. Per coordinate q the product errs by at most
 * (gamma_n + 3u)(1 + u) max(1/n+, 1/n-) A_q with A_q = sum_i |g_iq - mu_q| + gamma_n sum_i |g_iq|
 * (the second term covers the float32 mean), so the computed norm is within twice the Euclidean
 * norm of that vector of the exact one (the factor 2: slack for the float64 parts).
 */
export async function permutationTestWith(
  m: Matrix,
  positives: Int32Array,
  negatives: Int32Array,
  input: PermutationInput,
  products: PermutationProducts,
  options: PermutationOptions = {},
): Promise<PermutationResult> {
  const B = options.permutations ?? DEFAULT_PERMUTATIONS;
  const stopAfter = options.stopAfter ?? DEFAULT_STOP_AFTER;
  const np = positives.length;
  const nn = negatives.length;
  const n = np + nn;
  const d = m.dim;
  const observed = dot(input.meanDiff, input.meanDiff, d);
  const len = Math.sqrt(observed);
  const rho = Math.sqrt(
    ((np - 1) * input.spectralNorms[0] + (nn - 1) * input.spectralNorms[1]) *
      (1 / np + 1 / nn) *
      (1 + SLACK),
  );
  const cdf = hypergeometricCdf(n, np, np);
  const kMin = Math.max(0, np - nn);
  const seed = options.seed ?? 1234;
  const rng = new Rng(seed, 0x9e47, np, nn);
  const both = new Int32Array(n);
  both.set(positives);
  both.set(negatives, np);
  const permPos = new Int32Array(np);
  const permNeg = new Int32Array(nn);
  const alpha = 1 / np + 1 / nn;
  const useAlong = input.means !== undefined && options.lowRank !== false;
  let along: Float64Array | undefined;
  let exceedances = 0;
  let computed = 0;
  let draws = 0;
  let stoppedAt = 0;
  let error = -1;
  let total: Float64Array | undefined;
  const threshold = Math.sqrt(observed * (1 - SLACK));
  const pending: { draw: number; chosen: Int32Array }[] = [];
  const c = new Float32Array(PRODUCT_BATCH * n);
  const exact = (chosen: Int32Array): boolean => {
    computed++;
    total ??= (() => {
      const t = new Float64Array(d);
      addRows(m.data, d, both, new Float64Array(n).fill(1), n, t);
      return t;
    })();
    const coef = new Float64Array(n);
    for (let i = 0; i < np; i++) coef[chosen[i]] = alpha;
    const diff = new Float64Array(d);
    for (let q = 0; q < d; q++) diff[q] = -total[q] / nn;
    addRows(m.data, d, both, coef, n, diff);
    return dot(diff, diff, d) >= observed * (1 - SLACK);
  };
  const flush = async (): Promise<void> => {
    if (!pending.length || stoppedAt) return;
    if (error < 0) error = productError(m, both, np);
    const r = pending.length;
    const a = c.subarray(0, r * n);
    a.fill(-1 / nn);
    pending.forEach((p, j) => {
      for (let i = 0; i < np; i++) a[j * n + p.chosen[i]] = 1 / np;
    });
    const norms = await products.centredNorms(positives, negatives, a);
    for (let j = 0; j < r && !stoppedAt; j++) {
      const v = Math.sqrt(norms[j]);
      const hit =
        v - error > threshold * (1 + 1e-9)
          ? true
          : v + error < threshold * (1 - 1e-9)
            ? false
            : exact(pending[j].chosen);
      if (hit && ++exceedances >= stopAfter && pending[j].draw < B) stoppedAt = pending[j].draw;
    }
    pending.length = 0;
  };
  while (draws < B && !stoppedAt) {
    draws++;
    const k = kMin + searchCdf(cdf, rng.float());
    const a = k / np - (np - k) / nn;
    if (Math.abs(a) * len + rho < len * (1 - SLACK)) continue;
    const chosen = new Int32Array(np);
    pickSubset(seed, np, nn, draws, k, permPos, permNeg, chosen);
    if (useAlong && input.means) {
      along ??= alongRows(m, both, np, input.means, input.meanDiff, len);
      let sum = 0;
      for (let i = 0; i < np; i++) sum += along[chosen[i]];
      const x = a * len + alpha * sum;
      if ((x * x + rho * rho) * (1 + SLACK) < observed * (1 - SLACK)) continue;
    }
    pending.push({ draw: draws, chosen });
    if (pending.length === PRODUCT_BATCH) await flush();
  }
  await flush();
  if (stoppedAt) draws = stoppedAt;
  const pValue =
    exceedances >= stopAfter && draws < B ? exceedances / draws : (exceedances + 1) / (B + 1);
  return {
    pValue: Math.min(1, pValue),
    permutations: draws,
    exceedances,
    computed,
    lowRank: false,
  };
}

/** The error bound of permutationTestWith's float32 product (see there). */
export function productError(m: Matrix, rows: Int32Array, np: number): number {
  const d = m.dim;
  const n = rows.length;
  const u = 2 ** -24;
  const gamma = (n * u) / (1 - n * u);
  const mean = new Float64Array(d);
  const row = new Float32Array(d);
  for (const r of rows) {
    readRow(m.data, d, r, row);
    for (let q = 0; q < d; q++) mean[q] += row[q] / n;
  }
  const A = new Float64Array(d);
  for (const r of rows) {
    readRow(m.data, d, r, row);
    for (let q = 0; q < d; q++) {
      const g = row[q];
      A[q] += Math.abs(g - mean[q]) + gamma * Math.abs(g);
    }
  }
  const scale = (gamma + 3 * u) * (1 + u) * Math.max(1 / np, 1 / (n - np));
  return 2 * scale * Math.sqrt(dot(A, A, d));
}

/** alongB from the matrix (no block): the residuals' projections on b / ||b||. */
function alongRows(
  m: Matrix,
  rows: Int32Array,
  np: number,
  means: [Float64Array, Float64Array],
  meanDiff: Float64Array,
  len: number,
): Float64Array {
  const d = m.dim;
  const unit = meanDiff.map((x) => x / len);
  const z = new Float64Array(rows.length);
  rowDots(m.data, d, rows, rows.length, unit, z);
  const mp = dot(means[0], unit, d);
  const mn = dot(means[1], unit, d);
  for (let i = 0; i < z.length; i++) z[i] -= i < np ? mp : mn;
  return z;
}

/**
 * CDF of the hypergeometric law of k, the successes among `draws` drawn without replacement from
 * N items of which K are successes, for k = max(0, draws - (N - K)) .. min(K, draws), from
 * log-factorials (sums of logs: no gamma function needed, exact enough for these n).
 */
export function hypergeometricCdf(N: number, K: number, draws: number): Float64Array {
  const logFact = new Float64Array(N + 1);
  for (let i = 2; i <= N; i++) logFact[i] = logFact[i - 1] + Math.log(i);
  const logC = (a: number, b: number): number => logFact[a] - logFact[b] - logFact[a - b];
  const lo = Math.max(0, draws - (N - K));
  const hi = Math.min(K, draws);
  const log = new Float64Array(hi - lo + 1);
  let top = -Infinity;
  for (let k = lo; k <= hi; k++) {
    log[k - lo] = logC(K, k) + logC(N - K, draws - k) - logC(N, draws);
    top = Math.max(top, log[k - lo]);
  }
  const cdf = new Float64Array(log.length);
  let sum = 0;
  for (let i = 0; i < log.length; i++) cdf[i] = sum += Math.exp(log[i] - top);
  for (let i = 0; i < cdf.length; i++) cdf[i] /= sum;
  return cdf;
}

/** Smallest index i with u < cdf[i] (the last index for u at or past rounding of 1). */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Benjamini-Hochberg adjusted p-values (step-up, controls the false discovery rate across the
 * behaviors of a mixture): q_(i) = min_{j >= i} min(1, m p_(j) / j) over the p-values sorted
 * ascending; returned in the input's order. A behavior is significant at level q when q_i < q.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((x, y) => p[x] - p[y] || x - y);
  const out = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r];
    running = Math.min(running, (m * p[i]) / (r + 1));
    out[i] = Math.min(1, running);
  }
  return out;
}

/**
 * sqrt(max(0, ||m+ - m-||^2 - tr(S+)/n+ - tr(S-)/n-)): the plug-in ||m+ - m-||^2 overestimates
 * ||mu+ - mu-||^2 by exactly tr(Sigma+)/n+ + tr(Sigma-)/n- in expectation (E m± = mu±,
 * Cov m± = Sigma±/n±), and the (n - 1)-divisor traces are unbiased for tr(Sigma±), so the square
 * under the root is an unbiased estimate of ||mu+ - mu-||^2 (the root itself is not exactly
 * unbiased, and is clamped at 0).
 */
export function unbiasedDistinguishability(
  distinguishability: number,
  traces: [number, number],
  sizes: [number, number],
): number {
  const sq = distinguishability * distinguishability - traces[0] / sizes[0] - traces[1] / sizes[1];
  return Math.sqrt(Math.max(0, sq));
}

/**
 * Bias-corrected percentile interval from bootstrap replicates of ||m+* - m-*||. The replicates
 * are centred near the plug-in estimate plus its bias (each resample adds about
 * tr(S+)/n+ + tr(S-)/n- to the square again), so their percentile interval sits above the truth
 * and often excludes even the plug-in estimate. On the squared scale, where that bias is additive,
 * the replicates are shifted so that their median lands on the unbiased estimate U of
 * ||mu+ - mu-||^2: [q_lo(T*) - (med(T*) - U), q_hi(T*) - (med(T*) - U)], T* = replicates squared,
 * quantiles by numpy's linear rule; then square-rooted, clamped at 0. It therefore always contains
 * `unbiased` = sqrt(max(0, U)).
 */
export function biasCorrectedInterval(
  replicates: Float64Array,
  unbiased: number,
  unbiasedSquare: number,
  confidence: number,
): [number, number] {
  const sq = Float64Array.from(replicates, (x) => x * x).sort();
  const alpha = (1 - confidence) / 2;
  const shift = quantileSorted(sq, 0.5) - unbiasedSquare;
  const lo = Math.sqrt(Math.max(0, quantileSorted(sq, alpha) - shift));
  const hi = Math.sqrt(Math.max(0, quantileSorted(sq, 1 - alpha) - shift));
  // Rounding of the shift must not push the estimate outside its own interval.
  return [Math.min(lo, unbiased), Math.max(hi, unbiased)];
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The per-draw stream of the subset picks: mulberry32 seeded by a hash of (seed, sizes, draw), with
 * exactly uniform integers by rejection. A draw's picks need hundreds of integers, and a fresh
 * pure-rand generator per draw cost most of the test's time.
 */
class DrawRng {
  private state: number;

  constructor(seed: number, np: number, nn: number, draw: number) {
    let h = Math.imul(seed ^ 0x9e48, 0x9e3779b1);
    for (const x of [np, nn, draw]) {
      h = Math.imul(h ^ x, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
    this.state = h | 0;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n), n <= 2^32: rejection keeps it exactly uniform. */
  int(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let u = this.next();
    while (u >= limit) u = this.next();
    return u % n;
  }
}
