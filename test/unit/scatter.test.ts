import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/analysis/rng.js';
import { pcaScores, stratifiedSample } from '../../src/core/report/scatter.js';

describe('stratifiedSample', () => {
  it('keeps every stratum, respects the cap and is reproducible with a seed', () => {
    const strata = [
      ...Array.from({ length: 900 }, () => 'a'),
      ...Array.from({ length: 95 }, () => 'b'),
      ...Array.from({ length: 5 }, () => 'c'),
    ];
    const rows = stratifiedSample(strata, 100, 7);
    expect(rows.length).toBeLessThanOrEqual(101);
    expect(new Set(rows.map((r) => strata[r]))).toEqual(new Set(['a', 'b', 'c']));
    expect(rows.filter((r) => strata[r] === 'a').length).toBe(90);
    expect(stratifiedSample(strata, 100, 7)).toEqual(rows);
    expect(stratifiedSample(strata, 100, 8)).not.toEqual(rows);
    expect(new Set(rows).size).toBe(rows.length);
  });

  it('returns every row when under the cap', () => {
    expect(stratifiedSample(['x', 'y', 'x'], 10, 1)).toEqual([0, 1, 2]);
  });
});

describe('pcaScores', () => {
  it('finds the high-variance directions of the data, in order', () => {
    const n = 400;
    const d = 20;
    const rng = new Rng(3);
    const data = new Float32Array(n * d);
    // Variance 100 along axis 5, 9 along axis 2, ~0.01 elsewhere.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) data[i * d + j] = 0.1 * rng.normal();
      data[i * d + 5] = 10 * rng.normal();
      data[i * d + 2] = 3 * rng.normal();
    }
    const rows = Array.from({ length: n }, (_, i) => i);
    const { scores, dims } = pcaScores({ data, rows: n, dim: d }, rows, 2, 11);
    expect(dims).toBe(2);
    const variance = (c: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += scores[i * 2 + c] ** 2;
      return s / (n - 1);
    };
    expect(variance(0)).toBeGreaterThan(80);
    expect(variance(1)).toBeGreaterThan(6);
    expect(variance(1)).toBeLessThan(12);
    // The first score is (up to sign) the centered coordinate on axis 5.
    let mean5 = 0;
    for (let i = 0; i < n; i++) mean5 += data[i * d + 5] / n;
    const sign = Math.sign(scores[0] * (data[5] - mean5));
    for (let i = 0; i < n; i += 37) {
      expect(scores[i * 2] * sign).toBeCloseTo(data[i * d + 5] - mean5, 0);
    }
  });
});
