import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/core/analysis/analyze.js';
import type { Matrix } from '../../src/core/analysis/matrix.js';
import { completePairs, pairedStatistics } from '../../src/core/analysis/paired.js';
import { Rng } from '../../src/core/analysis/rng.js';
import { hhFixture } from './analysis-helpers.js';

// The bundled HH-RLHF sample (299 pairs) embedded by the bundled MiniLM, and a copy of it whose
// chosen and rejected rows swap sides in a seeded coin flip per pair: its per-pair differences
// have random signs, exactly the sign-flip test's null hypothesis.
const { meta, data } = hhFixture();
const d = meta.dim;
const rows = meta.labels.length;
const swap = new Rng(2024, 17);
const swappedLabels = new Int8Array(rows);
const flips = new Map<number, boolean>();
for (let r = 0; r < rows; r++) {
  const p = meta.pairs[r];
  if (!flips.has(p)) flips.set(p, swap.float() < 0.5);
  swappedLabels[r] = flips.get(p) ? -meta.labels[r] : meta.labels[r];
}
const pairOffset = Math.max(...meta.pairs) + 1;
const twice = new Float32Array(2 * data.length);
twice.set(data);
twice.set(data, data.length);

/** The pair differences chosen - rejected in float64, straight from the rows. */
function differences(labels: ArrayLike<number>): Float64Array[] {
  const chosen = new Map<number, number>();
  const rejected = new Map<number, number>();
  for (let r = 0; r < rows; r++) (labels[r] > 0 ? chosen : rejected).set(meta.pairs[r], r);
  return [...chosen.keys()].map((p) => {
    const a = chosen.get(p)!;
    const b = rejected.get(p)!;
    return Float64Array.from({ length: d }, (_, k) => data[a * d + k] - data[b * d + k]);
  });
}

/** ||mean||^2, tr of the (n - 1)-divisor covariance, of vectors. */
function meanAndTrace(vectors: Float64Array[]): { meanSq: number; trace: number } {
  const n = vectors.length;
  const mean = new Float64Array(d);
  for (const v of vectors) for (let k = 0; k < d; k++) mean[k] += v[k] / n;
  let trace = 0;
  for (const v of vectors) for (let k = 0; k < d; k++) trace += (v[k] - mean[k]) ** 2;
  return { meanSq: mean.reduce((s, x) => s + x * x, 0), trace: trace / (n - 1) };
}

