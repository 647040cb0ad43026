import { describe, expect, it } from 'vitest';
import {
  addRows,
  addRowsJs,
  dotF64,
  OrthogonalBasis,
  rowDots,
  ResidentRows,
  rowDotsJs,
  rowSquaredDeviations,
  RunRows,
  SortedRowDots,
  squaredDeviationsJs,
  withGramBlock,
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

describe('covariance kernels', () => {
  const same = (a: Float64Array, b: Float64Array): boolean => a.every((x, i) => Object.is(x, b[i]));

  // Odd and even row counts (the gram kernel takes rows in pairs), tails d % 8 and d % 4.
  for (const [dim, n] of [
    [1, 1],
    [3, 2],
    [8, 7],
    [13, 10],
    [384, 51],
    [4099, 9],
  ] as const) {
    it(`gram = dots, subtraction, then addTo, bitwise, with zero projections skipped (d = ${dim}, n = ${n})`, () => {
      const { data, rows: all, v } = case_(dim, n + 3, dim * 7 + n);
      const rows = all.subarray(0, n);
      withGramBlock(data, dim, rows, (block) => {
        const dots = new Float64Array(n);
        block.dots(v, dots);
        // Shifts by one row's own dot product: that row's projection is exactly 0.
        for (const shift of [0.25, dots[0], dots[n - 1]]) {
          const expectedProj = dots.map((x) => x - shift);
          const expectedAcc = Float64Array.from({ length: dim }, (_, k) => k / 3);
          block.addTo(expectedProj, expectedAcc);
          const proj = new Float64Array(n);
          const acc = Float64Array.from({ length: dim }, (_, k) => k / 3);
          block.gram(v, shift, proj, acc);
          expect(same(proj, expectedProj)).toBe(true);
          expect(same(acc, expectedAcc)).toBe(true);
        }
        // A nested block reads the matrix directly: the same numbers to rounding.
        withGramBlock(data, dim, rows, (direct) => {
          const proj = new Float64Array(n);
          const acc = new Float64Array(dim);
          const expected = new Float64Array(dim);
          block.gram(v, 0.5, proj, expected);
          direct.gram(v, 0.5, proj, acc);
          acc.forEach((x, k) => expect(x).toBeCloseTo(expected[k], 10));
        });
      });
    });

    it(`row sums and squared deviations agree with the definitions (d = ${dim}, n = ${n})`, () => {
      const { data, rows: all } = case_(dim, n + 3, dim * 5 + n);
      const rows = all.subarray(0, n);
      const expectedSum = new Float64Array(dim);
      for (const r of rows) for (let k = 0; k < dim; k++) expectedSum[k] += data[r * dim + k];
      const mean = expectedSum.map((x) => x / n);
      let expectedSq = 0;
      for (const r of rows)
        for (let k = 0; k < dim; k++) expectedSq += (data[r * dim + k] - mean[k]) ** 2;
      const streamed = rowSquaredDeviations(data, dim, rows, n, mean);
      const scalar = squaredDeviationsJs(data, dim, rows, n, mean);
      expect(Math.abs(streamed - expectedSq)).toBeLessThanOrEqual(1e-13 * expectedSq);
      expect(Math.abs(scalar - expectedSq)).toBeLessThanOrEqual(1e-13 * expectedSq);
      withGramBlock(data, dim, rows, (block) => {
        const sum = new Float64Array(dim);
        block.sumRows(sum);
        expect(same(sum, expectedSum)).toBe(true); // one row after the other, as meanOfRows
        expect(block.squaredDeviations(mean)).toBe(streamed);
        withGramBlock(data, dim, rows, (direct) => {
          const s2 = new Float64Array(dim);
          direct.sumRows(s2);
          expect(same(s2, expectedSum)).toBe(true);
          expect(direct.squaredDeviations(mean)).toBe(streamed);
        });
      });
    });
  }

  it('squared deviations stream chunk by chunk with the numbers of one block', () => {
    const dim = 4099;
    const { data, rows } = case_(dim, 200, 17); // 600 rows: many copied chunks at d = 4099
    const mean = Float64Array.from({ length: dim }, (_, k) => Math.sin(k) / 10);
    const streamed = rowSquaredDeviations(data, dim, rows, rows.length, mean);
    const blocked = withGramBlock(data, dim, rows, (b) => b.squaredDeviations(mean));
    expect(blocked).toBe(streamed);
  });

  it('reorthogonalisation: the SIMD basis gives the numbers of the JavaScript loops, past its initial capacity', () => {
    // Each basis is disposed of: the next one reuses its memory, bigger or smaller.
    for (const [dim, count] of [
      [1, 1],
      [5, 3],
      [7, 7],
      [64, 40],
      [4099, 3],
      [3, 35],
    ] as const) {
      const rng = new Rng(dim * 13 + count);
      const simd = OrthogonalBasis.create(dim);
      const js = OrthogonalBasis.create(dim, false);
      const plain: Float64Array[] = [];
      for (let j = 0; j < count; j++) {
        const q = Float64Array.from({ length: dim }, () => rng.normal());
        simd.push(q);
        js.push(q);
        plain.push(q);
      }
      expect(simd.length).toBe(count);
      const w = Float64Array.from({ length: dim }, () => rng.normal());
      const a = Float64Array.from(w);
      const b = Float64Array.from(w);
      simd.orthogonalize(a, 2);
      js.orthogonalize(b, 2);
      for (let pass = 0; pass < 2; pass++)
        for (const q of plain) {
          const c = dotF64(q, w, dim);
          for (let k = 0; k < dim; k++) w[k] -= c * q[k];
        }
      expect(same(a, w)).toBe(true);
      expect(same(b, w)).toBe(true);
      simd.dispose();
      expect(simd.length).toBe(0);
    }
  });

  it('a run’s rows kept between steps: gathered dots and row sums on them give the numbers of rowDots and addRows', () => {
    for (const dim of [3, 384, 4099]) {
      const { data, v } = case_(dim, 40, dim + 5);
      const rng = new Rng(dim);
      const rows = Int32Array.from({ length: 30 }, () => rng.int(40));
      const set = new RunRows(data, dim, rows, 9);
      // Scores, coefficients from them, then the weighted row sum, for a step's batch (`mapped`:
      // the matrix rows its indices into the run's rows stand for).
      const expectStep = (run: RunRows, batch: Int32Array, mapped: Int32Array, n: number): void => {
        const sg = Float64Array.from({ length: 9 }, () => (rng.float() < 0.5 ? 1 : -1));
        const bs = sg.map((x) => 0.7 * x);
        const dotsA = new Float64Array(9);
        const accA = Float64Array.from(v);
        run.dots(batch, mapped, n, v, dotsA);
        const coefA = dotsA.map((x, j) => (1 / (1 + Math.exp(bs[j] * x))) * sg[j]);
        run.addTo(batch, mapped, coefA, n, accA);
        const dotsB = new Float64Array(9);
        rowDots(data, dim, mapped, n, v, dotsB);
        const coef = dotsB.map((x, j) => (1 / (1 + Math.exp(bs[j] * x))) * sg[j]);
        const accB = Float64Array.from(v);
        addRows(data, dim, mapped, coef, n, accB);
        expect(dotsA).toEqual(dotsB);
        expect(accA).toEqual(accB);
      };
      // Pairs of rows, and a last row alone.
      for (const n of [9, 8, 1]) {
        const batch = Int32Array.from({ length: 9 }, () => rng.int(rows.length));
        expectStep(
          set,
          batch,
          batch.map((b) => rows[b]),
          n,
        );
      }
      // Another set taking the instance, then this one again: its rows are copied back.
      const shifted = rows.map((r) => (r + 1) % 40);
      const other = new RunRows(data, dim, shifted, 9);
      const batch = Int32Array.from({ length: 9 }, (_, i) => i);
      expectStep(other, batch, shifted.subarray(0, 9), 9);
      expectStep(set, batch, rows.subarray(0, 9), 9);
      set.release();
      other.release();
    }
  });

  it('gram32: the fused pass in float32 agrees with gram to float32 precision', () => {
    for (const dim of [3, 17, 384, 4099]) {
      const { data } = case_(dim, 33, dim);
      const rows = Int32Array.from({ length: 33 }, (_, i) => i);
      const rng = new Rng(dim + 1);
      const v = Float64Array.from({ length: dim }, () => rng.normal());
      withGramBlock(data, dim, rows, (block) => {
        const p64 = new Float64Array(33);
        const a64 = new Float64Array(dim);
        const p32 = new Float64Array(33);
        const a32 = new Float64Array(dim);
        block.gram(v, 0.25, p64, a64);
        block.gram32(v, 0.25, p32, a32);
        const pScale = Math.max(...p64.map(Math.abs));
        const aScale = Math.max(...a64.map(Math.abs));
        p64.forEach((x, i) => expect(Math.abs(x - p32[i])).toBeLessThan(1e-5 * pScale));
        a64.forEach((x, k) => expect(Math.abs(x - a32[k])).toBeLessThan(1e-5 * aScale));
        // Float32, not float64: some values differ.
        expect(p32).not.toEqual(p64);
      });
    }
  });

  it('dotF64 agrees with the definition, tails included', () => {
    for (const n of [0, 1, 3, 4, 9]) {
      const a = Float64Array.from({ length: n }, (_, k) => k + 0.5);
      const b = Float64Array.from({ length: n }, (_, k) => 2 - k);
      expect(dotF64(a, b, n)).toBe(a.reduce((s, x, k) => s + x * b[k], 0));
    }
  });
});
