import { HalfRows, readRows, type RowData } from '../io/half.js';
import { newSimdKernels, type SimdKernels, simdKernels } from './simd.js';

/**
 * The two loops that nearly all of the analysis time goes through, on rows of the Float32
 * embedding matrix with Float64 accumulation: many dot products with one vector (rowDots), and
 * one weighted sum of many rows (addRows).
 *
 * Where WebAssembly SIMD is available (Node 20, every current VS Code) they run in simd.ts's
 * module, about 3x the scalar loops. That module cannot read the caller's matrix, so the rows are
 * copied into its memory: chunk by chunk per call (one copy per run of consecutive rows), or once
 * for many passes over the same rows (withRowBlock: Lanczos iterations, bootstrap replicates).
 * At d = 384 a copy costs about as much as the arithmetic on the row, hence the blocks and the
 * sorted evaluation order of SortedRowDots.
 *
 * The scalar fallbacks take four rows at a time, so that each element of the shared vector is
 * loaded once per four multiply-adds and four independent sums are in flight (about 2x a
 * row-at-a-time loop, measured); they stay monomorphic (Float32Array data, Int32Array rows,
 * Float64Array vectors). Every path differs from the row-at-a-time definition only by the
 * order of the additions (a few ulps; test/unit/analysis-kernels.test.ts).
 */

