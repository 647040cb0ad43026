/**
 * Float16 storage of an embedding matrix: half the memory of float32 (1,000,000 × 4,096 is 8 GiB
 * instead of 16). Node 20 has no Float16Array, so the bits sit in a Uint16Array wrapped in a class
 * of its own: it has no numeric index, so TypeScript rejects every place that would read its bits
 * as numbers; the analysis reads rows through readRows (float32 values, exact) and accumulates in
 * float64 as it does for float32 storage.
 */

/** IEEE half to float, bit-exact (subnormals, infinities and NaN included). */
export const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
};

/** A [rows, dim] matrix stored as IEEE half bits (C order). */
export class HalfRows {
  constructor(readonly bits: Uint16Array) {}

  get length(): number {
    return this.bits.length;
  }

  get buffer(): ArrayBufferLike {
    return this.bits.buffer;
  }

  get byteLength(): number {
    return this.bits.byteLength;
  }

  /** Elements [from, to) as another HalfRows (no copy), as Float32Array.subarray. */
  subarray(from: number, to: number): HalfRows {
    return new HalfRows(this.bits.subarray(from, to));
  }
}

/** The embedding matrix's storage: float32, or float16 (HalfRows). */
export type RowData = Float32Array | HalfRows;

let table: Float32Array | undefined;
/** Every half value as float32, once: a lookup is several times faster than decoding. */
export const halfTable = (): Float32Array => {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = halfToFloat(h);
  }
  return table;
};

/**
 * Rows rows[from], …, rows[from + count - 1] of `data` as float32 into `into` from element
 * `base` on. Exact: every half is a float32.
 */
export function readRows(
  data: HalfRows,
  dim: number,
  rows: ArrayLike<number>,
  from: number,
  count: number,
  into: Float32Array,
  base: number,
): void {
  const t = halfTable();
  const bits = data.bits;
  for (let j = 0; j < count; j++) {
    const o = rows[from + j] * dim;
    const at = base + j * dim;
    for (let k = 0; k < dim; k++) into[at + k] = t[bits[o + k]];
  }
}

/** Row `row` of `data` as float32 values (into a fresh array unless `into` is given). */
export function readRow(
  data: RowData,
  dim: number,
  row: number,
  into?: Float32Array,
): Float32Array {
  const out = into ?? new Float32Array(dim);
  if (data instanceof HalfRows) readRows(data, dim, [row], 0, 1, out, 0);
  else out.set(data.subarray(row * dim, row * dim + dim));
  return out;
}

/** The whole matrix as float32 (a copy for half storage; the array itself for float32). */
export function toFloat32(data: RowData): Float32Array {
  if (!(data instanceof HalfRows)) return data;
  const t = halfTable();
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = t[data.bits[i]];
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, rounded to nearest even (overflow to ±Infinity, NaN kept). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: the implicit bit joins the mantissa, shifted into place with rounding.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** Byte length of a [rows, dim] matrix stored as float32 or as half. */
export const matrixBytes = (rows: number, dim: number, half: boolean): number =>
  rows * dim * (half ? 2 : 4);
