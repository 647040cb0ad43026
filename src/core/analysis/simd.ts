/**
 * The kernels of kernels.ts as a small WebAssembly module with 128-bit SIMD (two Float64 lanes):
 * about 3x the throughput of the scalar JavaScript loops on the same rows (measured on x64 with
 * V8). The module is assembled here from its instructions (a few kilobytes; no build step, no
 * binary in the repository). The row kernels read a block of rows stored contiguously in the
 * module's memory, so the caller copies the rows it needs there chunk by chunk (a memcpy per row,
 * an order of magnitude cheaper than the arithmetic on it).
 *
 *   (func $dots (param $x i32) (param $n i32) (param $d i32) (param $v i32) (param $out i32))
 *     for each row i < n of the f32 block at $x: out[i] = sum_k f64(x[i][k]) * v[k]
 *     (four f64x2 accumulators over 8 floats at a time, then the scalar tail d % 8)
 *   (func $axpys (param $x i32) (param $n i32) (param $d i32) (param $c i32) (param $acc i32))
 *     for each row i < n with c[i] != 0, in order: acc[k] += c[i] * f64(x[i][k])
 *   (func $gram (param $x i32) (param $n i32) (param $d i32) (param $v i32) (param $shift f64)
 *               (param $proj i32) (param $acc i32))
 *     proj[i] = dots' out[i] - shift, then axpys with c = proj, in one pass over the rows (the
 *     same numbers: each row's arithmetic and the order of the updates of acc are unchanged)
 *   (func $squaredDeviations (param $x i32) (param $n i32) (param $d i32) (param $mean i32)
 *                            (param $total f64) (result f64))
 *     total + sum over the rows of sum_k (f64(x[i][k]) - mean[k])^2 (per row as in dots)
 *   (func $orthogonalize (param $b i32) (param $count i32) (param $d i32) (param $w i32))
 *     one modified Gram-Schmidt pass of the f64 vector w against count f64 vectors at b, with
 *     the four partial sums of a JavaScript dotF64 (the same numbers)
 *   (func $dotsAt / $axpysAt (param $x i32) (param $rows i32) (param $n i32) (param $d i32)
 *                            (param $v_or_c i32) (param $out_or_acc i32))
 *     dots and axpys on the rows whose i32 indices are at $rows (a gathered gemv and its
 *     transpose), two rows at a time; the numbers of dots and axpys on those rows
 *
 * Only general linear-algebra kernels live here: no step of an algorithm, no loss.
 *
 * Returns null where WebAssembly or its SIMD proposal is unavailable: callers fall back to the
 * JavaScript loops.
 */

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

// Instructions.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
const ADD = [0x6a];
const AND = [0x71];
const SHL = [0x74];
const GE_S = [0x4e];
const GE_U = [0x4f];
const F32_LOAD = [0x2a, 2, 0];
const F64_LOAD = [0x2b, 3, 0];
const F64_LOAD_AT = (offset: number): number[] => [0x2b, 3, ...uleb(offset)];
const I32_LOAD = [0x28, 2, 0];
const MUL = [0x6c];
const F64_STORE = [0x39, 3, 0];
const LT_U = [0x49];
const SELECT = [0x1b];
const F64_ADD = [0xa0];
const F64_SUB = [0xa1];
const F64_MUL = [0xa2];
const F64_PROMOTE = [0xbb];
const F64_ZERO = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const F64_NE = [0x62];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V_LOAD = (offset: number): number[] => simd(0x00, 4, ...uleb(offset));
const V_STORE = (offset: number): number[] => simd(0x0b, 4, ...uleb(offset));
const V_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const LOAD64_ZERO = (offset: number): number[] => simd(0x5d, 3, ...uleb(offset));
const PROMOTE_LOW = simd(0x5f);
const F64X2_SPLAT = simd(0x14);
const F64X2_LANE = (lane: number): number[] => simd(0x21, lane);
const F64X2_ADD = simd(0xf0);
const F64X2_SUB = simd(0xf1);
const F64X2_MUL = simd(0xf2);
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const IF = [0x04, 0x40];
const ELSE = [0x05];
const BR_IF = (depth: number): number[] => [0x0d, depth];
const BR = (depth: number): number[] => [0x0c, depth];

/** while (!(a >= b)) { body } for i32 locals, as block/loop. */
function whileBelow(a: number, b: number, unsigned: boolean, body: number[]): number[] {
  return [
    ...BLOCK,
    ...LOOP,
    ...get(a),
    ...get(b),
    ...(unsigned ? GE_U : GE_S),
    ...BR_IF(1),
    ...body,
    ...BR(0),
    ...END,
    ...END,
  ];
}

/**
 * How the kernels read a row's elements as f64. Only Float32 rows (converted as they are read)
 * are used: Float64 rows, converted once, were measured no faster at d = 4096 (twice the bytes
 * per pass, and a pass over 500 rows no longer fits the caches).
 */
interface RowFormat {
  /** log2 of the bytes of an element. */
  shift: number;
  /** Two elements as an f64x2 from the address on the stack, `offset` elements on. */
  pair(offset: number): number[];
  /** One element as an f64 from the address on the stack. */
  one: number[];
}

const F32_ROWS: RowFormat = {
  shift: 2,
  pair: (offset) => [...LOAD64_ZERO(4 * offset), ...PROMOTE_LOW],
  one: [...F32_LOAD, ...F64_PROMOTE],
};

/** local += step (i32). */
const bump = (local: number, step: number): number[] => [
  ...get(local),
  ...i32(step),
  ...ADD,
  ...set(local),
];

