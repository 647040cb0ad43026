import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HalfRows, toHalfBits } from '../../src/core/io/half.js';
import {
  fastLinearAlgebra,
  type LinearAlgebra,
  referenceLinearAlgebra,
} from '../../src/core/analysis/linalg.js';
import { Rng } from '../../src/core/analysis/rng.js';

describe('the reference linear algebra', () => {
  // Rows (1, 2) and (3, 4), by hand.
  const data = Float32Array.of(1, 2, 3, 4);
  const rows = Int32Array.of(0, 1);
  const ref = referenceLinearAlgebra;

  it('computes row dots, weighted row sums and squared deviations as defined', () => {
    const out = new Float64Array(2);
    ref.rowDots(data, 2, rows, 2, Float64Array.of(1, -1), out);
    expect([...out]).toEqual([-1, -1]);
    const acc = Float64Array.of(10, 0);
    ref.addRows(data, 2, rows, Float64Array.of(2, 0.5), 2, acc);
    expect([...acc]).toEqual([13.5, 6]);
    // Around the mean (2, 3): (1 + 1) + (1 + 1).
    expect(ref.rowSquaredDeviations(data, 2, rows, 2, Float64Array.of(2, 3))).toBe(4);
  });

  it('computes the Gram product and the class sum of a block', () => {
    ref.withGramBlock(data, 2, rows, (block) => {
      const proj = new Float64Array(2);
      const acc = new Float64Array(2);
      // proj = X v - 1 = (2, 6); acc = 2 (1, 2) + 6 (3, 4).
      block.gram(Float64Array.of(0, 1), 1, proj, acc);
      expect([...proj]).toEqual([1, 3]);
      expect([...acc]).toEqual([10, 14]);
      const sum = new Float64Array(2);
      block.sumRows(sum);
      expect([...sum]).toEqual([4, 6]);
    });
  });
});

describe('the fast engine against the reference', () => {
  const dim = 384;
  const n = 203; // not a multiple of the four-row loops
  const rng = new Rng(11);
  const values = Float32Array.from({ length: 300 * dim }, () => rng.normal());
  const half = new HalfRows(Uint16Array.from(values, (x) => toHalfBits(x)));
  const rows = Int32Array.from({ length: n }, () => rng.int(300));
  const v = Float64Array.from({ length: dim }, () => rng.normal());
  const coef = Float64Array.from({ length: n }, () => rng.normal());

  const close = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
    const scale = Math.max(...Array.from(b, Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-12 * scale);
  };
  const products = (la: LinearAlgebra, data: Float32Array | HalfRows) => {
    const dots = new Float64Array(n);
    la.rowDots(data, dim, rows, n, v, dots);
    const sum = new Float64Array(dim);
    la.addRows(data, dim, rows, coef, n, sum);
    const dev = la.rowSquaredDeviations(data, dim, rows, n, v);
    const block = la.withGramBlock(data, dim, rows, (b) => {
      const proj = new Float64Array(n);
      const acc = new Float64Array(dim);
      b.gram(v, 0.5, proj, acc);
      const rowSum = new Float64Array(dim);
      b.sumRows(rowSum);
      return { proj, acc, rowSum, blockDev: b.squaredDeviations(v) };
    });
    return { dots, sum, dev, ...block };
  };

  for (const [name, data] of [
    ['float32', values],
    ['half', half],
  ] as const)
    it(`gives the reference's numbers to rounding on ${name} rows`, () => {
      const fast = products(fastLinearAlgebra, data);
      const ref = products(referenceLinearAlgebra, data);
      for (const key of ['dots', 'sum', 'proj', 'acc', 'rowSum'] as const)
        close(fast[key], ref[key]);
      close([fast.dev, fast.blockDev], [ref.dev, ref.blockDev]);
    });
});

describe('the definitions call the interface', () => {
  it('no definition file imports an engine (kernels, simd, gemm) directly', () => {
    const dir = fileURLToPath(new URL('../../src/core/analysis/', import.meta.url));
    const definitions = [
      'stats.ts',
      'spectral.ts',
      'significance.ts',
      'permutation-bound.ts',
      'paired.ts',
      'priority.ts',
      'losses.ts',
      'runs.ts',
      'rebalance.ts',
      'warnings.ts',
      'label-hints.ts',
      'logistic.ts',
      'stability.ts',
      'quantile.ts',
    ];
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(definitions));
    const offending = definitions.filter((f) =>
      /from '\.\/(kernels|simd|gemm-[a-z]+)\.js'/.test(readFileSync(dir + f, 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
