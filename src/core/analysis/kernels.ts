import { type SimdKernels, simdKernels } from './simd.js';

/**
 * The two loops that nearly all of the analysis time goes through, on rows of the Float32
 * embedding matrix with Float64 accumulation: many dot products with one vector, and one
 * combination of many rows. Both take four rows at a time so that each element of the shared
 * vector is loaded once per four multiply-adds and four independent sums are in flight (scalar
 * JavaScript is otherwise bound by the latency of one accumulator: about 2x slower, measured).
 * The summation order differs from a row-at-a-time loop only by rounding (a few ulps).
 * Kept monomorphic (Float32Array data, Int32Array rows, Float64Array vectors) so V8 keeps them tight.
 * Where WebAssembly SIMD is available (Node 20 and every current VS Code) they run there (simd.ts).
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
  const k = simdKernels();
  if (!k || n === 0) return rowDotsJs(data, dim, rows, n, v, out);
  const s = scratch(k, dim);
  s.f64.set(v.subarray(0, dim), s.vec / 8);
  for (let from = 0; from < n; from += s.cap) {
    const m = Math.min(s.cap, n - from);
    copyRows(data, dim, rows, from, m, s);
    k.dots(s.rows, m, dim, s.vec, s.coef);
    out.set(s.f64.subarray(s.coef / 8, s.coef / 8 + m), from);
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
  const k = simdKernels();
  if (!k || n === 0) return addRowsJs(data, dim, rows, coef, n, acc);
  const s = scratch(k, dim);
  s.f64.set(acc.subarray(0, dim), s.vec / 8);
  for (let from = 0; from < n; from += s.cap) {
    const m = Math.min(s.cap, n - from);
    copyRows(data, dim, rows, from, m, s);
    s.f64.set(coef.subarray(from, from + m), s.coef / 8);
    k.axpys(s.rows, m, dim, s.coef, s.vec);
  }
  acc.set(s.f64.subarray(s.vec / 8, s.vec / 8 + dim));
}

/** Bytes of rows copied into the module's memory per call of a kernel: stays in L2. */
const CHUNK_BYTES = 1 << 18;

interface Scratch {
  f32: Float32Array;
  f64: Float64Array;
  /** Byte offsets: the vector (v or acc, dim f64), the per-row values (cap f64), the rows (cap x dim f32). */
  vec: number;
  coef: number;
  rows: number;
  cap: number;
}

let views: { buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | null = null;

function scratch(k: SimdKernels, dim: number): Scratch {
  const cap = Math.max(4, Math.floor(CHUNK_BYTES / (4 * dim)));
  const align = (x: number): number => Math.ceil(x / 16) * 16;
  const vec = 0;
  const coef = align(8 * dim);
  const rows = coef + align(8 * cap);
  const need = rows + 4 * cap * dim;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  if (!views || views.buffer !== k.memory.buffer) {
    const buffer = k.memory.buffer;
    views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
  }
  return { f32: views.f32, f64: views.f64, vec, coef, rows, cap };
}

/** rows[from .. from + m) into the scratch block, one copy per run of consecutive rows. */
function copyRows(
  data: Float32Array,
  dim: number,
  rows: Int32Array,
  from: number,
  m: number,
  s: Scratch,
): void {
  const base = s.rows / 4;
  let j = 0;
  while (j < m) {
    let e = j + 1;
    while (e < m && rows[from + e] === rows[from + e - 1] + 1) e++;
    const o = rows[from + j] * dim;
    s.f32.set(data.subarray(o, o + (e - j) * dim), base + j * dim);
    j = e;
  }
}

export function rowDotsJs(
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

/** The scalar fallbacks (exported for the tests, which compare both paths). */
export function addRowsJs(
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