/** Skips the row at px. */
const skipRow = (f: RowFormat, px: number, d: number): number[] => [
  ...get(px),
  ...get(d),
  ...i32(f.shift),
  ...SHL,
  ...ADD,
  ...set(px),
];

/** The locals a row dot product works with (indices among the function's params and locals). */
interface RowDotLocals {
  d: number;
  v: number;
  px: number;
  pv: number;
  vEnd: number;
  rowEnd: number;
  a0: number;
  a1: number;
  a2: number;
  a3: number;
  s: number;
}

/** vEnd: end of the row at px's part in whole groups of 8 floats; rowEnd: end of the row. */
function rowBounds(f: RowFormat, px: number, d: number, vEnd: number, rowEnd: number): number[] {
  return [
    ...get(px),
    ...get(d),
    ...i32(-8),
    ...AND,
    ...i32(f.shift),
    ...SHL,
    ...ADD,
    ...set(vEnd),
    ...get(px),
    ...get(d),
    ...i32(f.shift),
    ...SHL,
    ...ADD,
    ...set(rowEnd),
  ];
}

/** s = the f32 row at px dotted with the f64 vector v; px ends at the next row. */
function rowDot(f: RowFormat, l: RowDotLocals): number[] {
  const { d, v, px, pv, vEnd, rowEnd, a0, a1, a2, a3, s } = l;
  const acc = (a: number, e: number): number[] => [
    ...get(a),
    ...get(px),
    ...f.pair(e),
    ...get(pv),
    ...V_LOAD(8 * e),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...set(a),
  ];
  return [
    ...V_ZERO,
    ...set(a0),
    ...V_ZERO,
    ...set(a1),
    ...V_ZERO,
    ...set(a2),
    ...V_ZERO,
    ...set(a3),
    ...get(v),
    ...set(pv),
    ...rowBounds(f, px, d, vEnd, rowEnd),
    ...whileBelow(px, vEnd, true, [
      ...acc(a0, 0),
      ...acc(a1, 2),
      ...acc(a2, 4),
      ...acc(a3, 6),
      ...bump(px, 8 << f.shift),
      ...bump(pv, 64),
    ]),
    ...get(a0),
    ...get(a1),
    ...F64X2_ADD,
    ...get(a2),
    ...get(a3),
    ...F64X2_ADD,
    ...F64X2_ADD,
    ...tee(a0),
    ...F64X2_LANE(0),
    ...get(a0),
    ...F64X2_LANE(1),
    ...F64_ADD,
    ...set(s),
    ...whileBelow(px, rowEnd, true, [
      ...get(s),
      ...get(px),
      ...f.one,
      ...get(pv),
      ...F64_LOAD,
      ...F64_MUL,
      ...F64_ADD,
      ...set(s),
      ...bump(px, 1 << f.shift),
      ...bump(pv, 8),
    ]),
  ];
}

/** The locals a row update works with. */
interface RowAxpyLocals {
  d: number;
  acc: number;
  px: number;
  pa: number;
  vEnd: number;
  rowEnd: number;
  cv: number;
  cs: number;
}

/** acc[k] += cs * f64(row[k]) for the f32 row at px, in order of k; px ends at the next row. */
function rowAxpy(f: RowFormat, l: RowAxpyLocals): number[] {
  const { d, acc, px, pa, vEnd, rowEnd, cv, cs } = l;
  const update = (e: number): number[] => [
    ...get(pa),
    ...get(pa),
    ...V_LOAD(8 * e),
    ...get(cv),
    ...get(px),
    ...f.pair(e),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...V_STORE(8 * e),
  ];
  return [
    ...get(cs),
    ...F64X2_SPLAT,
    ...set(cv),
    ...get(acc),
    ...set(pa),
    ...rowBounds(f, px, d, vEnd, rowEnd),
    ...whileBelow(px, vEnd, true, [
      ...update(0),
      ...update(2),
      ...update(4),
      ...update(6),
      ...bump(px, 8 << f.shift),
      ...bump(pa, 64),
    ]),
    ...whileBelow(px, rowEnd, true, [
      ...get(pa),
      ...get(pa),
      ...F64_LOAD,
      ...get(cs),
      ...get(px),
      ...f.one,
      ...F64_MUL,
      ...F64_ADD,
      ...F64_STORE,
      ...bump(px, 1 << f.shift),
      ...bump(pa, 8),
    ]),
  ];
}

function dotsBody(): number[] {
  // params: x 0, n 1, d 2, v 3, out 4; locals: i 5, px 6, pv 7, vEnd 8, rowEnd 9, po 10 (i32),
  // a0..a3 11..14 (v128), s 15 (f64)
  const [x, n, d, v, out, i, px, pv, vEnd, rowEnd, po, a0, a1, a2, a3, s] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  ];
  const row = [
    ...rowDot(F32_ROWS, { d, v, px, pv, vEnd, rowEnd, a0, a1, a2, a3, s }),
    ...get(po),
    ...get(s),
    ...F64_STORE,
    ...bump(po, 8),
    ...bump(i, 1),
  ];
  return [
    ...vec([
      [6, I32],
      [4, V128],
      [1, F64],
    ]),
    ...get(x),
    ...set(px),
    ...get(out),
    ...set(po),
    ...whileBelow(i, n, false, row),
    ...END,
  ];
}

