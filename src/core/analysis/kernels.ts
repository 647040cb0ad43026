/**
 * The two loops that nearly all of the analysis time goes through, on rows of the Float32
 * embedding matrix with Float64 accumulation: many dot products with one vector, and one
 * combination of many rows. Both take four rows at a time so that each element of the shared
 * vector is loaded once per four multiply-adds and four independent sums are in flight (scalar
 * JavaScript is otherwise bound by the latency of one accumulator: about 2x slower, measured).
 * The summation order differs from a row-at-a-time loop only by rounding (a few ulps).
 * Kept monomorphic (Float32Array data, Int32Array rows, Float64Array vectors) so V8 keeps them tight.
 */

/** out[i] = g(rows[i]) . v for i < n (data: the [rows, dim] matrix in C order). */
export function rowDots(
  data: Float32Array,
  dim: number,
  rows: Int32Array,
  n: number,
  v: Float64Array,
  out: Float64Array,
): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o0 = rows[i] * dim;
    const o1 = rows[i + 1] * dim;
    const o2 = rows[i + 2] * dim;
    const o3 = rows[i + 3] * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < dim; k++) {
      const x = v[k];
      s0 += data[o0 + k] * x;
      s1 += data[o1 + k] * x;
      s2 += data[o2 + k] * x;
      s3 += data[o3 + k] * x;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < n; i++) {
    const o = rows[i] * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += data[o + k] * v[k];
    out[i] = s;
  }
}

/** acc += sum over i < n of coef[i] * g(rows[i]). */
export function addRows(
  data: Float32Array,
  dim: number,
  rows: Int32Array,
  coef: Float64Array,
  n: number,
  acc: Float64Array,
): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o0 = rows[i] * dim;
    const o1 = rows[i + 1] * dim;
    const o2 = rows[i + 2] * dim;
    const o3 = rows[i + 3] * dim;
    const a0 = coef[i];
    const a1 = coef[i + 1];
    const a2 = coef[i + 2];
    const a3 = coef[i + 3];
    for (let k = 0; k < dim; k++)
      acc[k] += a0 * data[o0 + k] + a1 * data[o1 + k] + a2 * data[o2 + k] + a3 * data[o3 + k];
  }
  for (; i < n; i++) {
    const o = rows[i] * dim;
    const a = coef[i];
    for (let k = 0; k < dim; k++) acc[k] += a * data[o + k];
  }
}

/** The rows as an Int32Array (the kernels' row type), without copying when they already are one. */
export function asRows(rows: ArrayLike<number>): Int32Array {
  return rows instanceof Int32Array ? rows : Int32Array.from(rows);
}
