import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Matrix, meanOfRows } from '../../src/core/analysis/matrix.js';
import { Rng } from '../../src/core/analysis/rng.js';
import { GemmWorker } from '../../src/core/analysis/gemm-client.js';
import {
  type ClassGram,
  covarianceSpectralNorm,
  covarianceSummary,
  covarianceSummaryFromGram,
  jacobiEigen,
} from '../../src/core/analysis/spectral.js';
import {
  behaviorStats,
  covarianceTrace,
  meanDiffProjections,
  quantile,
} from '../../src/core/analysis/stats.js';
import { rowsWhere, syntheticMixture } from './analysis-helpers.js';

function matrixOf(rows: number[][]): Matrix<Float32Array> {
  return { data: Float32Array.from(rows.flat()), rows: rows.length, dim: rows[0].length };
}

/** The explicit d x d covariance: fine for a test with small d. */
function denseCovariance(
  m: Matrix<Float32Array>,
  rows: ArrayLike<number>,
): { cov: Float64Array; mean: Float64Array } {
  const d = m.dim;
  const n = rows.length;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += m.data[rows[i] * d + k] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        cov[a * d + b] +=
          ((m.data[rows[i] * d + a] - mean[a]) * (m.data[rows[i] * d + b] - mean[b])) / (n - 1);
  return { cov, mean };
}