function axpysBody(): number[] {
  // params: x 0, n 1, d 2, c 3, acc 4; locals: i 5, px 6, pa 7, vEnd 8, rowEnd 9, pc 10 (i32),
  // cv 11 (v128), cs 12 (f64)
  const [x, n, d, c, acc, i, px, pa, vEnd, rowEnd, pc, cv, cs] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  // A row with coefficient 0 is skipped (the bootstrap passes every row, most counts being 0 or 1).
  const row = [
    ...get(pc),
    ...F64_LOAD,
    ...tee(cs),
    ...F64_ZERO,
    ...F64_NE,
    ...IF,
    ...rowAxpy(F32_ROWS, { d, acc, px, pa, vEnd, rowEnd, cv, cs }),
    ...ELSE,
    ...skipRow(F32_ROWS, px, d),
    ...END,
    ...bump(pc, 8),
    ...bump(i, 1),
  ];
  return [
    ...vec([
      [6, I32],
      [1, V128],
      [1, F64],
    ]),
    ...get(x),
    ...set(px),
    ...get(c),
    ...set(pc),
    ...whileBelow(i, n, false, row),
    ...END,
  ];
}

/** px = x + rows[*pr] * d floats: the row an index of the `At` kernels points at. */
const indexedRow = (x: number, pr: number, d: number, px: number): number[] => [
  ...get(pr),
  ...I32_LOAD,
  ...get(d),
  ...MUL,
  ...i32(2),
  ...SHL,
  ...get(x),
  ...ADD,
  ...set(px),
];

/** The locals of two consecutive rows' dot products with the same vector. */
interface PairDotLocals {
  d: number;
  v: number;
  px: number;
  py: number;
  pv: number;
  vEnd: number;
  rowEnd: number;
  a: [number, number, number, number];
  b: [number, number, number, number];
  s: number;
  t: number;
  /** v128 temporary: the elements of v, loaded once for both rows. */
  vt: number;
}

/**
 * s = row at px . v and t = row at py . v, each with the accumulators and order of rowDot (so
 * the same numbers), sharing the loads of v; px and py end at the ends of their rows.
 */
function pairDot(f: RowFormat, l: PairDotLocals): number[] {
  const { d, v, px, py, pv, vEnd, rowEnd, a, b, s, t, vt } = l;
  const acc = (r: number, p: number, e: number): number[] => [
    ...get(r),
    ...get(p),
    ...f.pair(e),
    ...get(vt),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...set(r),
  ];
  const fold = (r: [number, number, number, number], out: number): number[] => [
    ...get(r[0]),
    ...get(r[1]),
    ...F64X2_ADD,
    ...get(r[2]),
    ...get(r[3]),
    ...F64X2_ADD,
    ...F64X2_ADD,
    ...tee(r[0]),
    ...F64X2_LANE(0),
    ...get(r[0]),
    ...F64X2_LANE(1),
    ...F64_ADD,
    ...set(out),
  ];
  const tailTerm = (sum: number, p: number): number[] => [
    ...get(sum),
    ...get(p),
    ...f.one,
    ...get(pv),
    ...F64_LOAD,
    ...F64_MUL,
    ...F64_ADD,
    ...set(sum),
  ];
  return [
    ...[...a, ...b].flatMap((r) => [...V_ZERO, ...set(r)]),
    ...get(v),
    ...set(pv),
    ...rowBounds(f, px, d, vEnd, rowEnd),
    ...whileBelow(px, vEnd, true, [
      ...[0, 2, 4, 6].flatMap((e, j) => [
        ...get(pv),
        ...V_LOAD(8 * e),
        ...set(vt),
        ...acc(a[j], px, e),
        ...acc(b[j], py, e),
      ]),
      ...bump(px, 8 << f.shift),
      ...bump(py, 8 << f.shift),
      ...bump(pv, 64),
    ]),
    ...fold(a, s),
    ...fold(b, t),
    ...whileBelow(px, rowEnd, true, [
      ...tailTerm(s, px),
      ...tailTerm(t, py),
      ...bump(px, 1 << f.shift),
      ...bump(py, 1 << f.shift),
      ...bump(pv, 8),
    ]),
  ];
}

/** The locals of a two-row update. */
interface PairAxpyLocals {
  d: number;
  acc: number;
  px: number;
  py: number;
  pa: number;
  vEnd: number;
  rowEnd: number;
  cx: number;
  cy: number;
  cs: number;
  ct: number;
}

/**
 * acc[k] = (acc[k] + cs * row at px[k]) + ct * row at py[k]: the numbers of rowAxpy on one row
 * then the other, with one load and store of acc for both; px and py end at the ends of their rows.
 */
function pairAxpy(f: RowFormat, l: PairAxpyLocals): number[] {
  const { d, acc, px, py, pa, vEnd, rowEnd, cx, cy, cs, ct } = l;
  const term = (c: number, p: number, e: number): number[] => [
    ...get(c),
    ...get(p),
    ...f.pair(e),
    ...F64X2_MUL,
    ...F64X2_ADD,
  ];
  const update = (e: number): number[] => [
    ...get(pa),
    ...get(pa),
    ...V_LOAD(8 * e),
    ...term(cx, px, e),
    ...term(cy, py, e),
    ...V_STORE(8 * e),
  ];
  const tailTerm = (c: number, p: number): number[] => [
    ...get(c),
    ...get(p),
    ...f.one,
    ...F64_MUL,
    ...F64_ADD,
  ];
  return [
    ...get(cs),
    ...F64X2_SPLAT,
    ...set(cx),
    ...get(ct),
    ...F64X2_SPLAT,
    ...set(cy),
    ...get(acc),
    ...set(pa),
    ...rowBounds(f, px, d, vEnd, rowEnd),
    ...whileBelow(px, vEnd, true, [
      ...update(0),
      ...update(2),
      ...update(4),
      ...update(6),
      ...bump(px, 8 << f.shift),
      ...bump(py, 8 << f.shift),
      ...bump(pa, 64),
    ]),
    ...whileBelow(px, rowEnd, true, [
      ...get(pa),
      ...get(pa),
      ...F64_LOAD,
      ...tailTerm(cs, px),
      ...tailTerm(ct, py),
      ...F64_STORE,
      ...bump(px, 1 << f.shift),
      ...bump(py, 1 << f.shift),
      ...bump(pa, 8),
    ]),
  ];
}

