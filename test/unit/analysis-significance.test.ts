import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/core/analysis/matrix.js';
import { Rng } from '../../src/core/analysis/rng.js';
import {
  benjaminiHochberg,
  biasCorrectedInterval,
  permutationTest,
  permutationTestWith,
  productError,
  unbiasedDistinguishability,
} from '../../src/core/analysis/significance.js';
import { GemmWorker } from '../../src/core/analysis/gemm-client.js';
import { behaviorStats, bootstrapDistinguishability } from '../../src/core/analysis/stats.js';
import { personaFixture, rowsWhere } from './analysis-helpers.js';

/** Gaussian classes: N(+delta/2, sigma^2 I) and N(-delta/2, sigma^2 I) along axis 0. */
function gaussianClasses(
  np: number,
  nn: number,
  d: number,
  delta: number,
  sigma: number,
  seed: number,
) {
  const rng = new Rng(seed, 77);
  const data = new Float32Array((np + nn) * d);
  for (let r = 0; r < np + nn; r++)
    for (let k = 0; k < d; k++)
      data[r * d + k] = sigma * rng.normal() + (k === 0 ? (r < np ? delta / 2 : -delta / 2) : 0);
  const matrix: Matrix<Float32Array> = { data, rows: np + nn, dim: d };
  const pos = Int32Array.from({ length: np }, (_, i) => i);
  const neg = Int32Array.from({ length: nn }, (_, j) => np + j);
  return { matrix, pos, neg };
}

/** ||mean(S) - mean(not S)||^2 straight from the rows. */
function statistic(m: Matrix<Float32Array>, inS: boolean[]): number {
  const d = m.dim;
  const a = new Float64Array(d);
  const b = new Float64Array(d);
  let na = 0;
  let nb = 0;
  for (let r = 0; r < m.rows; r++) {
    const t = inS[r] ? a : b;
    if (inS[r]) na++;
    else nb++;
    for (let k = 0; k < d; k++) t[k] += m.data[r * d + k];
  }
  let s = 0;
  for (let k = 0; k < d; k++) s += (a[k] / na - b[k] / nb) ** 2;
  return s;
}

/** The exact permutation p-value: every relabeling with n+ positives, enumerated. */
function exactPValue(m: Matrix<Float32Array>, np: number): number {
  const n = m.rows;
  const observed = statistic(
    m,
    Array.from({ length: n }, (_, i) => i < np),
  );
  let hits = 0;
  let total = 0;
  const visit = (start: number, chosen: number[]): void => {
    if (chosen.length === np) {
      const inS = new Array<boolean>(n).fill(false);
      for (const c of chosen) inS[c] = true;
      total++;
      if (statistic(m, inS) >= observed * (1 - 1e-9)) hits++;
      return;
    }
    for (let i = start; i <= n - (np - chosen.length); i++) visit(i + 1, [...chosen, i]);
  };
  visit(0, []);
  return hits / total;
}

/** BH by its definition: q_i = min over p_j >= p_i of min(1, m p_j / rank_j), ranks by counting. */
function bhByDefinition(p: number[]): number[] {
  const m = p.length;
  const rank = p.map((x, i) => p.filter((y, j) => y < x || (y === x && j <= i)).length);
  return p.map((x) => Math.min(1, ...p.map((y, j) => (y >= x ? (m * y) / rank[j] : Infinity))));
}

