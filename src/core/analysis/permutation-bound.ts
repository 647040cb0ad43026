import type { GramBlock } from './linalg.js';
import { dot } from './matrix.js';
import { Rng } from './rng.js';
import { jacobiEigen } from './spectral.js';

/**
 * A low-rank bound for the permutation test's statistic (significance.ts), for behaviors whose
 * within-class spread is too anisotropic for the spectral-norm bound (real sentence embeddings).
 *
 * With r_i = g_i - mu_{y_i} the residual rows (both classes, positives first), W = sum_i r_i r_i^T,
 * b = m+ - m-, a relabeling's m_S - m_notS = a b + w with w = sum_i c_i r_i = alpha sum_{i in S} r_i
 * (the residuals of each class sum to 0). Take an orthonormal Q = [b/||b||, u_1, ..., u_{q-1}],
 * the u's approximate top eigenvectors of W orthogonal to b (Lanczos), and P = I - Q Q^T. Since
 * P b = 0:
 *   T(S) = ||Q^T (a b + w)||^2 + ||P w||^2
 *        <= (a ||b|| + alpha z_0(S))^2 + sum_{k>=1} (alpha z_k(S))^2 + lambda_max(P W P) ||c||^2,
 * with z_k(S) = sum_{i in S} u_k . r_i (a sum over the draw's n+ rows of precomputed projections,
 * q numbers each) and ||c||^2 = 1/n+ + 1/n-. Any orthonormal Q gives a valid bound; better
 * eigenvectors only make it tighter. lambda_max(P W P) comes from Lanczos on P W P: its top Ritz
 * value plus that Ritz pair's residual norm (the a-posteriori rule the statistics' spectral norms
 * use too, with the same caveat: Lanczos from a random start finds the top of the spectrum).
 */
export interface LowRankBound {
  /** Directions (q of them, Q's columns). */
  q: number;
  /** z[k * n + i] = Q_k . r_i for the n rows in block order. */
  z: Float64Array;
  n: number;
  /**
   * tail[k] bounds sum_{j >= k, j >= 1} (u_j . w)^2 / ||c||^2: the k-th Ritz value of the first
   * Lanczos run (the u's are its Ritz vectors, so U^T W U is diagonal with these values), for
   * k = 1..q-1; tail[q] = 0.
   */
  tail: Float64Array;
  /** Upper bound on lambda_max(P W P). */
  remainder: number;
}

/**
 * Whether the low-rank bound rules a draw out (S = `chosen`, its n+ row positions in the block):
 * the directions are added one at a time, leading ones first, and the draw is ruled out as soon as
 * the exact part so far plus the bound on the rest stays below the observed statistic.
 */
export function lowRankRulesOut(
  low: LowRankBound,
  chosen: Int32Array,
  along: number,
  alpha: number,
  cc: number,
  observed: number,
  cap = Infinity,
): boolean {
  const { q, z, n, tail } = low;
  const target = observed * (1 - 1e-6);
  const rest = low.remainder * cc;
  // The bounds on the rest never exceed `cap`, a bound on all of the statistic off b
  // (significance.ts: rho^2); for a flat spectrum it is the tighter one.
  let exact = 0;
  for (let k = 0; k < q; k++) {
    let sum = 0;
    const o = k * n;
    for (let i = 0; i < chosen.length; i++) sum += z[o + chosen[i]];
    const x = k === 0 ? along + alpha * sum : alpha * sum;
    exact += x * x;
    const off = k === 0 ? Math.min(tail[1] * cc + rest, cap) : tail[k + 1] * cc + rest;
    if ((exact + off) * (1 + 1e-6) < target) return true;
  }
  return false;
}

export const LOW_RANK_DIRECTIONS = 24;
export const FIRST_ITERATIONS = 32;
export const SECOND_ITERATIONS = 24;

