import type { Matrix } from './matrix.js';

/**
 * Rows of the matrix as a [rows.length, dim] block at the start of `into` (float64 for the runs'
 * scores, float32 for the statistics' products): what onnxruntime multiplies (it takes neither
 * float32 with float64 nor shared memory). Callers hand in a block they reuse: filling fresh
 * memory is about three times slower than the copy.
 */
export function gatherRows(
  m: Matrix,
  rows: ArrayLike<number>,
  into: Float32Array | Float64Array,
): void {
  const d = m.dim;
  for (let j = 0; j < rows.length; j++)
    into.set(m.data.subarray(rows[j] * d, (rows[j] + 1) * d), j * d);
}