describe('permutation test', () => {
  it('agrees with the exact enumeration of every relabeling (tiny cases, 924 relabelings)', () => {
    for (const [delta, seed] of [
      [0.9, 1],
      [0.5, 2],
      [0.0, 3],
      [3, 4],
    ] as const) {
      const { matrix, pos, neg } = gaussianClasses(6, 6, 3, delta, 0.5, seed);
      const exact = exactPValue(matrix, 6);
      const s = behaviorStats(matrix, pos, neg, { bootstrapReps: 0, permutations: 0 });
      const r = permutationTest(
        matrix,
        pos,
        neg,
        { meanDiff: s.meanDiff, spectralNorms: [s.concentration, s.concentration] },
        { permutations: 9999, stopAfter: Infinity, seed },
      );
      // Monte Carlo error of 9999 draws, plus the (k + 1)/(B + 1) rule.
      const sd = Math.sqrt((exact * (1 - exact)) / 9999);
      expect(Math.abs(r.pValue - exact)).toBeLessThanOrEqual(4 * sd + 2 / 10000);
    }
  });

  it('the bound only saves work: the p-value is the one of computing every draw', () => {
    const { matrix, pos, neg } = gaussianClasses(60, 40, 64, 0.6, 0.05, 9);
    const s = behaviorStats(matrix, pos, neg, { bootstrapReps: 0, permutations: 0 });
    const norms = (x: number): [number, number] => [x, x];
    const input = { meanDiff: s.meanDiff, spectralNorms: norms(s.concentration) };
    const fast = permutationTest(matrix, pos, neg, input, { permutations: 999, seed: 5 });
    // A huge spectral norm makes the bound rule nothing out.
    const slow = permutationTest(
      matrix,
      pos,
      neg,
      { ...input, spectralNorms: norms(1e6) },
      { permutations: 999, seed: 5 },
    );
    expect(slow.computed).toBe(999);
    expect(fast.computed).toBeLessThan(100);
    expect(fast.pValue).toBe(slow.pValue);
    expect(fast.exceedances).toBe(slow.exceedances);
    expect(fast.pValue).toBe(1 / 1000);
  });

  it('is seeded, stops early for noise, and resolves 1e-3 for a clear behavior', () => {
    const noise = gaussianClasses(50, 50, 16, 0, 1, 3);
    const s = behaviorStats(noise.matrix, noise.pos, noise.neg, { bootstrapReps: 0, seed: 4 });
    expect(s.pValue).toBeGreaterThan(0.05);
    expect(s.permutations).toBeLessThan(999);
    const again = behaviorStats(noise.matrix, noise.pos, noise.neg, { bootstrapReps: 0, seed: 4 });
    expect(again.pValue).toBe(s.pValue);
    const clear = gaussianClasses(50, 50, 16, 2, 1, 3);
    const c = behaviorStats(clear.matrix, clear.pos, clear.neg, { bootstrapReps: 0 });
    expect(c.pValue).toBe(1 / 1000);
    expect(c.permutations).toBe(999);
  });

  it('bundled MiniLM persona behaviors are significant; the same rows with shuffled labels are not', () => {
    const { meta, input } = personaFixture();
    const m: Matrix<Float32Array> = { data: input.data, rows: meta.labels.length, dim: meta.dim };
    const rng = new Rng(8);
    for (let b = 0; b < meta.names.length; b++) {
      const rows = rowsWhere((i) => meta.behavior[i] === b, m.rows);
      const pos = rows.filter((r) => meta.labels[r] > 0);
      const neg = rows.filter((r) => meta.labels[r] < 0);
      expect(behaviorStats(m, pos, neg, { bootstrapReps: 0 }).pValue).toBe(1 / 1000);
      const shuffled = Array.from(rows);
      rng.shuffle(shuffled);
      const fakePos = Int32Array.from(shuffled.slice(0, pos.length));
      const fakeNeg = Int32Array.from(shuffled.slice(pos.length));
      expect(behaviorStats(m, fakePos, fakeNeg, { bootstrapReps: 0 }).pValue).toBeGreaterThan(0.01);
    }
  });
});

describe('Benjamini-Hochberg', () => {
  it('a hand-computed case', () => {
    // Sorted 0.005, 0.01, 0.03, 0.04: 4p/rank = 0.02, 0.02, 0.04, 0.04.
    expect(benjaminiHochberg([0.01, 0.04, 0.03, 0.005])).toEqual([0.02, 0.04, 0.04, 0.02]);
  });

  it('equals its definition on random p-values with ties', () => {
    const rng = new Rng(21);
    for (let t = 0; t < 50; t++) {
      const p = Array.from({ length: 1 + rng.int(12) }, () =>
        rng.float() < 0.2 ? 0.001 : Math.round(rng.float() * 100) / 100,
      );
      benjaminiHochberg(p).forEach((q, i) => expect(q).toBeCloseTo(bhByDefinition(p)[i], 14));
    }
  });
});