// Float32 arithmetic, for gram32 (four lanes instead of two, no conversions).
const F32 = 0x7d;
const F32_STORE = [0x38, 2, 0];
const F32_ADD = [0x92];
const F32_SUB = [0x93];
const F32_MUL = [0x94];
const F32X4_SPLAT = simd(0x13);
const F32X4_LANE = (lane: number): number[] => simd(0x1f, lane);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);

/**
 * gram in float32 throughout: proj[i] = row i . v - shift, then acc += proj[i] * row i, with v,
 * shift, proj and acc float32 and four lanes per operation, rows two at a time (sharing the loads
 * of v, and of acc): about twice gram's speed, with float32 rounding. For the first, approximate
 * phase of a Lanczos run (spectral.ts).
 */
function gram32Body(): number[] {
  // params: x 0, n 1, d 2, v 3, shift 4 (f32), proj 5, acc 6; locals: i 7, px 8, py 9, pv 10,
  // pa 11, vEnd 12, rowEnd 13, pp 14, rowStart 15, pairs 16 (i32), a0..a3 17..20, b0..b3 21..24,
  // vt 25, sx 26, sy 27 (v128), s 28, t 29 (f32)
  const [x, n, d, v, shift, proj, acc] = [0, 1, 2, 3, 4, 5, 6];
  const [i, px, py, pv, pa, vEnd, rowEnd, pp, rowStart, pairs] = [
    7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const a = [17, 18, 19, 20];
  const b = [21, 22, 23, 24];
  const [vt, sx, sy, s, t] = [25, 26, 27, 28, 29];
  const lanes = (r: number): number[] => [
    ...get(r),
    ...F32X4_LANE(0),
    ...get(r),
    ...F32X4_LANE(1),
    ...F32_ADD,
    ...get(r),
    ...F32X4_LANE(2),
    ...get(r),
    ...F32X4_LANE(3),
    ...F32_ADD,
    ...F32_ADD,
  ];
  const fold = (r: number[], out: number): number[] => [
    ...get(r[0]),
    ...get(r[1]),
    ...F32X4_ADD,
    ...get(r[2]),
    ...get(r[3]),
    ...F32X4_ADD,
    ...F32X4_ADD,
    ...set(r[0]),
    ...lanes(r[0]),
    ...set(out),
  ];
  const bounds = [
    ...get(px),
    ...get(d),
    ...i32(-16),
    ...AND,
    ...i32(2),
    ...SHL,
    ...ADD,
    ...set(vEnd),
    ...get(px),
    ...get(d),
    ...i32(2),
    ...SHL,
    ...ADD,
    ...set(rowEnd),
  ];
  const mulAdd = (r: number, p: number, j: number): number[] => [
    ...get(r),
    ...get(p),
    ...V_LOAD(16 * j),
    ...get(vt),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...set(r),
  ];
  const tailDot = (sum: number, p: number): number[] => [
    ...get(sum),
    ...get(p),
    ...F32_LOAD,
    ...get(pv),
    ...F32_LOAD,
    ...F32_MUL,
    ...F32_ADD,
    ...set(sum),
  ];
  // sum -= shift; proj[pp] = sum; pp += 4.
  const project = (sum: number): number[] => [
    ...get(sum),
    ...get(shift),
    ...F32_SUB,
    ...set(sum),
    ...get(pp),
    ...get(sum),
    ...F32_STORE,
    ...bump(pp, 4),
  ];
  const term = (c: number, p: number, j: number): number[] => [
    ...get(c),
    ...get(p),
    ...V_LOAD(16 * j),
    ...F32X4_MUL,
    ...F32X4_ADD,
  ];
  const tailTerm = (c: number, p: number): number[] => [
    ...get(c),
    ...get(p),
    ...F32_LOAD,
    ...F32_MUL,
    ...F32_ADD,
  ];
  const pair = [
    ...[...a, ...b].flatMap((r) => [...V_ZERO, ...set(r)]),
    ...get(px),
    ...set(rowStart),
    ...get(px),
    ...get(d),
    ...i32(2),
    ...SHL,
    ...ADD,
    ...set(py),
    ...get(v),
    ...set(pv),
    ...bounds,
    ...whileBelow(px, vEnd, true, [
      ...[0, 1, 2, 3].flatMap((j) => [
        ...get(pv),
        ...V_LOAD(16 * j),
        ...set(vt),
        ...mulAdd(a[j], px, j),
        ...mulAdd(b[j], py, j),
      ]),
      ...bump(px, 64),
      ...bump(py, 64),
      ...bump(pv, 64),
    ]),
    ...fold(a, s),
    ...fold(b, t),
    ...whileBelow(px, rowEnd, true, [
      ...tailDot(s, px),
      ...tailDot(t, py),
      ...bump(px, 4),
      ...bump(py, 4),
      ...bump(pv, 4),
    ]),
    ...project(s),
    ...project(t),
    // acc += s * row x + t * row y.
    ...get(rowStart),
    ...set(px),
    ...get(rowStart),
    ...get(d),
    ...i32(2),
    ...SHL,
    ...ADD,
    ...set(py),
    ...get(acc),
    ...set(pa),
    ...get(s),
    ...F32X4_SPLAT,
    ...set(sx),
    ...get(t),
    ...F32X4_SPLAT,
    ...set(sy),
    ...whileBelow(px, vEnd, true, [
      ...[0, 1, 2, 3].flatMap((j) => [
        ...get(pa),
        ...get(pa),
        ...V_LOAD(16 * j),
        ...term(sx, px, j),
        ...term(sy, py, j),
        ...V_STORE(16 * j),
      ]),
      ...bump(px, 64),
      ...bump(py, 64),
      ...bump(pa, 64),
    ]),
    ...whileBelow(px, rowEnd, true, [
      ...get(pa),
      ...get(pa),
      ...F32_LOAD,
      ...tailTerm(s, px),
      ...tailTerm(t, py),
      ...F32_STORE,
      ...bump(px, 4),
      ...bump(py, 4),
      ...bump(pa, 4),
    ]),
    // The next pair starts after row y.
    ...get(py),
    ...set(px),
    ...bump(i, 2),
  ];
  const single = [
    ...a.flatMap((r) => [...V_ZERO, ...set(r)]),
    ...get(px),
    ...set(rowStart),
    ...get(v),
    ...set(pv),
    ...bounds,
    ...whileBelow(px, vEnd, true, [
      ...[0, 1, 2, 3].flatMap((j) => [
        ...get(pv),
        ...V_LOAD(16 * j),
        ...set(vt),
        ...mulAdd(a[j], px, j),
      ]),
      ...bump(px, 64),
      ...bump(pv, 64),
    ]),
    ...fold(a, s),
    ...whileBelow(px, rowEnd, true, [...tailDot(s, px), ...bump(px, 4), ...bump(pv, 4)]),
    ...project(s),
    ...get(rowStart),
    ...set(px),
    ...get(acc),
    ...set(pa),
    ...get(s),
    ...F32X4_SPLAT,
    ...set(sx),
    ...whileBelow(px, vEnd, true, [
      ...[0, 1, 2, 3].flatMap((j) => [
        ...get(pa),
        ...get(pa),
        ...V_LOAD(16 * j),
        ...term(sx, px, j),
        ...V_STORE(16 * j),
      ]),
      ...bump(px, 64),
      ...bump(pa, 64),
    ]),
    ...whileBelow(px, rowEnd, true, [
      ...get(pa),
      ...get(pa),
      ...F32_LOAD,
      ...tailTerm(s, px),
      ...F32_STORE,
      ...bump(px, 4),
      ...bump(pa, 4),
    ]),
    ...bump(i, 1),
  ];
  return [
    ...vec([
      [10, I32],
      [11, V128],
      [2, F32],
    ]),
    ...get(x),
    ...set(px),
    ...get(proj),
    ...set(pp),
    ...get(n),
    ...i32(-2),
    ...AND,
    ...set(pairs),
    ...whileBelow(i, pairs, false, pair),
    ...whileBelow(i, n, false, single),
    ...END,
  ];
}

/**
 * gemv on gathered rows: out[j] = (row rows[j] of the block at x) . v for j < n, rows two at a
 * time sharing the loads of v (pairDot), a last row alone (rowDot): the numbers of dots on those
 * rows. A general kernel: what the scores are used for is the caller's business.
 */
function dotsAtBody(): number[] {
  // params: x 0, rows 1, n 2, d 3, v 4, out 5; locals: i 6, px 7, py 8, pv 9, vEnd 10,
  // rowEnd 11, pr 12, pairs 13, po 14 (i32), a 15..18, b 19..22, vt 23 (v128), s 24, t 25 (f64)
  const [x, rows, n, d, v, out] = [0, 1, 2, 3, 4, 5];
  const [i, px, py, pv, vEnd, rowEnd, pr, pairs, po] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const a: [number, number, number, number] = [15, 16, 17, 18];
  const b: [number, number, number, number] = [19, 20, 21, 22];
  const [vt, s, t] = [23, 24, 25];
  return [
    ...vec([
      [9, I32],
      [9, V128],
      [2, F64],
    ]),
    ...get(rows),
    ...set(pr),
    ...get(out),
    ...set(po),
    ...get(n),
    ...i32(-2),
    ...AND,
    ...set(pairs),
    ...whileBelow(i, pairs, false, [
      ...indexedRow(x, pr, d, px),
      ...bump(pr, 4),
      ...indexedRow(x, pr, d, py),
      ...bump(pr, 4),
      ...pairDot(F32_ROWS, { d, v, px, py, pv, vEnd, rowEnd, a, b, s, t, vt }),
      ...get(po),
      ...get(s),
      ...F64_STORE,
      ...get(po),
      ...get(t),
      ...[0x39, 3, ...uleb(8)],
      ...bump(po, 16),
      ...bump(i, 2),
    ]),
    ...whileBelow(i, n, false, [
      ...indexedRow(x, pr, d, px),
      ...bump(pr, 4),
      ...rowDot(F32_ROWS, {
        d,
        v,
        px,
        pv,
        vEnd,
        rowEnd,
        a0: a[0],
        a1: a[1],
        a2: a[2],
        a3: a[3],
        s,
      }),
      ...get(po),
      ...get(s),
      ...F64_STORE,
      ...bump(po, 8),
      ...bump(i, 1),
    ]),
    ...END,
  ];
}

/**
 * Weighted row sum on gathered rows: acc += sum_j c[j] * row rows[j] for j < n, in the order of
 * j, rows two at a time sharing the loads and stores of acc (pairAxpy), a last row alone (rowAxpy,
 * skipped when its coefficient is 0): the numbers of axpys on those rows.
 */
function axpysAtBody(): number[] {
  // params: x 0, rows 1, n 2, d 3, c 4, acc 5; locals: i 6, px 7, py 8, pa 9, vEnd 10,
  // rowEnd 11, pr 12, pairs 13, pc 14 (i32), cx 15, cy 16 (v128), cs 17, ct 18 (f64)
  const [x, rows, n, d, c, acc] = [0, 1, 2, 3, 4, 5];
  const [i, px, py, pa, vEnd, rowEnd, pr, pairs, pc] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [cx, cy, cs, ct] = [15, 16, 17, 18];
  return [
    ...vec([
      [9, I32],
      [2, V128],
      [2, F64],
    ]),
    ...get(rows),
    ...set(pr),
    ...get(c),
    ...set(pc),
    ...get(n),
    ...i32(-2),
    ...AND,
    ...set(pairs),
    ...whileBelow(i, pairs, false, [
      ...indexedRow(x, pr, d, px),
      ...bump(pr, 4),
      ...indexedRow(x, pr, d, py),
      ...bump(pr, 4),
      ...get(pc),
      ...F64_LOAD,
      ...set(cs),
      ...get(pc),
      ...F64_LOAD_AT(8),
      ...set(ct),
      ...pairAxpy(F32_ROWS, { d, acc, px, py, pa, vEnd, rowEnd, cx, cy, cs, ct }),
      ...bump(pc, 16),
      ...bump(i, 2),
    ]),
    ...whileBelow(i, n, false, [
      ...indexedRow(x, pr, d, px),
      ...bump(pr, 4),
      ...get(pc),
      ...F64_LOAD,
      ...tee(cs),
      ...F64_ZERO,
      ...F64_NE,
      ...IF,
      ...rowAxpy(F32_ROWS, { d, acc, px, pa, vEnd, rowEnd, cv: cx, cs }),
      ...END,
      ...bump(pc, 8),
      ...bump(i, 1),
    ]),
    ...END,
  ];
}

/**
 * dots then axpys in one pass: each row is still in cache for its update, and rows go in pairs
 * that share the loads of v and the loads and stores of acc. The operations on each row, and
 * the order of the updates of acc, are those of the two kernels, so the numbers are too.
 */
function gramBody(f: RowFormat): number[] {
  // params: x 0, n 1, d 2, v 3, shift 4 (f64), proj 5, acc 6; locals: i 7, px 8, py 9, pv 10,
  // pa 11, vEnd 12, rowEnd 13, pp 14, rowStart 15, pairs 16 (i32), a0..a3 17..20, b0..b3 21..24,
  // cx 25, cy 26 (v128), s 27, t 28 (f64)
  const [x, n, d, v, shift, proj, acc] = [0, 1, 2, 3, 4, 5, 6];
  const [i, px, py, pv, pa, vEnd, rowEnd, pp, rowStart, pairs] = [
    7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const a: [number, number, number, number] = [17, 18, 19, 20];
  const b: [number, number, number, number] = [21, 22, 23, 24];
  const [cx, cy, s, t] = [25, 26, 27, 28];
  const rowBytes = [...get(d), ...i32(f.shift), ...SHL];
  // s (then t) = dot - shift, stored at pp (then pp + 8).
  const project = (r: number, offset: number): number[] => [
    ...get(r),
    ...get(shift),
    ...F64_SUB,
    ...set(r),
    ...get(pp),
    ...get(r),
    ...[0x39, 3, ...uleb(offset)],
  ];
  const nonZero = (r: number): number[] => [...get(r), ...F64_ZERO, ...F64_NE];
  const single = (r: number, start: number[]): number[] => [
    ...nonZero(r),
    ...IF,
    ...start,
    ...set(px),
    ...rowAxpy(f, { d, acc, px, pa, vEnd, rowEnd, cv: cx, cs: r }),
    ...END,
  ];
  const pair = [
    ...get(px),
    ...set(rowStart),
    ...get(px),
    ...rowBytes,
    ...ADD,
    ...set(py),
    ...pairDot(f, { d, v, px, py, pv, vEnd, rowEnd, a, b, s, t, vt: cx }),
    ...project(s, 0),
    ...project(t, 8),
    ...nonZero(s),
    ...nonZero(t),
    ...AND,
    ...IF,
    ...get(rowStart),
    ...set(px),
    ...get(rowStart),
    ...rowBytes,
    ...ADD,
    ...set(py),
    ...pairAxpy(f, { d, acc, px, py, pa, vEnd, rowEnd, cx, cy, cs: s, ct: t }),
    ...ELSE,
    // A zero coefficient skips its row, as axpys does.
    ...single(s, get(rowStart)),
    ...single(t, [...get(rowStart), ...rowBytes, ...ADD]),
    ...END,
    ...get(rowStart),
    ...rowBytes,
    ...i32(1),
    ...SHL,
    ...ADD,
    ...set(px),
    ...bump(pp, 16),
    ...bump(i, 2),
  ];
  const last = [
    ...get(px),
    ...set(rowStart),
    ...rowDot(f, { d, v, px, pv, vEnd, rowEnd, a0: a[0], a1: a[1], a2: a[2], a3: a[3], s }),
    ...project(s, 0),
    ...single(s, get(rowStart)),
  ];
  return [
    ...vec([
      [10, I32],
      [10, V128],
      [2, F64],
    ]),
    ...get(x),
    ...set(px),
    ...get(proj),
    ...set(pp),
    ...get(n),
    ...i32(-2),
    ...AND,
    ...set(pairs),
    ...whileBelow(i, pairs, false, pair),
    ...get(i),
    ...get(n),
    ...GE_S,
    ...i32(0),
    ...[0x46], // i32.eq: i < n, one row left
    ...IF,
    ...last,
    ...END,
    ...END,
  ];
}

/**
 * total + the sum over the rows of sum_k (f64(x[i][k]) - mean[k])^2: per row four f64x2
 * accumulators over 8 floats and the scalar tail (as in dots), the rows' sums added to the total
 * in order (so chunk by chunk gives the numbers of one call).
 */
function squaredDeviationsBody(): number[] {
  // params: x 0, n 1, d 2, mean 3, total 4 (f64: the running sum to add to); locals: i 5, px 6,
  // pm 7, vEnd 8, rowEnd 9 (i32), a0..a3 10..13, dv 14 (v128), s 15, t 16 (f64)
  const [x, n, d, mean, total, i, px, pm, vEnd, rowEnd] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [a0, a1, a2, a3, dv, s, t] = [10, 11, 12, 13, 14, 15, 16];
  const acc = (a: number, offset: number): number[] => [
    ...get(px),
    ...LOAD64_ZERO(offset),
    ...PROMOTE_LOW,
    ...get(pm),
    ...V_LOAD(offset * 2),
    ...F64X2_SUB,
    ...tee(dv),
    ...get(dv),
    ...F64X2_MUL,
    ...get(a),
    ...F64X2_ADD,
    ...set(a),
  ];
  const row = [
    ...V_ZERO,
    ...set(a0),
    ...V_ZERO,
    ...set(a1),
    ...V_ZERO,
    ...set(a2),
    ...V_ZERO,
    ...set(a3),
    ...get(mean),
    ...set(pm),
    ...rowBounds(F32_ROWS, px, d, vEnd, rowEnd),
    ...whileBelow(px, vEnd, true, [
      ...acc(a0, 0),
      ...acc(a1, 8),
      ...acc(a2, 16),
      ...acc(a3, 24),
      ...bump(px, 32),
      ...bump(pm, 64),
    ]),
    ...get(a0),
    ...get(a1),
    ...F64X2_ADD,
    ...get(a2),
    ...get(a3),
    ...F64X2_ADD,
    ...F64X2_ADD,
    ...tee(a0),
    ...F64X2_LANE(0),
    ...get(a0),
    ...F64X2_LANE(1),
    ...F64_ADD,
    ...set(s),
    ...whileBelow(px, rowEnd, true, [
      ...get(px),
      ...F32_LOAD,
      ...F64_PROMOTE,
      ...get(pm),
      ...F64_LOAD,
      ...F64_SUB,
      ...tee(t),
      ...get(t),
      ...F64_MUL,
      ...get(s),
      ...F64_ADD,
      ...set(s),
      ...bump(px, 4),
      ...bump(pm, 8),
    ]),
    ...get(total),
    ...get(s),
    ...F64_ADD,
    ...set(total),
    ...bump(i, 1),
  ];
  return [
    ...vec([
      [5, I32],
      [5, V128],
      [2, F64],
    ]),
    ...get(x),
    ...set(px),
    ...whileBelow(i, n, false, row),
    ...get(total),
    ...END,
  ];
}

/**
 * One modified Gram-Schmidt pass of the f64 vector w against `count` >= 1 f64 vectors stored one
 * after the other at b: for each b_j in order, c = b_j . w, then w -= c b_j. Each update of w is
 * fused with the next dot product (one pass over w per vector). The dot products keep the four
 * partial sums of spectral.ts's dotF64 (k mod 4; the tail d % 4 into the first; then
 * (s0 + s1) + (s2 + s3)) as the lanes of two f64x2 accumulators, so the numbers are those of the
 * JavaScript loops.
 */
function orthogonalizeBody(): number[] {
  // params: b 0, count 1, d 2, w 3; locals: j 4, pc 5, pn 6, pw 7, pb 8, pnb 9, qEnd 10, end 11,
  // steps 12 (i32), lo 13, hi 14, cv 15, wv 16 (v128), c 17, s 18, t 19 (f64)
  const [b, count, d, w, j, pc, pn, pw, pb, pnb, qEnd, end, steps] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const [lo, hi, cv, wv, c, s, t] = [13, 14, 15, 16, 17, 18, 19];
  // The two halves of 4 doubles: wv = w - c b (when updating), stored, then acc += wv * next.
  const half = (a: number, offset: number, update: boolean): number[] => [
    ...(update
      ? [
          ...get(pw),
          ...get(pw),
          ...V_LOAD(offset),
          ...get(cv),
          ...get(pb),
          ...V_LOAD(offset),
          ...F64X2_MUL,
          ...F64X2_SUB,
          ...tee(wv),
          ...V_STORE(offset),
          ...get(wv),
        ]
      : [...get(pw), ...V_LOAD(offset)]),
    ...get(pnb),
    ...V_LOAD(offset),
    ...F64X2_MUL,
    ...get(a),
    ...F64X2_ADD,
    ...set(a),
  ];
  const tail = (update: boolean): number[] => [
    ...(update
      ? [
          ...get(pw),
          ...get(pw),
          ...F64_LOAD,
          ...get(c),
          ...get(pb),
          ...F64_LOAD,
          ...F64_MUL,
          ...F64_SUB,
          ...tee(t),
          ...F64_STORE,
          ...get(t),
        ]
      : [...get(pw), ...F64_LOAD]),
    ...get(pnb),
    ...F64_LOAD,
    ...F64_MUL,
    ...get(s),
    ...F64_ADD,
    ...set(s),
  ];
  // c = (w after the update by the current vector at pc) . (the vector at pn).
  const sweep = (update: boolean): number[] => [
    ...V_ZERO,
    ...set(lo),
    ...V_ZERO,
    ...set(hi),
    ...get(c),
    ...F64X2_SPLAT,
    ...set(cv),
    ...get(w),
    ...set(pw),
    ...get(pc),
    ...set(pb),
    ...get(pn),
    ...set(pnb),
    ...get(w),
    ...get(d),
    ...i32(-4),
    ...AND,
    ...i32(3),
    ...SHL,
    ...ADD,
    ...set(qEnd),
    ...get(w),
    ...get(d),
    ...i32(3),
    ...SHL,
    ...ADD,
    ...set(end),
    ...whileBelow(pw, qEnd, true, [
      ...half(lo, 0, update),
      ...half(hi, 16, update),
      ...bump(pw, 32),
      ...bump(pb, 32),
      ...bump(pnb, 32),
    ]),
    ...get(lo),
    ...F64X2_LANE(0),
    ...set(s),
    ...whileBelow(pw, end, true, [
      ...tail(update),
      ...bump(pw, 8),
      ...bump(pb, 8),
      ...bump(pnb, 8),
    ]),
    ...get(s),
    ...get(lo),
    ...F64X2_LANE(1),
    ...F64_ADD,
    ...get(hi),
    ...F64X2_LANE(0),
    ...get(hi),
    ...F64X2_LANE(1),
    ...F64_ADD,
    ...F64_ADD,
    ...set(c),
  ];
  // Step j updates w by vector j - 1 and dots it with vector j; the last step (j = count) dots
  // with vector count - 1 again, a result nobody reads.
  const step = [
    ...get(pn),
    ...set(pc),
    ...get(pc),
    ...get(d),
    ...i32(3),
    ...SHL,
    ...i32(0),
    ...get(j),
    ...get(count),
    ...LT_U,
    ...SELECT,
    ...ADD,
    ...set(pn),
    ...sweep(true),
    ...bump(j, 1),
  ];
  return [
    ...vec([
      [9, I32],
      [4, V128],
      [3, F64],
    ]),
    ...get(b),
    ...set(pn),
    ...sweep(false),
    ...i32(1),
    ...set(j),
    ...get(count),
    ...i32(1),
    ...ADD,
    ...set(steps),
    ...whileBelow(j, steps, true, step),
    ...END,
  ];
}

function moduleBytes(): Uint8Array {
  const type = (params: number[], results: number[]): number[] => [
    0x60,
    ...vec(params.map((p) => [p])),
    ...vec(results.map((r) => [r])),
  ];
  const types = [
    type([I32, I32, I32, I32, I32], []),
    type([I32, I32, I32, I32, F64, I32, I32], []),
    type([I32, I32, I32, I32, F64], [F64]),
    type([I32, I32, I32, I32], []),
    type([I32, I32, I32, I32, F32, I32, I32], []),
    type([I32, I32, I32, I32, I32, I32], []),
  ];
  const functions: [string, number, number[]][] = [
    ['dots', 0, dotsBody()],
    ['axpys', 0, axpysBody()],
    ['gram', 1, gramBody(F32_ROWS)],
    ['squaredDeviations', 2, squaredDeviationsBody()],
    ['orthogonalize', 3, orthogonalizeBody()],
    ['gram32', 4, gram32Body()],
    ['dotsAt', 5, dotsAtBody()],
    ['axpysAt', 5, axpysAtBody()],
  ];
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(functions.map(([, t]) => uleb(t)))),
    ...section(7, vec(functions.map(([f], index) => [...name(f), 0x00, ...uleb(index)]))),
    ...section(10, vec(functions.map(([, , b]) => [...uleb(b.length), ...b]))),
  ]);
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