describe('behaviorStats', () => {
  it('matches a hand-computed 2-D case', () => {
    // D+ = {(1,0), (3,0)}, D- = {(0,1), (0,3)}: mu+ = (2,0), mu- = (0,2), each Cov has one variance 2.
    const m = matrixOf([
      [1, 0],
      [0, 1],
      [3, 0],
      [0, 3],
    ]);
    const s = behaviorStats(m, [0, 2], [1, 3], {
      bootstrapReps: 0,
      head: { yes: [1, 0], no: [0, 0] },
    });
    expect(s.nPositive).toBe(2);
    expect(s.nNegative).toBe(2);
    expect(s.distinguishability).toBeCloseTo(Math.sqrt(8), 14);
    expect(s.concentration).toBeCloseTo(2, 12);
    expect(s.trace).toBeCloseTo(2, 14);
    expect(s.normalizedDistinguishability).toBeCloseTo(2, 14);
    expect(s.phi).toBeCloseTo(Math.SQRT1_2, 14);
    expect(s.suspects).toEqual([]);
  });

  /** Rows with a decaying spectrum and an offset (a common component), n x d. */
  const decaying = (n: number, d: number): Matrix<Float32Array> => {
    const rng = new Rng(n * 1000 + d);
    const scales = Array.from({ length: d }, (_, k) => 1 / (1 + k / 3));
    const m: Matrix<Float32Array> = { data: new Float32Array(n * d), rows: n, dim: d };
    for (let i = 0; i < n; i++)
      for (let k = 0; k < d; k++) m.data[i * d + k] = rng.normal() * scales[k] + 0.3;
    return m;
  };
  const shapes = [
    [60, 25],
    [8, 40],
    [300, 120],
  ];

  it('Lanczos spectral norm equals the dense eigen-decomposition (full and rank-deficient)', () => {
    for (const [n, d] of shapes) {
      const m = decaying(n, d);
      const rows = Int32Array.from({ length: n }, (_, i) => i);
      const { cov, mean } = denseCovariance(m, rows);
      const dense = Math.max(...jacobiEigen(cov, d).values);
      const lanczos = covarianceSpectralNorm(m, rows, mean);
      expect(Math.abs(lanczos - dense) / dense).toBeLessThan(1e-10);
    }
  });

  it('started from the linear-algebra worker’s float32 Gram matrix ([n, n] or [d, d]), it is the dense value too, and a useless Gram matrix only costs iterations', async () => {
    for (const [n, d] of [...shapes, [40, 400]]) {
      const m = decaying(n, d);
      const rows = Int32Array.from({ length: n }, (_, i) => i);
      const gemm = await GemmWorker.start(m, 1);
      expect(gemm).not.toBeNull();
      try {
        const { cov } = denseCovariance(m, rows);
        const dense = Math.max(...jacobiEigen(cov, d).values);
        const { grams, replicates } = await gemm!.behavior({
          positives: rows,
          negatives: rows.subarray(0, 2),
          grams: [true, false],
          bootstrap: null,
        });
        expect(grams[0]!.side).toBe(n <= d ? 'rows' : 'dims');
        expect(grams[1]).toBeNull();
        expect(replicates).toBeNull();
        const summary = covarianceSummaryFromGram(m, rows, grams[0]);
        expect(summary.mean).toEqual(meanOfRows(m, rows));
        expect(summary.trace).toBe(covarianceSummary(m, rows).trace);
        expect(Math.abs(summary.spectralNorm - dense) / dense).toBeLessThan(1e-10);
        // An identity "Gram matrix" gives a start vector with no special relation to Cov.
        const size = Math.min(n, d);
        const identity: ClassGram = {
          values: Float32Array.from({ length: size * size }, (_, i) => +(i % (size + 1) === 0)),
          size,
          side: n <= d ? 'rows' : 'dims',
        };
        const poor = covarianceSummaryFromGram(m, rows, identity).spectralNorm;
        expect(Math.abs(poor - dense) / dense).toBeLessThan(1e-10);
      } finally {
        gemm?.dispose();
      }
    }
  });

  it('one pass per class: mean, trace and spectral norm are those of the separate functions', () => {
    const { matrix, labels } = syntheticMixture({ dim: 37, perBehavior: [90], separation: [0.3] });
    for (const rows of [
      rowsWhere((i) => labels[i] > 0, matrix.rows),
      rowsWhere((i) => labels[i] < 0, matrix.rows),
      Int32Array.of(4),
    ]) {
      const summary = covarianceSummary(matrix, rows);
      const mean = meanOfRows(matrix, rows);
      expect(summary.mean).toEqual(mean);
      expect(summary.trace).toBe(covarianceTrace(matrix, rows, mean));
      expect(summary.spectralNorm).toBe(covarianceSpectralNorm(matrix, rows, mean));
      if (rows.length < 2) continue;
      const { cov } = denseCovariance(matrix, rows);
      let trace = 0;
      for (let k = 0; k < matrix.dim; k++) trace += cov[k * matrix.dim + k];
      expect(summary.trace).toBeCloseTo(trace, 13);
    }
  });

  it('scales like the embeddings: ||b|| by c, covariances by c^2, normalized distinguishability not at all', () => {
    const { matrix, labels } = syntheticMixture({ dim: 16, perBehavior: [80], separation: [0.4] });
    const pos = rowsWhere((i) => labels[i] > 0, matrix.rows);
    const neg = rowsWhere((i) => labels[i] < 0, matrix.rows);
    const base = behaviorStats(matrix, pos, neg, { bootstrapReps: 0 });
    fc.assert(
      fc.property(fc.constantFrom(0.25, 0.5, 2, 4, 8), (c) => {
        // Powers of two keep the float32 rows exact, so the comparison can be tight.
        const scaled: Matrix<Float32Array> = { ...matrix, data: matrix.data.map((x) => x * c) };
        const s = behaviorStats(scaled, pos, neg, { bootstrapReps: 0 });
        expect(s.distinguishability / base.distinguishability).toBeCloseTo(c, 12);
        expect(s.concentration / base.concentration).toBeCloseTo(c * c, 9);
        expect(s.trace / base.trace).toBeCloseTo(c * c, 12);
        expect(s.normalizedDistinguishability).toBeCloseTo(base.normalizedDistinguishability, 12);
      }),
      { numRuns: 5 },
    );
  });

  it('bootstrap interval is seeded, brackets the estimate and narrows with more examples', () => {
    const small = syntheticMixture({ dim: 24, perBehavior: [60], separation: [0.3], seed: 5 });
    const large = syntheticMixture({ dim: 24, perBehavior: [600], separation: [0.3], seed: 5 });
    const run = (x: typeof small, seed: number) =>
      behaviorStats(
        x.matrix,
        rowsWhere((i) => x.labels[i] > 0, x.matrix.rows),
        rowsWhere((i) => x.labels[i] < 0, x.matrix.rows),
        { bootstrapReps: 200, seed },
      );
    const a = run(small, 1);
    expect(run(small, 1).distinguishabilityCI).toEqual(a.distinguishabilityCI);
    expect(run(small, 2).distinguishabilityCI).not.toEqual(a.distinguishabilityCI);
    const [lo, hi] = a.distinguishabilityCI;
    expect(lo).toBeLessThan(a.distinguishability);
    expect(hi).toBeGreaterThan(a.distinguishability);
    const b = run(large, 1);
    expect(b.distinguishabilityCI[1] - b.distinguishabilityCI[0]).toBeLessThan((hi - lo) / 2);
  });

  it('finds a planted label error first and caps the list', () => {
    const { matrix, labels } = syntheticMixture({
      dim: 16,
      perBehavior: [200],
      separation: [1.2],
      seed: 3,
    });
    const pos = rowsWhere((i) => labels[i] > 0, matrix.rows);
    const neg = rowsWhere((i) => labels[i] < 0, matrix.rows);
    const clean = behaviorStats(matrix, pos, neg, { bootstrapReps: 0 });
    // Relabel the most negative-looking negative as positive: it now sits deep on the wrong side.
    const order = [...neg].sort(
      (x, y) => projection(matrix, clean, x) - projection(matrix, clean, y),
    );
    const planted = order[0];
    const pos2 = Int32Array.from([...pos, planted]);
    const neg2 = Int32Array.from([...neg].filter((r) => r !== planted));
    const s = behaviorStats(matrix, pos2, neg2, { bootstrapReps: 0, maxSuspects: 3 });
    expect(s.suspects[0]).toMatchObject({ row: planted, label: 1 });
    expect(s.suspects[0].projection).toBeLessThan(-s.distinguishability / 2);
    expect(s.suspects.length).toBeLessThanOrEqual(3);
    expect(s.wrongSideCount).toBeGreaterThanOrEqual(s.suspects.length);
    expect(s.pastOppositeMeanCount).toBeGreaterThanOrEqual(1);
    // Label hints come least confident first (out-of-sample probability of the given label).
    for (let i = 1; i < s.suspects.length; i++)
      expect(s.suspects[i].confidence).toBeGreaterThanOrEqual(s.suspects[i - 1].confidence);
    expect(s.suspectCount).toBeGreaterThanOrEqual(s.suspects.length);
  });

  it('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.025)).toBeCloseTo(1.1, 14);
  });
});