describe('unbiased distinguishability and the bias-corrected interval', () => {
  it('the unbiased square averages to ||mu+ - mu-||^2, the plug-in one does not', () => {
    let plug = 0;
    let unbiased = 0;
    const T = 200;
    for (let t = 0; t < T; t++) {
      const { matrix, pos, neg } = gaussianClasses(20, 30, 10, 0.3, 0.4, 100 + t);
      const s = behaviorStats(matrix, pos, neg, { bootstrapReps: 0, permutations: 0 });
      plug += s.distinguishability ** 2 / T;
      unbiased += (s.distinguishability ** 2 - s.tracePositive / 20 - s.traceNegative / 30) / T;
      expect(s.distinguishabilityUnbiased).toBeCloseTo(
        unbiasedDistinguishability(
          s.distinguishability,
          [s.tracePositive, s.traceNegative],
          [20, 30],
        ),
        14,
      );
    }
    // Truth 0.09; bias of the plug-in 10 * 0.16 * (1/20 + 1/30) = 0.133.
    expect(Math.abs(unbiased - 0.09)).toBeLessThan(0.02);
    expect(plug - 0.09).toBeGreaterThan(0.1);
  });

  it('contains its estimate and covers the truth where the percentile interval does not', () => {
    let covered = 0;
    let coveredPercentile = 0;
    const T = 40;
    for (let t = 0; t < T; t++) {
      const { matrix, pos, neg } = gaussianClasses(40, 40, 40, 0.3, 0.2, 500 + t);
      const s = behaviorStats(matrix, pos, neg, { bootstrapReps: 200, seed: t, permutations: 0 });
      const [lo, hi] = s.distinguishabilityCI;
      expect(lo).toBeLessThanOrEqual(s.distinguishabilityUnbiased);
      expect(hi).toBeGreaterThanOrEqual(s.distinguishabilityUnbiased);
      if (lo <= 0.3 && 0.3 <= hi) covered++;
      const [plo, phi] = bootstrapDistinguishability(matrix, pos, neg, 200, 0.95, t);
      if (plo <= 0.3 && 0.3 <= phi) coveredPercentile++;
    }
    expect(covered / T).toBeGreaterThanOrEqual(0.85);
    expect(coveredPercentile / T).toBeLessThan(0.6);
  });

  it('the interval by its definition', () => {
    const reps = Float64Array.of(3, 1, 2, 5, 4);
    // Squares 1 4 9 16 25, median 9; U = 4: shift 5; 0.5 and 0.5 quantiles... confidence 0.5:
    // quantiles at 0.25 and 0.75 of the squares: 4 and 16, shifted: -1 -> 0 and 11.
    expect(biasCorrectedInterval(reps, 2, 4, 0.5)).toEqual([0, Math.sqrt(11)]);
  });
});

describe('the low-rank bound (permutation-bound.ts)', () => {
  it('on real MiniLM embeddings it decides draws the spectral bound cannot, with the same p-values', () => {
    const { meta, input } = personaFixture();
    const m: Matrix<Float32Array> = { data: input.data, rows: meta.labels.length, dim: meta.dim };
    for (let b = 0; b < meta.names.length; b++) {
      const rows = rowsWhere((i) => meta.behavior[i] === b, m.rows);
      const pos = rows.filter((r) => meta.labels[r] > 0);
      const neg = rows.filter((r) => meta.labels[r] < 0);
      const s = behaviorStats(m, pos, neg, { bootstrapReps: 0, permutations: 0 });
      const input2 = {
        meanDiff: s.meanDiff,
        spectralNorms: [s.concentration, s.concentration] as [number, number],
        means: [s.muPositive, s.muNegative] as [Float64Array, Float64Array],
      };
      const withBound = permutationTest(m, pos, neg, input2, { seed: 3 });
      const without = permutationTest(m, pos, neg, input2, { seed: 3, lowRank: false });
      expect(withBound.pValue).toBe(without.pValue);
      expect(withBound.exceedances).toBe(without.exceedances);
      expect(withBound.computed).toBeLessThan(without.computed / 5);
      // Forced: the low-rank bound alone (no cost rule) gives the same p-value too.
      const forced = permutationTest(m, pos, neg, input2, { seed: 3, lowRankAlways: true });
      expect(forced.lowRank).toBe(true);
      expect(forced.pValue).toBe(without.pValue);
      expect(forced.exceedances).toBe(without.exceedances);
      expect(forced.computed).toBeLessThan(without.computed / 5);
    }
  });

  it('is not built where the spectral bound decides most draws (it would cost more than it saves)', () => {
    // Isotropic classes in d = 256, 400 rows, far apart: a few draws in a hundred pass the
    // spectral bound, so building the bound (about 136 passes over the rows) cannot pay.
    const { matrix, pos, neg } = gaussianClasses(200, 200, 256, 0.4, 0.085, 11);
    const s = behaviorStats(matrix, pos, neg, { bootstrapReps: 0, permutations: 0 });
    const input = {
      meanDiff: s.meanDiff,
      spectralNorms: [s.concentration, s.concentration] as [number, number],
      means: [s.muPositive, s.muNegative] as [Float64Array, Float64Array],
    };
    const r = permutationTest(matrix, pos, neg, input, { seed: 2 });
    expect(r.lowRank).toBe(false);
    // Without the bounds that need the means, dozens of draws pass the spectral bound; the bound
    // along b decides them.
    const plain = permutationTest(matrix, pos, neg, input, { seed: 2, lowRank: false });
    expect(plain.computed).toBeGreaterThan(20);
    expect(plain.computed).toBeLessThan(300);
    expect(r.computed).toBeLessThan(plain.computed);
    expect(r.pValue).toBe(plain.pValue);
    expect(r.exceedances).toBe(plain.exceedances);
  });
});

