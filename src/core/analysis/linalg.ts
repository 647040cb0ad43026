import { HalfRows, halfTable, type RowData } from '../io/half.js';
import {
  addRows as fastAddRows,
  type GramBlock,
  type RowBlock,
  rowDots as fastRowDots,
  rowSquaredDeviations as fastRowSquaredDeviations,
  withGramBlock as fastWithGramBlock,
  withRowBlock as fastWithRowBlock,
} from './kernels.js';

export { asRows } from './kernels.js';
/**
 * Lanczos's vector helpers (spectral.ts): float64 dot products in four partial sums and the
 * orthonormal basis of its full reorthogonalisation. General vector algebra, not row products,
 * so outside the interface; kernels.ts's tests compare their SIMD and JavaScript paths.
 */
export { dotF64, OrthogonalBasis } from './kernels.js';
export type { GramBlock, RowBlock };

/**
 * The linear algebra the definitions call on rows g(r) of the [N, dim] embedding matrix, with
 * float64 accumulation: nothing here knows a statistic, a loss or a step. Every engine computes
 * the same quantities; they differ only in the order of the additions (a few ulps).
 */
export interface LinearAlgebra {
  /** Row dots: out[i] = g(rows[i]) . v for i < n. */
  rowDots(
    data: RowData,
    dim: number,
    rows: Int32Array,
    n: number,
    v: Float64Array,
    out: Float64Array,
  ): void;
  /** Weighted row sums: acc += sum over i < n of coef[i] * g(rows[i]). */
  addRows(
    data: RowData,
    dim: number,
    rows: Int32Array,
    coef: Float64Array,
    n: number,
    acc: Float64Array,
  ): void;
  /** sum over i < n of ||g(rows[i]) - mean||^2, from the centred values. */
  rowSquaredDeviations(
    data: RowData,
    dim: number,
    rows: Int32Array,
    n: number,
    mean: Float64Array,
  ): number;
  /** Many passes over the same rows (Lanczos, bootstrap replicates); `fn` must be synchronous. */
  withRowBlock<T>(data: RowData, dim: number, rows: Int32Array, fn: (block: RowBlock) => T): T;
  /** withRowBlock with the Gram products Xc^T Xc v of a covariance and the class sums. */
  withGramBlock<T>(data: RowData, dim: number, rows: Int32Array, fn: (block: GramBlock) => T): T;
}

/** The value g(r)[k], whatever the storage. */
function entry(data: RowData, dim: number, r: number, k: number): number {
  return data instanceof HalfRows ? halfTable()[data.bits[r * dim + k]] : data[r * dim + k];
}

const refDots: LinearAlgebra['rowDots'] = (data, dim, rows, n, v, out) => {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += entry(data, dim, rows[i], k) * v[k];
    out[i] = s;
  }
};

const refAddRows: LinearAlgebra['addRows'] = (data, dim, rows, coef, n, acc) => {
  for (let i = 0; i < n; i++)
    for (let k = 0; k < dim; k++) acc[k] += coef[i] * entry(data, dim, rows[i], k);
};

const refSquaredDeviations: LinearAlgebra['rowSquaredDeviations'] = (data, dim, rows, n, mean) => {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const x = entry(data, dim, rows[i], k) - mean[k];
      s += x * x;
    }
    total += s;
  }
  return total;
};

function refBlock(data: RowData, dim: number, rows: Int32Array): GramBlock {
  const n = rows.length;
  const block: GramBlock = {
    n,
    dots: (v, out) => refDots(data, dim, rows, n, v, out),
    addTo: (coef, acc) => refAddRows(data, dim, rows, coef, n, acc),
    gram(v, shift, proj, acc) {
      refDots(data, dim, rows, n, v, proj);
      for (let i = 0; i < n; i++) proj[i] -= shift;
      refAddRows(data, dim, rows, proj, n, acc);
    },
    // The reference has no float32 pass: gram32 is gram (as the engine's is without SIMD).
    gram32: (v, shift, proj, acc) => block.gram(v, shift, proj, acc),
    sumRows: (acc) => refAddRows(data, dim, rows, new Float64Array(n).fill(1), n, acc),
    squaredDeviations: (mean) => refSquaredDeviations(data, dim, rows, n, mean),
  };
  return block;
}

/**
 * The reference engine: each quantity as its definition reads, one row and one addition at a time,
 * in plain JavaScript. The tests' oracle for the fast engine.
 */
export const referenceLinearAlgebra: LinearAlgebra = {
  rowDots: refDots,
  addRows: refAddRows,
  rowSquaredDeviations: refSquaredDeviations,
  withRowBlock: (data, dim, rows, fn) => fn(refBlock(data, dim, rows)),
  withGramBlock: (data, dim, rows, fn) => fn(refBlock(data, dim, rows)),
};

/**
 * The fast engine (kernels.ts: WebAssembly SIMD where available, four-row scalar loops otherwise,
 * rows copied once per block); the products of the linear-algebra worker (gemm-client.ts) and the
 * runs' resident rows (kernels.ts RunRows, ResidentRows, SortedRowDots) are not behind this
 * interface yet.
 */
export const fastLinearAlgebra: LinearAlgebra = {
  rowDots: fastRowDots,
  addRows: fastAddRows,
  rowSquaredDeviations: fastRowSquaredDeviations,
  withRowBlock: fastWithRowBlock,
  withGramBlock: fastWithGramBlock,
};

/**
 * What the definitions call: the fast engine's own functions, taken once here so that a call costs
 * what a direct call to kernels.ts does (the hot loops run millions of times).
 */
export const { rowDots, addRows, rowSquaredDeviations, withRowBlock, withGramBlock } =
  fastLinearAlgebra;