function projection(
  m: Matrix<Float32Array>,
  s: { muPositive: Float64Array; muNegative: Float64Array; meanDiff: Float64Array },
  row: number,
): number {
  let p = 0;
  for (let k = 0; k < m.dim; k++)
    p += (m.data[row * m.dim + k] - (s.muPositive[k] + s.muNegative[k]) / 2) * s.meanDiff[k];
  return p;
}

describe('meanDiffProjections', () => {
  it('agrees with the wrong-side count and puts each class on its side on average', () => {
    const { matrix, labels } = syntheticMixture({
      dim: 16,
      perBehavior: [100],
      separation: [0.6],
      seed: 8,
    });
    const pos = rowsWhere((i) => labels[i] > 0, matrix.rows);
    const neg = rowsWhere((i) => labels[i] < 0, matrix.rows);
    const s = behaviorStats(matrix, pos, neg, { bootstrapReps: 0, maxSuspects: 1000 });
    const pp = meanDiffProjections(matrix, pos, s);
    const pn = meanDiffProjections(matrix, neg, s);
    // Means of the projections are +-||b||/2 exactly (the midpoint is halfway between the class means).
    expect(pp.reduce((a, b) => a + b, 0) / pp.length).toBeCloseTo(s.distinguishability / 2, 12);
    expect(pn.reduce((a, b) => a + b, 0) / pn.length).toBeCloseTo(-s.distinguishability / 2, 12);
    const wrong = [...pp].filter((p) => p <= 0).length + [...pn].filter((p) => p >= 0).length;
    expect(wrong).toBe(s.wrongSideCount);
  });
});
