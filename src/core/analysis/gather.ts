import type { Matrix } from './matrix.js';

/**
 * Rows of the matrix as a [rows.length, dim] block at the start of `into`: what onnxruntime
 * multiplies (it does not take shared memory). Reusing a block is about three times faster than
 * touching fresh memory, so callers hand in one.
 */
export function gatherRows(m: Matrix, rows: ArrayLike<number>, into: Float32Array): void {
  const d = m.dim;
  for (let j = 0; j < rows.length; j++)
    into.set(m.data.subarray(rows[j] * d, (rows[j] + 1) * d), j * d);
}
