import { BYTE_VIEW_LIMIT, bytesOf, copyRowRuns, rowRunBytes } from './kernels.js';
import { HalfRows, readRow } from '../io/half.js';
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
  if (into instanceof Float32Array) return copyRowRuns(m.data, d, rows, 0, rows.length, into, 0);
  if (m.data instanceof HalfRows) {
    const half = new Float32Array(d);
    for (let j = 0; j < rows.length; j++) into.set(readRow(m.data, d, rows[j], half), j * d);
    return;
  }
  // Each row as bytes into unshared memory first, then converted: faster than converting out of
  // shared memory (copyRowRuns).
  const data = m.data;
  const source = data.byteLength < BYTE_VIEW_LIMIT ? bytesOf(data) : undefined;
  const row = new Float32Array(d);
  const rowBytes = bytesOf(row);
  for (let j = 0; j < rows.length; j++) {
    rowBytes.set(rowRunBytes(data, source, rows[j] * 4 * d, 4 * d));
    into.set(row, j * d);
  }
}
