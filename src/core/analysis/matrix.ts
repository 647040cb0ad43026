import { HalfRows, readRow, type RowData } from '../io/half.js';

/**
 * Rows [rows, dim] in C order: the embeddings of every example of the mixture, stored as float32
 * or as float16 (io/half.ts: large matrices, float16 inputs).
 */
export interface Matrix<D extends RowData = RowData> {
  data: D;
  rows: number;
  dim: number;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

export function norm(a: ArrayLike<number>, n: number = a.length): number {
  return Math.sqrt(dot(a, a, n));
}

/** g(row) . v with Float64 accumulation (v is Float64, rows are Float32). */
export function rowDot(m: Matrix, row: number, v: Float64Array): number {
  const { dim } = m;
  if (m.data instanceof HalfRows) return dot(readRow(m.data, dim, row), v, dim);
  const data = m.data;
  const off = row * dim;
  let s = 0;
  for (let k = 0; k < dim; k++) s += data[off + k] * v[k];
  return s;
}

/** out += a * g(row). */
export function addRow(m: Matrix, row: number, a: number, out: Float64Array): void {
  const { dim } = m;
  const data = m.data instanceof HalfRows ? readRow(m.data, dim, row) : m.data;
  const off = m.data instanceof HalfRows ? 0 : row * dim;
  for (let k = 0; k < dim; k++) out[k] += a * data[off + k];
}

/** Mean of the given rows, in Float64. */
export function meanOfRows(m: Matrix, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.dim);
  for (let i = 0; i < rows.length; i++) addRow(m, rows[i], 1, out);
  const inv = rows.length > 0 ? 1 / rows.length : 0;
  for (let k = 0; k < m.dim; k++) out[k] *= inv;
  return out;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  const na = norm(a, n);
  const nb = norm(b, n);
  // A zero vector has no direction; 0 keeps JSON reports free of NaN.
  if (na === 0 || nb === 0) return 0;
  return dot(a, b, n) / (na * nb);
}
