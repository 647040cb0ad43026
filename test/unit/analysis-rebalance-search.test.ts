/**
 * Rebalancing that harms no one (src/core/analysis/rebalance-search.ts): the rule that picks a
 * simulated candidate, and the whole analysis on real MiniLM embeddings and on a mixture where
 * upsampling does help.
 */
import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/core/analysis/analyze.js';
import {
  candidateWeightings,
  chooseWeighting,
  finalAccuracy,
  milderCandidate,
  snapFactors,
} from '../../src/core/analysis/rebalance-search.js';
import { personaFixture, syntheticMixture } from './analysis-helpers.js';

describe('chooseWeighting', () => {
  const before = [0.9, 0.6, 0.8];
  it('keeps the candidate that raises the worst behavior without costing anyone > tolerance', () => {
    const outcomes = [
      // Raises the worst most, but costs the first behavior 0.1: rejected.
      { factors: [1, 4, 1], accuracy: [0.8, 0.75, 0.8] },
      // Within the tolerance for everyone, worst 0.6 -> 0.65.
      { factors: [1, 2, 1], accuracy: [0.885, 0.65, 0.79] },
      // Harms no one but the worst does not gain.
      { factors: [1, 1, 2], accuracy: [0.9, 0.6, 0.85] },
    ];
    expect(chooseWeighting(before, outcomes, 0.02)).toBe(1);
    // A looser tolerance admits the stronger candidate.
    expect(chooseWeighting(before, outcomes, 0.15)).toBe(0);
  });
  it('returns null when nothing helps', () => {
    expect(
      chooseWeighting(before, [{ factors: [1, 2, 1], accuracy: [0.85, 0.7, 0.8] }], 0.02),
    ).toBeNull();
    expect(chooseWeighting(before, [], 0.02)).toBeNull();
  });
});

describe('milderCandidate', () => {
  it('halves the log-weights of the cheapest candidate that helped the worst behavior', () => {
    const before = [0.9, 0.6];
    const outcomes = [
      { factors: [1, 4], accuracy: [0.7, 0.8] }, // helps, costs 0.2
      { factors: [1, 2.25], accuracy: [0.86, 0.7] }, // helps, costs 0.04: the near miss
      { factors: [3, 1], accuracy: [0.95, 0.55] }, // does not help the worst
    ];
    expect(milderCandidate(before, outcomes)).toEqual([1, 1.5]);
    // Nothing helped the worst: nothing to refine.
    expect(milderCandidate(before, [outcomes[2]])).toBeNull();
    // The milder version rounds to no change.
    expect(milderCandidate(before, [{ factors: [1, 1.08], accuracy: [0.8, 0.7] }])).toBeNull();
  });
});

describe('candidate weightings', () => {
  it('are few, distinct, never all ones, and never a factor within 5% of 1', () => {
    const c = candidateWeightings([1, 1.03, 3.2, 1], [0.9, 0.5, 0.7, 0.8]);
    expect(c.length).toBeGreaterThan(0);
    expect(c.length).toBeLessThanOrEqual(6);
    for (const f of c) {
      expect(f.some((x) => x !== 1)).toBe(true);
      for (const x of f) expect(x === 1 || Math.abs(x - 1) >= 0.05).toBe(true);
    }
    expect(new Set(c.map((f) => f.join(','))).size).toBe(c.length);
    // The worst behavior of the joint run (index 1) is upsampled directly.
    expect(c.some((f) => f[1] === 2 && f.filter((x) => x !== 1).length === 1)).toBe(true);
    expect(snapFactors([1.001, 1.036, 1.2])).toEqual([1, 1, 1.2]);
  });
  it('final accuracy is the mean of the last tenth of the steps', () => {
    expect(finalAccuracy([0, 0, 0, 0, 0, 0, 0, 0, 0.5, 1])).toBe(1);
    expect(
      finalAccuracy(Array.from({ length: 20 }, (_, i) => (i >= 18 ? 0.5 + (i - 18) / 4 : 0))),
    ).toBe(0.625);
  });
});

describe('rebalancing in the analysis', () => {
  it('on real persona embeddings: a suggestion harms no one, or there is none and it says so', async () => {
    const { input } = personaFixture();
    const r = (
      await analyzeEmbeddings(input, {
        simulation: { preset: 'fast-preview' },
        bootstrapReps: 0,
        misalignment: false,
      })
    ).rebalancing!;
    const per = Object.values(r.perBehavior!);
    expect(per).toHaveLength(4);
    expect(r.candidates).toBe(r.tried!.length);
    if (r.suggested) {
      for (const p of per) expect(p.accuracyAfter).toBeGreaterThanOrEqual(p.accuracyBefore - 0.02);
      expect(Math.min(...per.map((p) => p.accuracyAfter))).toBeGreaterThan(
        Math.min(...per.map((p) => p.accuracyBefore)),
      );
    } else {
      expect(Object.values(r.weights).every((w) => w === 1)).toBe(true);
      expect(r.jointAfter).toEqual(r.jointBefore);
      expect(r.note).toMatch(/^No rebalancing suggested/);
    }
    // Every candidate that was rejected broke the rule.
    const worstBefore = Math.min(...per.map((p) => p.accuracyBefore));
    for (const t of r.tried!)
      if (!r.suggested)
        expect(t.largestLoss > 0.02 + 1e-12 || t.worstAccuracy <= worstBefore).toBe(true);
  });

  it('upsamples an under-represented behavior when that costs the others nothing', async () => {
    // Two large, easy behaviors (accuracy saturates) and one small, harder one: more of the small
    // one can only help it, and the easy ones stay at their accuracy.
    const { matrix, labels, behavior } = syntheticMixture({
      dim: 32,
      perBehavior: [1200, 1200, 150],
      separation: [3, 3, 0.6],
      seed: 5,
    });
    const names = ['easy-a', 'easy-b', 'small'];
    const result = await analyzeEmbeddings(
      {
        data: matrix.data,
        dim: matrix.dim,
        labels,
        behaviorIndex: behavior,
        behaviorNames: names,
      },
      { simulation: { preset: 'fast-preview', steps: 100 }, bootstrapReps: 0, misalignment: false },
    );
    const r = result.rebalancing!;
    const per = r.perBehavior!;
    expect(r.suggested).toBe(true);
    expect(r.weights.small).toBeGreaterThan(1);
    expect(per.small.accuracyAfter).toBeGreaterThan(per.small.accuracyBefore);
    for (const n of names) {
      expect(per[n].accuracyAfter).toBeGreaterThanOrEqual(per[n].accuracyBefore - r.tolerance!);
      expect(per[n].weight).toBe(r.weights[n]);
    }
    expect(result.behaviors.find((b) => b.name === 'small')!.upsampling).toBe(r.weights.small);
  });
});
