import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/core/analysis/analyze.js';
import {
  addRows,
  copyRowRuns,
  rowDots,
  rowSquaredDeviations,
  withGramBlock,
} from '../../src/core/analysis/kernels.js';
import { Rng } from '../../src/core/analysis/rng.js';
import { halfTable, HalfRows, readRow, toFloat32, toHalfBits } from '../../src/core/io/half.js';
import { personaFixture } from './analysis-helpers.js';

describe('float16 bits', () => {
  it('rounds float32 to the nearest half, ties to even (values from the IEEE 754 binary16 table)', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff], // the largest half
      [65519, 0x7bff], // below the midpoint to 65536
      [65520, 0x7c00], // the midpoint rounds to even: Infinity
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [-0, 0x8000],
      [2 ** -24, 0x0001], // the smallest subnormal
      [2 ** -25, 0x0000], // halfway to 0: even
      [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal steps: even
      [2 ** -14, 0x0400], // the smallest normal
      [2049, 0x6800], // halfway between 2048 and 2050: even (2048)
      [2051, 0x6802], // halfway between 2050 and 2052: even (2052)
    ];
    for (const [x, bits] of cases) expect(toHalfBits(x), `${x}`).toBe(bits);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(NaN) & 0x3ff).not.toBe(0);
  });

  it('gives back every finite half from its float32 value', () => {
    const t = halfTable();
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN
      if (toHalfBits(t[h]) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('reads rows and whole matrices as their float32 values', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x8000]);
    const m = new HalfRows(bits);
    expect(Array.from(readRow(m, 3, 1))).toEqual([2 ** -24, 65504, -0]);
    expect(Array.from(toFloat32(m))).toEqual([1, -2, 0.333251953125, 2 ** -24, 65504, -0]);
  });
});

describe('the kernels on a float16 matrix', () => {
  it('give the numbers of the same values in float32 (rows in any order, d = 4099)', () => {
    const rng = new Rng(7);
    const n = 70;
    const d = 4099;
    const bits = Uint16Array.from({ length: n * d }, () => toHalfBits(rng.normal()));
    const half = new HalfRows(bits);
    const f32 = toFloat32(half);
    const rows = Int32Array.from([5, 6, 7, 69, 0, 1, 33, 34, 35, 36, 12]);
    const v = Float64Array.from({ length: d }, () => rng.normal());
    const coef = Float64Array.from(rows, () => rng.normal());
    const dots = (data: Float32Array | HalfRows) => {
      const out = new Float64Array(rows.length);
      rowDots(data, d, rows, rows.length, v, out);
      return out;
    };
    const sums = (data: Float32Array | HalfRows) => {
      const acc = new Float64Array(d);
      addRows(data, d, rows, coef, rows.length, acc);
      return acc;
    };
    expect(dots(half)).toEqual(dots(f32));
    expect(sums(half)).toEqual(sums(f32));
    expect(rowSquaredDeviations(half, d, rows, rows.length, v)).toBe(
      rowSquaredDeviations(f32, d, rows, rows.length, v),
    );
    const block = (data: Float32Array | HalfRows) =>
      withGramBlock(data, d, rows, (b) => {
        const proj = new Float64Array(rows.length);
        const acc = new Float64Array(d);
        b.gram(v, 0.25, proj, acc);
        return [proj, acc];
      });
    expect(block(half)).toEqual(block(f32));
    const copied = [new Float32Array(rows.length * d), new Float32Array(rows.length * d)];
    copyRowRuns(half, d, rows, 0, rows.length, copied[0], 0);
    copyRowRuns(f32, d, rows, 0, rows.length, copied[1], 0);
    expect(copied[0]).toEqual(copied[1]);
  });
});

describe('a block of half rows too big for the SIMD memory', () => {
  it('gives the numbers of the same float32 rows read in place (4,200 × 4,096: 69 MB as float32)', () => {
    const rng = new Rng(11);
    const n = 4200;
    const d = 4096;
    const bits = Uint16Array.from({ length: n * d }, () => toHalfBits(rng.normal()));
    const half = new HalfRows(bits);
    const f32 = toFloat32(half);
    const rows = Int32Array.from({ length: n - 10 }, (_, i) => (i * 7) % n);
    const v = Float64Array.from({ length: d }, () => rng.normal());
    const passes = (data: Float32Array | HalfRows) =>
      withGramBlock(data, d, rows, (b) => {
        const proj = new Float64Array(rows.length);
        const acc = new Float64Array(d);
        b.gram(v, 0.5, proj, acc);
        const sum = new Float64Array(d);
        b.sumRows(sum);
        return { proj, acc, sum, ss: b.squaredDeviations(v) };
      });
    expect(passes(half)).toEqual(passes(f32));
  });
});

describe('the analysis on a float16 matrix', () => {
  it('gives the numbers of the same values stored as float32', async () => {
    const { input } = personaFixture();
    // The persona vectors rounded to half: the float32 and the float16 matrix hold equal values.
    const bits = Uint16Array.from(input.data as Float32Array, toHalfBits);
    const asFloat32 = toFloat32(new HalfRows(bits));
    const options = { simulation: { steps: 40 }, bootstrapReps: 50 };
    const f32 = await analyzeEmbeddings({ ...input, data: asFloat32 }, options);
    const f16 = await analyzeEmbeddings({ ...input, data: new HalfRows(bits) }, options);
    expect(f16.behaviors).toEqual(f32.behaviors);
    expect(f16.simulation).toEqual(f32.simulation);
    expect(f16.rebalancing).toEqual(f32.rebalancing);
  });
});
