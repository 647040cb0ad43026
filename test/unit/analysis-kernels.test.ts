import { describe, expect, it } from 'vitest';
import {
  addRows,
  addRowsJs,
  rowDots,
  ResidentRows,
  rowDotsJs,
  SortedRowDots,
  withRowBlock,
} from '../../src/core/analysis/kernels.js';
import { Rng } from '../../src/core/analysis/rng.js';
import { simdKernels } from '../../src/core/analysis/simd.js';

/** Row i of `data` dotted with v, one term at a time in Float64 (the definition). */
function naiveDot(data: Float32Array, dim: number, row: number, v: Float64Array): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += data[row * dim + k] * v[k];
  return s;
}

function case_(dim: number, rowsInMatrix: number, seed: number) {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: rowsInMatrix * dim }, () => rng.normal());
  // Shuffled rows with repeats and runs of consecutive rows (copied in one piece by the SIMD path).
  const rows = new Int32Array(3 * rowsInMatrix);
  for (let i = 0; i < rows.length; i++)
    rows[i] = i % 5 === 0 ? rng.int(rowsInMatrix) : (rows[i - 1] + 1) % rowsInMatrix;
  const v = Float64Array.from({ length: dim }, () => rng.normal());
  const coef = Float64Array.from({ length: rows.length }, () => rng.normal());
  return { data, rows, v, coef };
}

describe('row kernels', () => {
  it('WebAssembly SIMD is available on this Node, so the fast path is the one tested', () => {
    expect(simdKernels()).not.toBeNull();
  });

  // Odd sizes exercise the scalar tails; 2000 rows at d = 4099 span several copied chunks.
  for (const [dim, n] of [
    [1, 7],
    [3, 50],
    [8, 9],
    [383, 300],
    [384, 1000],
    [4099, 200],
  ] as const) {
    it(`dot products and weighted row sums agree with the definition (d = ${dim})`, () => {
      const { data, rows, v, coef } = case_(dim, n, dim * 31 + n);
      for (const f of [rowDots, rowDotsJs]) {
        const out = new Float64Array(rows.length);
        f(data, dim, rows, rows.length, v, out);
        rows.forEach((r, i) => {
          // Error bound of a length-d sum: a few ulps of sum |x_k v_k|.
          let scale = 0;
          for (let k = 0; k < dim; k++) scale += Math.abs(data[r * dim + k] * v[k]);
          expect(Math.abs(out[i] - naiveDot(data, dim, r, v))).toBeLessThanOrEqual(1e-14 * scale);
        });
      }
      for (const f of [addRows, addRowsJs]) {
        const acc = Float64Array.from({ length: dim }, (_, k) => k);
        f(data, dim, rows, coef, rows.length, acc);
        for (let k = 0; k < dim; k++) {
          let expected = k;
          let scale = Math.abs(k);
          rows.forEach((r, i) => {
            expected += coef[i] * data[r * dim + k];
            scale += Math.abs(coef[i] * data[r * dim + k]);
          });
          expect(Math.abs(acc[k] - expected)).toBeLessThanOrEqual(1e-14 * scale);
        }
      }
    });
  }

  it('a prefix of the rows: n below the array lengths leaves the rest untouched', () => {
    const { data, rows, v, coef } = case_(16, 40, 5);
    const out = new Float64Array(rows.length).fill(7);
    rowDots(data, 16, rows, 10, v, out);
    expect(out[9]).toBeCloseTo(naiveDot(data, 16, rows[9], v), 12);
    expect(Array.from(out.subarray(10)).every((x) => x === 7)).toBe(true);
    const a = new Float64Array(16);
    const b = new Float64Array(16);
    addRows(data, 16, rows, coef, 10, a);
    addRowsJs(data, 16, rows.subarray(0, 10), coef, 10, b);
    a.forEach((x, k) => expect(x).toBeCloseTo(b[k], 12));
  });

  it('a resident block, nested blocks and sorted evaluation give the same numbers', () => {
    const dim = 97;
    const { data, rows, v, coef } = case_(dim, 120, 11);
    coef.forEach((_, i) => i % 3 === 0 && (coef[i] = 0)); // zero coefficients are skipped
    const expectedDots = new Float64Array(rows.length);
    rowDotsJs(data, dim, rows, rows.length, v, expectedDots);
    const expectedSum = new Float64Array(dim);
    addRowsJs(data, dim, rows, coef, rows.length, expectedSum);
    const check = (dots: Float64Array, sum: Float64Array): void => {
      dots.forEach((x, i) => expect(x).toBeCloseTo(expectedDots[i], 11));
      sum.forEach((x, k) => expect(x).toBeCloseTo(expectedSum[k], 11));
    };
    withRowBlock(data, dim, rows, (outer) => {
      // Twice over the same block, with a nested (direct) block and streamed calls in between.
      for (let pass = 0; pass < 2; pass++) {
        const dots = new Float64Array(rows.length);
        const sum = new Float64Array(dim);
        outer.dots(v, dots);
        outer.addTo(coef, sum);
        check(dots, sum);
        withRowBlock(data, dim, rows, (inner) => {
          const d2 = new Float64Array(rows.length);
          const s2 = new Float64Array(dim);
          inner.dots(v, d2);
          inner.addTo(coef, s2);
          check(d2, s2);
        });
        const d3 = new Float64Array(rows.length);
        rowDots(data, dim, rows, rows.length, v, d3);
        d3.forEach((x, i) => expect(x).toBeCloseTo(expectedDots[i], 11));
      }
    });
    const sorted = new Float64Array(rows.length);
    new SortedRowDots(rows).run(data, dim, v, sorted);
    sorted.forEach((x, i) => expect(x).toBeCloseTo(expectedDots[i], 11));
  });

  it('resident rows in their own memory: dots and weighted sums over every row', () => {
    const dim = 50;
    const { data, rows, v, coef } = case_(dim, 80, 3);
    const resident = ResidentRows.create(data, dim, rows)!;
    expect(resident).not.toBeNull();
    const expectedDots = new Float64Array(rows.length);
    rowDotsJs(data, dim, rows, rows.length, v, expectedDots);
    const expectedSum = Float64Array.from({ length: dim }, () => 1);
    addRowsJs(data, dim, rows, coef, rows.length, expectedSum);
    for (let pass = 0; pass < 2; pass++) {
      const dots = new Float64Array(rows.length);
      resident.dots(v, dots);
      dots.forEach((x, i) => expect(x).toBeCloseTo(expectedDots[i], 11));
      const sum = Float64Array.from({ length: dim }, () => 1);
      resident.addTo(coef, sum);
      sum.forEach((x, k) => expect(x).toBeCloseTo(expectedSum[k], 11));
    }
  });
});