export function lowRankBound(
  block: GramBlock,
  d: number,
  np: number,
  means: [Float64Array, Float64Array],
  meanDiff: Float64Array,
  seed: number,
): LowRankBound {
  const n = block.n;
  const proj = new Float64Array(n);
  // out = W v = sum_i (r_i . v) r_i = sum_i (g_i . v) g_i - n+ (m+ . v) m+ - n- (m- . v) m-
  // (expand r_i = g_i - m_{y_i} and use sum over a class of g_i = n m): one fused pass over the
  // rows (GramBlock.gram) and a rank-2 correction.
  const nn = n - np;
  const applyW = (v: Float64Array, out: Float64Array): void => {
    out.fill(0);
    block.gram(v, 0, proj, out);
    const cp = np * dot(means[0], v, d);
    const cn = nn * dot(means[1], v, d);
    for (let k = 0; k < d; k++) out[k] -= cp * means[0][k] + cn * means[1][k];
  };
  const len = Math.sqrt(dot(meanDiff, meanDiff, d));
  const basis: Float64Array[] = [meanDiff.map((x) => x / len)];
  const rng = new Rng(seed, 0x10e2);
  const first = lanczos(applyW, d, Math.min(FIRST_ITERATIONS, d - 1), basis, rng);
  const kept: number[] = [];
  first.vectors.slice(0, LOW_RANK_DIRECTIONS - 1).forEach((v, j) => {
    // Re-orthogonalize (Ritz vectors are orthonormal to rounding; Q must be to rounding too).
    for (const u of basis) axpy(-dot(v, u, d), u, v, d);
    const nv = Math.sqrt(dot(v, v, d));
    if (nv > 1e-8) {
      basis.push(v.map((x) => x / nv));
      kept.push(Math.max(0, first.values[j]));
    }
  });
  const second = lanczos(applyW, d, Math.min(SECOND_ITERATIONS, d - basis.length), basis, rng);
  const remainder = second.values.length ? Math.max(0, second.values[0] + second.residual) : 0;
  const q = basis.length;
  const z = new Float64Array(n * q);
  for (let k = 0; k < q; k++) {
    block.dots(basis[k], proj);
    const mp = dot(means[0], basis[k], d);
    const mn = dot(means[1], basis[k], d);
    for (let i = 0; i < n; i++) z[k * n + i] = proj[i] - (i < np ? mp : mn);
  }
  // Ritz values come in descending order; the tail after direction k is bounded by the next one
  // (with the same slack as the rest: rounding of U^T W U's off-diagonal terms).
  const tail = new Float64Array(q + 1);
  for (let k = 1; k < q; k++) tail[k] = kept[k - 1] * (1 + 1e-6);
  // A tail is at most the largest remaining value, and never below the remainder's.
  for (let k = q - 1; k >= 1; k--) tail[k] = Math.max(tail[k], tail[k + 1]);
  return { q, z, n, tail, remainder };
}

/**
 * Lanczos with full reorthogonalization on P A P, P projecting out `against` (orthonormal):
 * Ritz values (descending), their vectors, and the top pair's residual norm.
 */
function lanczos(
  apply: (v: Float64Array, out: Float64Array) => void,
  d: number,
  steps: number,
  against: readonly Float64Array[],
  rng: Rng,
): { values: number[]; vectors: Float64Array[]; residual: number } {
  const project = (w: Float64Array, vs: readonly Float64Array[]): void => {
    for (let pass = 0; pass < 2; pass++) for (const u of vs) axpy(-dot(w, u, d), u, w, d);
  };
  let v: Float64Array = Float64Array.from({ length: d }, () => rng.normal());
  project(v, against);
  let nv = Math.sqrt(dot(v, v, d));
  if (nv === 0 || steps <= 0) return { values: [], vectors: [], residual: 0 };
  v = v.map((x) => x / nv);
  const V: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  const w = new Float64Array(d);
  let last = 0;
  for (let j = 0; j < steps; j++) {
    V.push(v);
    apply(v, w);
    project(w, against);
    const a = dot(w, v, d);
    alpha.push(a);
    project(w, V);
    nv = Math.sqrt(dot(w, w, d));
    last = nv;
    if (nv <= 1e-12 * Math.max(1, Math.abs(a))) {
      last = 0;
      break;
    }
    if (j < steps - 1) beta.push(nv);
    v = w.map((x) => x / nv);
  }
  const k = alpha.length;
  const t = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    t[i * k + i] = alpha[i];
    if (i + 1 < k) t[i * k + i + 1] = t[(i + 1) * k + i] = beta[i];
  }
  const { values, vectors } = jacobiEigen(t, k);
  const order = Array.from({ length: k }, (_, i) => i).sort((x, y) => values[y] - values[x]);
  const ritz = order.map((j) => {
    const x = new Float64Array(d);
    for (let i = 0; i < k; i++) axpy(vectors[i * k + j], V[i], x, d);
    return x;
  });
  const top = order[0];
  return {
    values: order.map((j) => values[j]),
    vectors: ritz,
    residual: last * Math.abs(vectors[(k - 1) * k + top]),
  };
}

function axpy(c: number, x: Float64Array, y: Float64Array, d: number): void {
  for (let k = 0; k < d; k++) y[k] += c * x[k];
}
