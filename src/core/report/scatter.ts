import type { RowData } from '../io/half.js';
import { readRow } from '../io/half.js';
import { Rng } from '../analysis/rng.js';
import type { Embeddings } from '../embed/types.js';

/** PCA for the map (src/core/report/projection.ts): the seeded sample and the basis. */

/** Seeded stratified subsample: every (behavior, label) stratum keeps its share, at least one row. */
export const stratifiedSample = (
  strata: readonly string[],
  maxPoints: number,
  seed: number,
): number[] => {
  if (strata.length <= maxPoints) return strata.map((_, i) => i);
  const groups = new Map<string, number[]>();
  strata.forEach((key, i) => {
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const rng = new Rng(seed, 0x5ca7);
  const chosen: number[] = [];
  for (const rows of groups.values()) {
    const keep = Math.max(1, Math.round((rows.length * maxPoints) / strata.length));
    // Partial Fisher-Yates: the first `keep` entries become a uniform sample of the stratum.
    for (let i = 0; i < Math.min(keep, rows.length); i++) {
      const j = i + rng.int(rows.length - i);
      [rows[i], rows[j]] = [rows[j], rows[i]];
      chosen.push(rows[i]);
    }
  }
  return chosen.sort((a, b) => a - b);
};

/** A fitted PCA: the mean and an orthonormal basis [dims, d], row-major. */
export interface PcaBasis {
  mean: Float64Array;
  basis: Float64Array;
  dims: number;
  d: number;
}

/**
 * Top-k principal components by seeded block power iteration on the centered data; the d x d
 * scatter matrix is formed only when d <= n (d can be 4096). Returns row-major [rows.length, k] scores.
 */
export const pcaScores = (
  emb: Embeddings<RowData>,
  rows: readonly number[],
  k: number,
  seed: number,
  iterations = 30,
): { scores: Float64Array; dims: number } => {
  const { x, fit } = fitPca(emb, rows, k, seed, iterations);
  const xv = new Float64Array(rows.length * fit.dims);
  projectRows(x, rows.length, fit.d, fit.basis, fit.dims, xv);
  return { scores: xv, dims: fit.dims };
};

/** The basis alone (fitted on `rows`), to project other rows with `pcaProject`. */
export const pcaBasis = (
  emb: Embeddings<RowData>,
  rows: readonly number[],
  k: number,
  seed: number,
  iterations = 30,
): PcaBasis => fitPca(emb, rows, k, seed, iterations).fit;

/** Scores of every row of `emb` on a fitted basis: row-major [emb.rows, dims], float32. */
export const pcaProject = (emb: Embeddings<RowData>, fit: PcaBasis): Float32Array => {
  const { d, dims, basis, mean } = fit;
  const out = new Float32Array(emb.rows * dims);
  const row = new Float64Array(d);
  const stored = new Float32Array(d);
  for (let i = 0; i < emb.rows; i++) {
    const g = readRow(emb.data, d, i, stored);
    for (let j = 0; j < d; j++) row[j] = g[j] - mean[j];
    for (let c = 0; c < dims; c++) {
      const base = c * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += row[j] * basis[base + j];
      out[i * dims + c] = s;
    }
  }
  return out;
};

const fitPca = (
  emb: Embeddings<RowData>,
  rows: readonly number[],
  k: number,
  seed: number,
  iterations: number,
): { x: Float64Array; fit: PcaBasis } => {
  const n = rows.length;
  const d = emb.dim;
  const dims = Math.max(1, Math.min(k, d, n));
  const mean = new Float64Array(d);
  const g = new Float32Array(d);
  for (const r of rows) {
    readRow(emb.data, d, r, g);
    for (let j = 0; j < d; j++) mean[j] += g[j];
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
  const x = new Float64Array(n * d);
  rows.forEach((r, i) => {
    readRow(emb.data, d, r, g);
    for (let j = 0; j < d; j++) x[i * d + j] = g[j] - mean[j];
  });
  const rng = new Rng(seed, 0x9ca);
  // Basis V: [dims, d], row-major; start from seeded uniform noise.
  let v = new Float64Array(dims * d);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  const xv = new Float64Array(n * dims);
  // With fewer dimensions than rows (MiniLM: 384 vs up to 2000 points) the d x d scatter matrix
  // X^T X costs one pass, and each iteration then costs d^2 k instead of 2 n d k: ~5x faster.
  // Wide models (d > n, e.g. 4096) keep the two passes over X.
  if (d <= n) {
    const c = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const off = i * d;
      for (let a = 0; a < d; a++) {
        const xa = x[off + a];
        if (xa === 0) continue;
        const base = a * d;
        for (let b = a; b < d; b++) c[base + b] += xa * x[off + b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) c[a * d + b] = c[b * d + a];
    for (let it = 0; it < iterations; it++) {
      const next = new Float64Array(dims * d);
      for (let r = 0; r < dims; r++) {
        const base = r * d;
        for (let j = 0; j < d; j++) {
          const coef = v[base + j];
          if (coef === 0) continue;
          const row = j * d;
          for (let b = 0; b < d; b++) next[base + b] += coef * c[row + b];
        }
      }
      gramSchmidt(next, dims, d);
      v = next;
    }
    return { x, fit: { mean, basis: v, dims, d } };
  }
  for (let it = 0; it < iterations; it++) {
    // XV = X V^T  ([n, dims]); then V' = (X^T XV)^T ([dims, d]), then orthonormalize V'.
    projectRows(x, n, d, v, dims, xv);
    const next = new Float64Array(dims * d);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < dims; c++) {
        const coef = xv[i * dims + c];
        if (coef === 0) continue;
        const base = c * d;
        const rowOff = i * d;
        for (let j = 0; j < d; j++) next[base + j] += coef * x[rowOff + j];
      }
    }
    gramSchmidt(next, dims, d);
    v = next;
  }
  return { x, fit: { mean, basis: v, dims, d } };
};

const projectRows = (
  x: Float64Array,
  n: number,
  d: number,
  v: Float64Array,
  dims: number,
  out: Float64Array,
): void => {
  for (let i = 0; i < n; i++) {
    const rowOff = i * d;
    for (let c = 0; c < dims; c++) {
      const base = c * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[rowOff + j] * v[base + j];
      out[i * dims + c] = s;
    }
  }
};

const gramSchmidt = (v: Float64Array, rows: number, d: number): void => {
  for (let a = 0; a < rows; a++) {
    const ao = a * d;
    for (let b = 0; b < a; b++) {
      const bo = b * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[ao + j] * v[bo + j];
      for (let j = 0; j < d; j++) v[ao + j] -= dot * v[bo + j];
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += v[ao + j] * v[ao + j];
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < d; j++) v[ao + j] /= norm;
  }
};