export interface SimdKernels {
  memory: WasmMemory;
  dots(x: number, n: number, d: number, v: number, out: number): void;
  axpys(x: number, n: number, d: number, c: number, acc: number): void;
  gram(x: number, n: number, d: number, v: number, shift: number, proj: number, acc: number): void;
  squaredDeviations(x: number, n: number, d: number, mean: number, total: number): number;
  orthogonalize(b: number, count: number, d: number, w: number): void;
  gram32(
    x: number,
    n: number,
    d: number,
    v: number,
    shift: number,
    proj: number,
    acc: number,
  ): void;
  /** out[j] = row rows[j] . v (rows: i32 indices into the block at x). */
  dotsAt(x: number, rows: number, n: number, d: number, v: number, out: number): void;
  /** acc += sum_j c[j] * row rows[j], in the order of j. */
  axpysAt(x: number, rows: number, n: number, d: number, c: number, acc: number): void;
}

let compiled: { wasm: WasmApi; module: object } | null | undefined;
let cached: SimdKernels | null | undefined;

/** A fresh instance with its own memory of at least `bytes` (null without WebAssembly SIMD). */
export function newSimdKernels(bytes: number): SimdKernels | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      const code = moduleBytes();
      if (wasm && wasm.validate(code)) compiled = { wasm, module: new wasm.Module(code) };
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  try {
    const memory = new compiled.wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const instance = new compiled.wasm.Instance(compiled.module, {
      env: { memory },
    });
    const ex = instance.exports as unknown as Omit<SimdKernels, 'memory'>;
    return {
      memory,
      dots: ex.dots,
      axpys: ex.axpys,
      gram: ex.gram,
      squaredDeviations: ex.squaredDeviations,
      orthogonalize: ex.orthogonalize,
      gram32: ex.gram32,
      dotsAt: ex.dotsAt,
      axpysAt: ex.axpysAt,
    };
  } catch {
    // Out of memory for a large instance: the caller streams the rows instead.
    return null;
  }
}

/** The shared instance (its memory holds the streaming scratch and the row blocks). */
export function simdKernels(): SimdKernels | null {
  if (cached === undefined) cached = newSimdKernels(65536);
  return cached;
}