/** out[i] = g(rows[i]) . v for i < n (data: the [rows, dim] matrix in C order). */
export function rowDots(
  data: RowData,
  dim: number,
  rows: Int32Array,
  n: number,
  v: Float64Array,
  out: Float64Array,
): void {
  if (data instanceof HalfRows)
    return halfChunks(data, dim, rows, n, (f32, ids, from, m) =>
      rowDots(f32, dim, ids, m, v, out.subarray(from, from + m)),
    );
  const k = simdKernels();
  if (!k || n === 0 || (blockDim !== 0 && dim !== blockDim))
    return rowDotsJs(data, dim, rows, n, v, out);
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
  data: RowData,
  dim: number,
  rows: Int32Array,
  coef: Float64Array,
  n: number,
  acc: Float64Array,
): void {
  if (data instanceof HalfRows)
    return halfChunks(data, dim, rows, n, (f32, ids, from, m) =>
      addRows(f32, dim, ids, coef.subarray(from, from + m), m, acc),
    );
  const k = simdKernels();
  if (!k || n === 0 || (blockDim !== 0 && dim !== blockDim))
    return addRowsJs(data, dim, rows, coef, n, acc);
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

/**
 * sum over i < n of sum_k (g(rows[i])[k] - mean[k])^2: the spread of the rows around `mean`,
 * from the centred values themselves (no ||g||^2 - ||mean||^2 cancellation). Each row's sum, then
 * the rows' sums in order; the same numbers as GramBlock.squaredDeviations on the same rows.
 */
export function rowSquaredDeviations(
  data: RowData,
  dim: number,
  rows: Int32Array,
  n: number,
  mean: Float64Array,
): number {
  if (data instanceof HalfRows) {
    let sum = 0;
    halfChunks(data, dim, rows, n, (f32, ids, _from, m) => {
      sum += rowSquaredDeviations(f32, dim, ids, m, mean);
    });
    return sum;
  }
  const k = simdKernels();
  if (!k || n === 0 || (blockDim !== 0 && dim !== blockDim))
    return squaredDeviationsJs(data, dim, rows, n, mean);
  const s = scratch(k, dim);
  s.f64.set(mean.subarray(0, dim), s.vec / 8);
  let total = 0;
  for (let from = 0; from < n; from += s.cap) {
    const m = Math.min(s.cap, n - from);
    copyRows(data, dim, rows, from, m, s);
    total = k.squaredDeviations(s.rows, m, dim, s.vec, total);
  }
  return total;
}

/** Rows of a half matrix per call of HALF_CHUNK_BYTES of float32 (an L2-sized block). */
const HALF_CHUNK_BYTES = 1 << 18;
let halfScratch: { f32: Float32Array; ids: Int32Array } | null = null;

/**
 * Half storage through the float32 kernels: rows[0..n) converted chunk by chunk (exactly) into
 * a float32 block that `fn` reads as rows 0..m-1; `from` is the chunk's first index in `rows`.
 */
function halfChunks(
  data: HalfRows,
  dim: number,
  rows: Int32Array,
  n: number,
  fn: (f32: Float32Array, ids: Int32Array, from: number, m: number) => void,
): void {
  const cap = Math.max(4, Math.floor(HALF_CHUNK_BYTES / (4 * dim)));
  if (!halfScratch || halfScratch.f32.length < cap * dim)
    halfScratch = {
      f32: new Float32Array(cap * dim),
      ids: Int32Array.from({ length: cap }, (_, i) => i),
    };
  // Local: a nested call (none today) must not overwrite the block under its caller.
  const { f32, ids } = halfScratch;
  halfScratch = null;
  try {
    for (let from = 0; from < n; from += cap) {
      const m = Math.min(cap, n - from);
      readRows(data, dim, rows, from, m, f32, 0);
      fn(f32, ids, from, m);
    }
  } finally {
    halfScratch = { f32, ids };
  }
}

/** The same rows, many passes: Lanczos iterations, bootstrap replicates. */
export interface RowBlock {
  readonly n: number;
  /** out[i] = g(rows[i]) . v for every row of the block. */
  dots(v: Float64Array, out: Float64Array): void;
  /** acc += sum_i coef[i] * g(rows[i]) over the block (rows with coefficient 0 are skipped). */
  addTo(coef: Float64Array, acc: Float64Array): void;
}

/**
 * A RowBlock with the passes of a covariance: the operator Xc^T Xc of Lanczos in one pass per
 * application, the class mean and the spread around it.
 */
export interface GramBlock extends RowBlock {
  /**
   * proj[i] = g(rows[i]) . v - shift, then acc += sum_i proj[i] g(rows[i]) (rows with proj 0
   * skipped): the numbers of dots, the subtraction, then addTo, in one pass over the rows.
   */
  gram(v: Float64Array, shift: number, proj: Float64Array, acc: Float64Array): void;
  /**
   * gram with float32 arithmetic (v, shift, proj and the sum rounded to float32; acc receives the
   * float32 sum): about twice as fast, for approximate passes. Without SIMD it is gram.
   */
  gram32(v: Float64Array, shift: number, proj: Float64Array, acc: Float64Array): void;
  /** acc += each row in turn (the order and numbers of meanOfRows's sum). */
  sumRows(acc: Float64Array): void;
  /** As rowSquaredDeviations on the block's rows. */
  squaredDeviations(mean: Float64Array): number;
}

/** Largest block kept in the module's memory (its memory never shrinks); bigger ones stream. */
const MAX_BLOCK_BYTES = 64 << 20;
/** dim of the active block (0: none); the streaming scratch below it is laid out for that dim. */
let blockDim = 0;

/**
 * Runs `fn` with the given rows copied once into the SIMD module's memory (instead of once per
 * pass, which costs about as much as the arithmetic at d = 384). The block is only valid inside
 * `fn`, which must be synchronous. Without SIMD, for very large blocks or when nested, the block
 * reads the matrix directly.
 */
export function withRowBlock<T>(
  data: RowData,
  dim: number,
  rows: Int32Array,
  fn: (block: RowBlock) => T,
): T {
  return withGramBlock(data, dim, rows, fn);
}

/** withRowBlock with the covariance passes of GramBlock (same conditions, same numbers). */
export function withGramBlock<T>(
  data: RowData,
  dim: number,
  rows: Int32Array,
  fn: (block: GramBlock) => T,
): T {
  const n = rows.length;
  const k = simdKernels();
  if (!k || blockDim !== 0 || n === 0 || 4 * n * dim > MAX_BLOCK_BYTES)
    return fn(largeBlock(data, dim, rows));
  // After the streaming scratch, so rowDots/addRows inside fn do not overwrite the block.
  const { end } = scratch(k, dim);
  const vec = end;
  const accAt = vec + align16(8 * dim);
  const coefAt = accAt + align16(8 * dim);
  const rowsAt = coefAt + align16(8 * n);
  try {
    ensureMemory(k, rowsAt + 4 * n * dim);
  } catch {
    return fn(largeBlock(data, dim, rows)); // the memory could not grow
  }
  const copy = scratch(k, dim);
  copyRowRuns(data, dim, rows, 0, n, copy.f32, rowsAt / 4);
  const f64 = (): Float64Array => scratch(k, dim).f64;
  const block: GramBlock = {
    n,
    dots(v, out) {
      const m = f64();
      m.set(v.subarray(0, dim), vec / 8);
      k.dots(rowsAt, n, dim, vec, coefAt);
      out.set(m.subarray(coefAt / 8, coefAt / 8 + n));
    },
    addTo(coef, acc) {
      const m = f64();
      m.set(acc.subarray(0, dim), vec / 8);
      m.set(coef.subarray(0, n), coefAt / 8);
      k.axpys(rowsAt, n, dim, coefAt, vec);
      acc.set(m.subarray(vec / 8, vec / 8 + dim));
    },
    gram(v, shift, proj, acc) {
      const m = f64();
      m.set(v.subarray(0, dim), vec / 8);
      m.set(acc.subarray(0, dim), accAt / 8);
      k.gram(rowsAt, n, dim, vec, shift, coefAt, accAt);
      proj.set(m.subarray(coefAt / 8, coefAt / 8 + n));
      acc.set(m.subarray(accAt / 8, accAt / 8 + dim));
    },
    gram32(v, shift, proj, acc) {
      const m32 = new Float32Array(k.memory.buffer);
      m32.set(v.subarray(0, dim), vec / 4);
      m32.fill(0, accAt / 4, accAt / 4 + dim);
      k.gram32(rowsAt, n, dim, vec, shift, coefAt, accAt);
      proj.set(m32.subarray(coefAt / 4, coefAt / 4 + n));
      for (let i = 0; i < dim; i++) acc[i] += m32[accAt / 4 + i];
    },
    sumRows(acc) {
      // Coefficient 1: acc + 1 * g is acc + g exactly.
      const m = f64();
      m.set(acc.subarray(0, dim), vec / 8);
      m.fill(1, coefAt / 8, coefAt / 8 + n);
      k.axpys(rowsAt, n, dim, coefAt, vec);
      acc.set(m.subarray(vec / 8, vec / 8 + dim));
    },
    squaredDeviations(mean) {
      f64().set(mean.subarray(0, dim), vec / 8);
      return k.squaredDeviations(rowsAt, n, dim, vec, 0);
    },
  };
  blockDim = dim;
  try {
    return fn(block);
  } finally {
    blockDim = 0;
  }
}

/** Largest block of half rows converted once to float32 for its passes; bigger ones stream. */
const MAX_HALF_BLOCK_BYTES = 1 << 30;

/**
 * A block too big for the module's memory. Half rows up to MAX_HALF_BLOCK_BYTES as float32 are
 * converted once into a compact float32 copy (a behavior's class at 320,000 × 4,096: 330 MB), so
 * that each Lanczos or bootstrap pass copies bytes instead of converting every value again; the
 * copy holds the same values in the same order, so the numbers are those of the direct block.
 * Larger ones, and float32 rows, are read in place, chunk by chunk.
 */
function largeBlock(data: RowData, dim: number, rows: Int32Array): GramBlock {
  const n = rows.length;
  if (!(data instanceof HalfRows) || 4 * n * dim > MAX_HALF_BLOCK_BYTES)
    return directBlock(data, dim, rows);
  const copy = new Float32Array(n * dim);
  readRows(data, dim, rows, 0, n, copy, 0);
  return directBlock(
    copy,
    dim,
    Int32Array.from({ length: n }, (_, i) => i),
  );
}

/** A block that reads the matrix in place (no SIMD, too big, nested or out of memory). */
function directBlock(data: RowData, dim: number, rows: Int32Array): GramBlock {
  const n = rows.length;
  return {
    n,
    dots: (v, out) => rowDots(data, dim, rows, n, v, out),
    addTo: (coef, acc) => addRows(data, dim, rows, coef, n, acc),
    gram(v, shift, proj, acc) {
      rowDots(data, dim, rows, n, v, proj);
      for (let i = 0; i < n; i++) proj[i] -= shift;
      addRows(data, dim, rows, proj, n, acc);
    },
    gram32(v, shift, proj, acc) {
      this.gram(v, shift, proj, acc);
    },
    sumRows(acc) {
      if (data instanceof HalfRows)
        return addRows(data, dim, rows, new Float64Array(n).fill(1), n, acc);
      for (let i = 0; i < n; i++) {
        const o = rows[i] * dim;
        for (let k = 0; k < dim; k++) acc[k] += data[o + k];
      }
    },
    squaredDeviations: (mean) => rowSquaredDeviations(data, dim, rows, n, mean),
  };
}

const align16 = (x: number): number => Math.ceil(x / 16) * 16;

function ensureMemory(k: SimdKernels, need: number): void {
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
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
  /** First byte after the scratch. */
  end: number;
}

let views: { buffer: ArrayBuffer; f32: Float32Array; f64: Float64Array } | null = null;

function scratch(k: SimdKernels, dim: number): Scratch {
  const cap = Math.max(4, Math.floor(CHUNK_BYTES / (4 * dim)));
  const vec = 0;
  const coef = align16(8 * dim);
  const rows = coef + align16(8 * cap);
  const end = align16(rows + 4 * cap * dim);
  ensureMemory(k, end);
  if (!views || views.buffer !== k.memory.buffer) {
    const buffer = k.memory.buffer;
    views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
  }
  return { f32: views.f32, f64: views.f64, vec, coef, rows, cap, end };
}

/**
 * rows[from], ..., rows[from + count - 1] of data into target from element `base` on, each run of
 * consecutive rows in one copy. The copy goes byte-wise: out of shared memory (the embedder's
 * matrix) V8 copies float32 elements about half as fast as bytes (measured on Node 20).
 */
export function copyRowRuns(
  data: RowData,
  dim: number,
  rows: ArrayLike<number>,
  from: number,
  count: number,
  target: Float32Array,
  base: number,
): void {
  if (data instanceof HalfRows) return readRows(data, dim, rows, from, count, target, base);
  const source = data.byteLength < BYTE_VIEW_LIMIT ? bytesOf(data) : undefined;
  const into = bytesOf(target);
  const rowBytes = 4 * dim;
  let j = 0;
  while (j < count) {
    let e = j + 1;
    while (e < count && rows[from + e] === rows[from + e - 1] + 1) e++;
    const o = rows[from + j] * rowBytes;
    into.set(rowRunBytes(data, source, o, (e - j) * rowBytes), 4 * base + j * rowBytes);
    j = e;
  }
}

/**
 * Matrices of 4 GiB and more (320,000 x 4,096 float32) have no byte view of their own (V8 caps a
 * typed array's length below 2^32): their rows are viewed run by run instead.
 */
export const BYTE_VIEW_LIMIT = 2 ** 31;

/** `length` bytes of `data` from byte `offset`, through the whole-matrix view when there is one. */
export const rowRunBytes = (
  data: Float32Array,
  whole: Uint8Array | undefined,
  offset: number,
  length: number,
): Uint8Array =>
  whole
    ? whole.subarray(offset, offset + length)
    : new Uint8Array(data.buffer, data.byteOffset + offset, length);

/** The bytes under a float32 view. */
export const bytesOf = (a: Float32Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** rows[from .. from + m) into the scratch block, one copy per run of consecutive rows. */
function copyRows(
  data: RowData,
  dim: number,
  rows: Int32Array,
  from: number,
  m: number,
  s: Scratch,
): void {
  copyRowRuns(data, dim, rows, from, m, s.f32, s.rows / 4);
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

/** Scalar fallback of rowSquaredDeviations: each row's sum, then the rows' sums in order. */
export function squaredDeviationsJs(
  data: Float32Array,
  dim: number,
  rows: Int32Array,
  n: number,
  mean: Float64Array,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = rows[i] * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const x = data[o + k] - mean[k];
      s += x * x;
    }
    total += s;
  }
  return total;
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

/**
 * Dot products of one fixed set of rows with a changing vector, evaluated in increasing row
 * order so that runs of consecutive rows reach the SIMD module in one copy (a behavior's rows are
 * mostly consecutive in the matrix, but a train/test split shuffles them), then put back in the
 * set's order.
 */
export class SortedRowDots {
  private readonly order: Int32Array;
  private readonly sorted: Int32Array;
  private readonly tmp: Float64Array;

  constructor(rows: Int32Array) {
    const n = rows.length;
    this.order = Int32Array.from(
      Array.from({ length: n }, (_, i) => i).sort((a, b) => rows[a] - rows[b] || a - b),
    );
    this.sorted = new Int32Array(n);
    for (let j = 0; j < n; j++) this.sorted[j] = rows[this.order[j]];
    this.tmp = new Float64Array(n);
  }

  /** out[i] = g(rows[i]) . v for every row of the set. */
  run(data: RowData, dim: number, v: Float64Array, out: Float64Array): void {
    const n = this.sorted.length;
    rowDots(data, dim, this.sorted, n, v, this.tmp);
    for (let j = 0; j < n; j++) out[this.order[j]] = this.tmp[j];
  }
}

/** Largest set of rows that ResidentRows keeps in a memory of its own. */
const MAX_RESIDENT_BYTES = 512 << 20;

/**
 * A fixed set of rows copied once into a SIMD instance of its own, for a run that evaluates all
 * of them at every step (a joint DPO run scores every training row of every behavior): no copy
 * per step. The memory is freed with the object (drop it when done). Null without SIMD or when
 * the rows take more than MAX_RESIDENT_BYTES (d = 4096 mixtures): callers stream instead.
 */
export class ResidentRows {
  private constructor(
    private readonly k: SimdKernels,
    private readonly n: number,
    private readonly dim: number,
    private readonly vec: number,
    private readonly coef: number,
    private readonly rows: number,
  ) {}

  static create(data: RowData, dim: number, rows: Int32Array): ResidentRows | null {
    const n = rows.length;
    if (n === 0 || 4 * n * dim > MAX_RESIDENT_BYTES) return null;
    const vec = 0;
    const coef = align16(8 * dim);
    const at = coef + align16(8 * n);
    const k = newSimdKernels(at + 4 * n * dim);
    if (!k) return null;
    copyRowRuns(data, dim, rows, 0, n, new Float32Array(k.memory.buffer), at / 4);
    return new ResidentRows(k, n, dim, vec, coef, at);
  }

  /** out[i] = g(rows[i]) . v for every row. */
  dots(v: Float64Array, out: Float64Array): void {
    const f64 = new Float64Array(this.k.memory.buffer);
    f64.set(v.subarray(0, this.dim), this.vec / 8);
    this.k.dots(this.rows, this.n, this.dim, this.vec, this.coef);
    out.set(f64.subarray(this.coef / 8, this.coef / 8 + this.n));
  }

  /** acc += sum_i coef[i] * g(rows[i]); rows with coefficient 0 cost one comparison. */
  addTo(coef: Float64Array, acc: Float64Array): void {
    const f64 = new Float64Array(this.k.memory.buffer);
    f64.set(acc.subarray(0, this.dim), this.vec / 8);
    f64.set(coef.subarray(0, this.n), this.coef / 8);
    this.k.axpys(this.rows, this.n, this.dim, this.coef, this.vec);
    acc.set(f64.subarray(this.vec / 8, this.vec / 8 + this.dim));
  }
}

/** Largest set of rows a RunRows keeps in the thread's run instance (a behavior at d = 4096: 16 MB). */
const MAX_RUN_ROWS_BYTES = 64 << 20;

/** The thread's instance for RunRows, and the set whose rows it holds now. */
let runKernels: { k: SimdKernels; owner: RunRows | null } | null = null;

/**
 * A fixed set of rows (a run's training rows), kept in this thread's run instance between calls,
 * so that gathered products on a few of them (a minibatch) need no copy: one copy per set instead
 * of one per call. Another set taking the instance (runs stepped in turns) only costs a copy back.
 * Without SIMD, or for more than MAX_RUN_ROWS_BYTES, it reads the matrix (rowDots, addRows); every
 * path computes the same numbers. General kernels only: the caller computes what the products are
 * for (e.g. the DPO step of simulate.ts).
 */
export class RunRows {
  constructor(
    private readonly data: RowData,
    private readonly dim: number,
    private readonly rows: Int32Array,
    private readonly maxBatch: number,
  ) {}

  /** Layout of the instance: vector, sum, per-row values, indices, rows. */
  private bind(): {
    k: SimdKernels;
    vec: number;
    acc: number;
    vals: number;
    idx: number;
    at: number;
  } | null {
    const d = this.dim;
    const n = this.rows.length;
    if (n === 0 || 4 * n * d > MAX_RUN_ROWS_BYTES) return null;
    const vec = 0;
    const acc = align16(8 * d);
    const vals = acc + align16(8 * d);
    const idx = vals + align16(8 * this.maxBatch);
    const at = idx + align16(4 * this.maxBatch);
    if (!runKernels) {
      const k = newSimdKernels(at + 4 * n * d);
      if (!k) return null;
      runKernels = { k, owner: null };
    }
    const { k } = runKernels;
    if (runKernels.owner !== this) {
      try {
        ensureMemory(k, at + 4 * n * d);
      } catch {
        return null;
      }
      copyRowRuns(this.data, d, this.rows, 0, n, new Float32Array(k.memory.buffer), at / 4);
      runKernels.owner = this;
    }
    return { k, vec, acc, vals, idx, at };
  }

  /**
   * out[j] = g . v for j < n, g the set's row batch[j] (`mapped`: the matrix rows batch[j] stands
   * for, read when the set is not resident): the numbers of rowDots on `mapped`.
   */
  dots(batch: Int32Array, mapped: Int32Array, n: number, v: Float64Array, out: Float64Array): void {
    const b = this.bind();
    if (!b) return rowDots(this.data, this.dim, mapped, n, v, out);
    const { k } = b;
    const f64 = new Float64Array(k.memory.buffer);
    f64.set(v.subarray(0, this.dim), b.vec / 8);
    new Int32Array(k.memory.buffer).set(batch.subarray(0, n), b.idx / 4);
    k.dotsAt(b.at, b.idx, n, this.dim, b.vec, b.vals);
    out.set(f64.subarray(b.vals / 8, b.vals / 8 + n));
  }

  /** acc += sum_j c[j] g_j over j < n in order (rows as in dots()): the numbers of addRows. */
  addTo(
    batch: Int32Array,
    mapped: Int32Array,
    c: Float64Array,
    n: number,
    acc: Float64Array,
  ): void {
    const b = this.bind();
    if (!b) return addRows(this.data, this.dim, mapped, c, n, acc);
    const { k } = b;
    const f64 = new Float64Array(k.memory.buffer);
    f64.set(acc.subarray(0, this.dim), b.acc / 8);
    f64.set(c.subarray(0, n), b.vals / 8);
    new Int32Array(k.memory.buffer).set(batch.subarray(0, n), b.idx / 4);
    k.axpysAt(b.at, b.idx, n, this.dim, b.vals, b.acc);
    acc.set(f64.subarray(b.acc / 8, b.acc / 8 + this.dim));
  }

  /** Gives the instance back (the next run copies its rows in). */
  release(): void {
    if (runKernels?.owner === this) runKernels.owner = null;
  }
}

/** Vectors an OrthogonalBasis holds before its memory grows. */
const BASIS_INITIAL_VECTORS = 32;

/**
 * The SIMD instance of the last disposed basis, for the next one: a fresh instance per Lanczos
 * run would reserve a new WebAssembly memory (and its address space) per class. Its memory, a
 * few megabytes at d = 4096, stays with the thread.
 */
let spareBasisKernels: SimdKernels | null = null;

/**
 * Orthonormal Float64 vectors of length dim, kept one after the other, for the full
 * reorthogonalisation of Lanczos. With SIMD they live in an instance of their own (the shared
 * one holds the row blocks); without, in a growing Float64Array. Both paths compute the same
 * numbers as the plain loops (dot products with four partial sums, see dotF64). Dispose of a
 * basis when done with it, so that the next one reuses its memory.
 */
export class OrthogonalBasis {
  private count = 0;
  private capacity = 0;
  private store = new Float64Array(0);

  private constructor(
    private readonly dim: number,
    private k: SimdKernels | null,
  ) {}

  /** `simd` false: the JavaScript path (for the tests, which compare both). */
  static create(dim: number, simd = true): OrthogonalBasis {
    if (!simd) return new OrthogonalBasis(dim, null);
    // The vector being orthogonalised, then the basis.
    const k = spareBasisKernels ?? newSimdKernels(8 * dim * (BASIS_INITIAL_VECTORS + 1));
    spareBasisKernels = null;
    return new OrthogonalBasis(dim, k);
  }

  /** Hands the memory on to the next basis; this one is empty afterwards. */
  dispose(): void {
    if (this.k) spareBasisKernels = this.k;
    this.k = null;
    this.count = 0;
    this.capacity = 0;
    this.store = new Float64Array(0);
  }

  get length(): number {
    return this.count;
  }

  /** Appends a copy of q (the caller keeps it orthonormal to the others). */
  push(q: Float64Array): void {
    const d = this.dim;
    if (this.count === this.capacity) this.grow(Math.max(BASIS_INITIAL_VECTORS, 2 * this.count));
    this.store.set(q.subarray(0, d), (this.count + (this.k ? 1 : 0)) * d);
    this.count++;
  }

  /**
   * `passes` rounds of modified Gram-Schmidt of w against the basis, in place: for each basis
   * vector b in order, w -= (b . w) b.
   */
  orthogonalize(w: Float64Array, passes: number): void {
    const d = this.dim;
    if (this.count === 0) return;
    if (!this.k) {
      for (let pass = 0; pass < passes; pass++)
        for (let j = 0; j < this.count; j++) {
          const b = this.store.subarray(j * d, (j + 1) * d);
          const c = dotF64(b, w, d);
          for (let i = 0; i < d; i++) w[i] -= c * b[i];
        }
      return;
    }
    this.store.set(w.subarray(0, d), 0);
    for (let pass = 0; pass < passes; pass++) this.k.orthogonalize(8 * d, this.count, d, 0);
    w.set(this.store.subarray(0, d));
  }

  /** out = sum_j s[j] * basis vector j (a Ritz vector from the eigenvector s of T). */
  combine(s: Float64Array, out: Float64Array): void {
    const d = this.dim;
    const first = this.k ? 1 : 0;
    out.fill(0);
    for (let j = 0; j < Math.min(s.length, this.count); j++) {
      const c = s[j];
      const o = (j + first) * d;
      for (let i = 0; i < d; i++) out[i] += c * this.store[o + i];
    }
  }

  private grow(capacity: number): void {
    const d = this.dim;
    if (this.k) {
      const need = 8 * d * (capacity + 1);
      const have = this.k.memory.buffer.byteLength;
      if (need > have) this.k.memory.grow(Math.ceil((need - have) / 65536));
      this.store = new Float64Array(this.k.memory.buffer);
    } else {
      const store = new Float64Array(capacity * d);
      store.set(this.store.subarray(0, this.count * d));
      this.store = store;
    }
    this.capacity = capacity;
  }
}

/** Four partial sums (see the orthogonalize kernel, which keeps them as its SIMD lanes). */
export function dotF64(a: Float64Array, b: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < n; k++) s0 += a[k] * b[k];
  return s0 + s1 + (s2 + s3);
}
