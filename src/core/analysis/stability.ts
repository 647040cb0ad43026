import { dot, norm } from './matrix.js';

/**
 * How much of the ranking and of the deprioritized flags the bootstrap supports. Each behavior's
 * statistics drew R bootstrap replicates of ||m+* - m-*|| (stats.ts); replicate r of every
 * behavior together is one draw of the whole mixture (the behaviors are resampled independently).
 */

/**
 * The replicates bias-corrected as the interval is (significance.ts, biasCorrectedInterval):
 * v_r = sqrt(max(0, T*_r - (median(T*) - U))) with T*_r the squared replicate and U the unbiased
 * estimate of ||mu+ - mu-||^2, so that ranks compare behaviors of different sizes and spreads
 * without the plug-in's size-dependent bias.
 */
export function correctedReplicates(
  replicates: Float64Array,
  unbiasedSquare: number,
): Float64Array {
  const sq = Float64Array.from(replicates, (x) => x * x);
  const sorted = Float64Array.from(sq).sort();
  const shift = quantile(sorted, 0.5) - unbiasedSquare;
  return sq.map((x) => Math.sqrt(Math.max(0, x - shift)));
}

/**
 * 95% rank interval per behavior: in replicate r, behavior i's rank by distinguishability is
 * 1 + #{j : v_j,r > v_i,r} (1 = most distinguishable, as the ranking tables sort); the interval is
 * [floor(q_0.025), ceil(q_0.975)] of its R ranks. null when fewer than 2 behaviors or no replicates.
 */
export function rankIntervals(corrected: readonly Float64Array[]): ([number, number] | null)[] {
  const m = corrected.length;
  const reps = m ? Math.min(...corrected.map((c) => c.length)) : 0;
  if (m < 2 || reps === 0) return corrected.map(() => null);
  const ranks = corrected.map(() => new Float64Array(reps));
  for (let r = 0; r < reps; r++)
    for (let i = 0; i < m; i++) {
      let above = 0;
      for (let j = 0; j < m; j++) if (corrected[j][r] > corrected[i][r]) above++;
      ranks[i][r] = 1 + above;
    }
  return ranks.map((x) => {
    x.sort();
    return [Math.floor(quantile(x, 0.025)), Math.ceil(quantile(x, 0.975))];
  });
}

/**
 * Fraction of bootstrap replicates in which each behavior's 'deprioritized' rule holds, with the
 * levels of eq. (5) recomputed per replicate. With `vectors` (each behavior's replicate mean
 * differences b_i*^(r), rows of the behavior resampled, or its pairs for paired rows: [R, d] in
 * float32) the levels come from the replicates' own Gram matrix G_ij = b_i*^(r) . b_j*^(r), so
 * the flags reflect the sampling error of the directions as well as of the magnitudes:
 * P_i^(r) = sum_j w_j G_ij / (sqrt(w'Gw) max_j sqrt(G_jj)). Without them (a mixture too large to
 * keep every replicate's vector) the mean differences are RESCALED to the replicate's norm,
 * b_i^(r) = b_i * ||b_i*_r|| / median_r ||b_i*_r|| (the directions are the full-sample ones): that
 * measures the magnitudes' sampling error only. `flagged(levels)` is the rule (warnings.ts + the
 * absolute threshold) applied to one replicate's levels.
 */
export function flagStability(
  b: readonly Float64Array[],
  weights: ArrayLike<number>,
  replicates: readonly Float64Array[],
  flagged: (levels: readonly number[]) => boolean[],
  vectors?: readonly Float32Array[],
): number[] | null {
  const m = b.length;
  const reps = m ? Math.min(...replicates.map((c) => c.length)) : 0;
  if (m < 2 || reps === 0) return null;
  const d = b[0].length;
  const resampled = vectors !== undefined && vectors.every((v) => v.length >= reps * d);
  const gram = b.map((x) => b.map((y) => dot(x, y, d)));
  const norms = b.map((x) => norm(x, d));
  const medians = replicates.map((x) => quantile(Float64Array.from(x).sort(), 0.5));
  const held = new Array<number>(m).fill(0);
  const s = new Float64Array(m);
  const levels = new Array<number>(m);
  const g = b.map(() => new Float64Array(m));
  for (let r = 0; r < reps; r++) {
    if (resampled) replicateGram(vectors, r, d, g);
    else
      for (let i = 0; i < m; i++) {
        s[i] = medians[i] > 0 ? replicates[i][r] / medians[i] : 1;
        for (let j = 0; j < m; j++) g[i][j] = s[i] * s[j] * gram[i][j];
      }
    let nbar2 = 0;
    let nstar = 0;
    const pull = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      nstar = Math.max(nstar, resampled ? Math.sqrt(g[i][i]) : s[i] * norms[i]);
      for (let j = 0; j < m; j++) pull[i] += weights[j] * g[i][j];
      nbar2 += weights[i] * pull[i];
    }
    const denominator = Math.sqrt(Math.max(0, nbar2)) * nstar;
    for (let i = 0; i < m; i++) levels[i] = denominator > 0 ? pull[i] / denominator : 0;
    flagged(levels).forEach((f, i) => (held[i] += f ? 1 : 0));
  }
  return held.map((h) => h / reps);
}

/**
 * g[i][j] = b_i*^(r) . b_j*^(r) from the behaviors' [R, d] replicate vectors, in float64: four
 * j at a time, so that each element of b_i* is loaded once per four multiply-adds (m^2 d R / 2 in
 * all: 140 million at 60 behaviors, d = 384).
 */
function replicateGram(
  vectors: readonly Float32Array[],
  r: number,
  d: number,
  g: Float64Array[],
): void {
  const m = vectors.length;
  const at = r * d;
  for (let i = 0; i < m; i++) {
    const x = vectors[i];
    let j = i;
    for (; j + 3 < m; j += 4) {
      const [y0, y1, y2, y3] = [vectors[j], vectors[j + 1], vectors[j + 2], vectors[j + 3]];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = at; k < at + d; k++) {
        const v = x[k];
        s0 += v * y0[k];
        s1 += v * y1[k];
        s2 += v * y2[k];
        s3 += v * y3[k];
      }
      g[i][j] = g[j][i] = s0;
      g[i][j + 1] = g[j + 1][i] = s1;
      g[i][j + 2] = g[j + 2][i] = s2;
      g[i][j + 3] = g[j + 3][i] = s3;
    }
    for (; j < m; j++) {
      const y = vectors[j];
      let sum = 0;
      for (let k = at; k < at + d; k++) sum += x[k] * y[k];
      g[i][j] = g[j][i] = sum;
    }
  }
}

function quantile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