describe('paired rows (HH-RLHF): sign-flip test, unbiased estimate, bootstrap over pairs', async () => {
  const result = await analyzeEmbeddings(
    {
      data: twice,
      dim: d,
      labels: [...meta.labels, ...swappedLabels],
      behaviorIndex: [...meta.labels.map(() => 0), ...meta.labels.map(() => 1)],
      behaviorNames: ['hh', 'hh-swapped'],
      pairs: [...meta.pairs, ...meta.pairs.map((p) => p + pairOffset)],
      model: 'minilm',
    },
    {
      simulation: { preset: 'fast-preview', steps: 20 },
      bootstrapReps: 200,
      rebalance: false,
      misalignment: false,
      joint: false,
    },
  );
  const [hh, swapped] = result.behaviors;

  it('gives the real sample a p-value below 0.05 and the randomly swapped copy none', () => {
    expect(hh.pValue).toBeLessThan(0.05);
    expect(hh.pValueAdjusted).toBeLessThan(0.05);
    expect(hh.permutations).toBe(999);
    expect(hh.warnings.map((w) => w.kind)).not.toContain('indistinguishable');
    expect(swapped.pValue).toBeGreaterThanOrEqual(0.05);
    expect(swapped.pValueAdjusted).toBeGreaterThanOrEqual(0.05);
    expect(swapped.warnings.map((w) => w.kind)).toContain('indistinguishable');
    expect(swapped.priorityMeaningful).toBe(false);
    expect(swapped.suspects).toEqual([]);
  });

  it('includes the paired p-values in Benjamini-Hochberg', () => {
    // Two behaviors, hh the smaller p: q = min(2 p_hh / 1, q_swapped), q_swapped = p_swapped.
    expect(swapped.pValueAdjusted).toBeCloseTo(swapped.pValue!, 12);
    expect(hh.pValueAdjusted).toBeCloseTo(Math.min(2 * hh.pValue!, swapped.pValue!), 12);
  });

  it('estimates ||mu+ - mu-||^2 without bias from the pair differences: ||mean d||^2 - tr(S_d)/n', () => {
    const diffs = differences(meta.labels);
    expect(diffs.length).toBe(299);
    const { meanSq, trace } = meanAndTrace(diffs);
    const unbiased = Math.sqrt(Math.max(0, meanSq - trace / diffs.length));
    // The plain estimate: the reported one is the same within float32 rounding of the rows.
    expect(hh.distinguishability).toBeCloseTo(Math.sqrt(meanSq), 6);
    expect(unbiased).toBeGreaterThan(0.01);
    expect(Math.abs(hh.distinguishabilityUnbiased! - unbiased)).toBeLessThan(
      1e-7 * unbiased + 1e-9,
    );
    expect(hh.distinguishabilityCI[0]).toBeLessThanOrEqual(hh.distinguishabilityUnbiased!);
    expect(hh.distinguishabilityCI[1]).toBeGreaterThanOrEqual(hh.distinguishabilityUnbiased!);
    expect(hh.distinguishabilityCI[1]).toBeGreaterThan(hh.distinguishabilityCI[0]);
    expect(swapped.distinguishabilityCI[0]).toBeLessThanOrEqual(
      swapped.distinguishabilityUnbiased!,
    );
    expect(swapped.distinguishabilityCI[1]).toBeGreaterThanOrEqual(
      swapped.distinguishabilityUnbiased!,
    );
  });

  it('resamples pairs, not texts: the replicates carry the pairs bias tr(S_d)/n', () => {
    const m: Matrix = { data, rows, dim: d };
    const { chosen, rejected } = completePairs(
      Int32Array.from({ length: rows }, (_, r) => r),
      meta.labels,
      meta.pairs,
    );
    const s = pairedStatistics(m, chosen, rejected, { bootstrapReps: 400, permutations: 0 });
    const { meanSq, trace } = meanAndTrace(differences(meta.labels));
    const n = 299;
    // Rows resampled within each class would add tr(S+)/n + tr(S-)/n instead (9 times more here:
    // chosen and rejected share their prompt, which the difference cancels).
    const side = (label: number) =>
      meanAndTrace(
        meta.labels.flatMap((l, r) =>
          l === label ? [Float64Array.from({ length: d }, (_, k) => data[r * d + k])] : [],
        ),
      ).trace / n;
    const pairsBias = trace / n;
    const rowsBias = side(1) + side(-1);
    expect(rowsBias).toBeGreaterThan(5 * pairsBias);
    const squares = Float64Array.from(s.replicates, (x) => x * x).sort();
    const median = (squares[199] + squares[200]) / 2;
    expect(Math.abs(median - (meanSq + pairsBias))).toBeLessThan(0.25 * pairsBias);
    expect(Math.abs(median - (meanSq + rowsBias))).toBeGreaterThan(0.5 * rowsBias);
  });

  it('computes the sign-flip p-value of an exact enumeration (10 pairs, all 1024 sign vectors)', () => {
    const diffs = differences(meta.labels).slice(0, 10);
    const stat = (signs: number): number => {
      const sum = new Float64Array(d);
      diffs.forEach((v, i) => {
        const s = (signs >> i) & 1 ? -1 : 1;
        for (let k = 0; k < d; k++) sum[k] += (s * v[k]) / 10;
      });
      return sum.reduce((a, x) => a + x * x, 0);
    };
    const observed = stat(0);
    let hits = 0;
    for (let s = 0; s < 1024; s++) if (stat(s) >= observed * (1 - 1e-9)) hits++;
    const exact = hits / 1024;
    const m: Matrix = { data, rows, dim: d };
    const { chosen, rejected } = completePairs(
      Int32Array.from({ length: rows }, (_, r) => r),
      meta.labels,
      meta.pairs,
    );
    const B = 20000;
    const s = pairedStatistics(m, chosen.slice(0, 10), rejected.slice(0, 10), {
      permutations: B,
      stopAfter: Infinity,
      bootstrapReps: 0,
    });
    expect(s.permutations).toBe(B);
    const se = Math.sqrt((exact * (1 - exact)) / B);
    expect(Math.abs(s.pValue - exact)).toBeLessThan(4 * se + 1 / B);
  });

  it('is seeded: the same seed gives the same p-value and interval', () => {
    const m: Matrix = { data, rows, dim: d };
    const { chosen, rejected } = completePairs(
      Int32Array.from({ length: rows }, (_, r) => r),
      swappedLabels,
      meta.pairs,
    );
    const a = pairedStatistics(m, chosen, rejected, { seed: 7 });
    const b = pairedStatistics(m, chosen, rejected, { seed: 7 });
    expect(b.pValue).toBe(a.pValue);
    expect(b.distinguishabilityCI).toEqual(a.distinguishabilityCI);
  });
});