describe('the permutation test on the linear-algebra worker (permutationTestWith)', () => {
  /** The cases: real MiniLM behaviors, shuffled labels (early stop), isotropic classes. */
  function cases(): { m: Matrix; pos: Int32Array; neg: Int32Array }[] {
    const { meta, input } = personaFixture();
    const m: Matrix = { data: input.data, rows: meta.labels.length, dim: meta.dim };
    const out: { m: Matrix; pos: Int32Array; neg: Int32Array }[] = [];
    const rng = new Rng(8);
    for (let b = 0; b < meta.names.length; b++) {
      const rows = rowsWhere((i) => meta.behavior[i] === b, m.rows);
      const pos = rows.filter((r) => meta.labels[r] > 0);
      const neg = rows.filter((r) => meta.labels[r] < 0);
      out.push({ m, pos, neg });
      const shuffled = Array.from(rows);
      rng.shuffle(shuffled);
      out.push({
        m,
        pos: Int32Array.from(shuffled.slice(0, pos.length)),
        neg: Int32Array.from(shuffled.slice(pos.length)),
      });
    }
    // Near the noise floor: many draws pass the bounds and some reach the statistic.
    for (const [delta, seed] of [
      [0.4, 11],
      [0.12, 12],
    ]) {
      const g = gaussianClasses(200, 200, 256, delta, 0.085, seed);
      out.push({ m: g.matrix, pos: g.pos, neg: g.neg });
    }
    return out;
  }

  it('gives permutationTest’s p-value, exceedances and draws (float32 decides only outside its error bound)', async () => {
    const workers = new Map<Matrix, GemmWorker>();
    try {
      for (const { m, pos, neg } of cases()) {
        if (!workers.has(m)) workers.set(m, (await GemmWorker.start(m, 1))!);
        const gemm = workers.get(m);
        expect(gemm).toBeDefined();
        const s = behaviorStats(m, pos, neg, { bootstrapReps: 0, permutations: 0 });
        const input = {
          meanDiff: s.meanDiff,
          spectralNorms: [s.concentration, s.concentration] as [number, number],
          means: [s.muPositive, s.muNegative] as [Float64Array, Float64Array],
        };
        const plain = permutationTest(m, pos, neg, input, { seed: 3, lowRank: false });
        const products = {
          centredNorms: async (p: Int32Array, q: Int32Array, c: Float32Array) =>
            (
              await gemm!.behavior({
                positives: p,
                negatives: q,
                grams: [false, false],
                bootstrap: null,
                coefficients: c,
              })
            ).norms!,
        };
        const viaWorker = await permutationTestWith(m, pos, neg, input, products, { seed: 3 });
        expect(viaWorker.pValue).toBe(plain.pValue);
        expect(viaWorker.exceedances).toBe(plain.exceedances);
        expect(viaWorker.permutations).toBe(plain.permutations);
        // Few draws need the float64 computation.
        expect(viaWorker.computed).toBeLessThanOrEqual(Math.max(5, plain.computed / 20));
      }
    } finally {
      for (const w of workers.values()) w.dispose();
    }
  });

  it('the float32 product is within its error bound of the float64 sum', async () => {
    const g = gaussianClasses(150, 250, 96, 0.3, 0.5, 5);
    const { matrix: m, pos, neg } = g;
    const n = pos.length + neg.length;
    const d = m.dim;
    const both = Int32Array.from([...pos, ...neg]);
    const bound = productError(m, both, pos.length);
    const rng = new Rng(17);
    const r = 64;
    const c = new Float32Array(r * n);
    // Rows with exactly 150 positive coefficients, as a relabeling has.
    for (let j = 0; j < r; j++) {
      const row = Array.from({ length: n }, (_, i) => i);
      rng.shuffle(row);
      for (let i = 0; i < n; i++) c[j * n + row[i]] = i < 150 ? 1 / 150 : -1 / 250;
    }
    const gemm = await GemmWorker.start(m, 1);
    try {
      const { norms } = await gemm!.behavior({
        positives: pos,
        negatives: neg,
        grams: [false, false],
        bootstrap: null,
        coefficients: c,
      });
      for (let j = 0; j < r; j++) {
        const v = new Float64Array(d);
        for (let i = 0; i < n; i++) {
          const w = c[j * n + i] > 0 ? 1 / 150 : -1 / 250;
          for (let q = 0; q < d; q++) v[q] += w * m.data[both[i] * d + q];
        }
        const exact = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
        const err = Math.abs(Math.sqrt(norms![j]) - exact);
        expect(err).toBeLessThanOrEqual(bound);
        // The bound is not vacuous: well below the norms it decides about.
        expect(bound).toBeLessThan(exact / 100);
      }
    } finally {
      gemm?.dispose();
    }
  });
});
