import type { Matrix } from './matrix.js';

/**
 * Rows of the matrix as a [rows.length, dim] float64 block in memory of its own: what onnxruntime
 * multiplies (it takes neither float32 with float64 nor shared memory).
 */
export function gatherRows(m: Matrix, rows: ArrayLike<number>): Float64Array {
  const d = m.dim;
  const out = new Float64Array(rows.length * d);
  for (let j = 0; j < rows.length; j++)
    out.set(m.data.subarray(rows[j] * d, (rows[j] + 1) * d), j * d);
  return out;
}
