import { describe, expect, it } from 'vitest';
import { flagStability } from '../../src/core/analysis/stability.js';

describe('flagStability', () => {
  // Behavior 2 (weight 1) pulls against behavior 1 (weight 3): b1 = (1, 0), b2 = (-0.5, 0), so
  // b-bar = (2.5, 0)/4 and P2 < 0 (flagged by the rule "level < 0").
  const b = [Float64Array.of(1, 0), Float64Array.of(-0.5, 0)];
  const weights = [3, 1];
  const rule = (levels: readonly number[]): boolean[] => levels.map((p) => p < 0);
  // Four replicates in which b2* keeps its norm 0.5 but not its direction: (-0.5, 0), (0.5, 0),
  // (-0.5, 0), (0, 0.5). By hand: P2* = b-bar* . b2* / (...) is < 0, > 0, < 0 and 0: held in 2 of 4.
  const norms = [Float64Array.of(1, 1, 1, 1), Float64Array.of(0.5, 0.5, 0.5, 0.5)];
  const vectors = [
    Float32Array.of(1, 0, 1, 0, 1, 0, 1, 0),
    Float32Array.of(-0.5, 0, 0.5, 0, -0.5, 0, 0, 0.5),
  ];

  it('with the replicates vectors, counts the flags of the resampled directions too', () => {
    expect(flagStability(b, weights, norms, rule, vectors)).toEqual([0, 0.5]);
  });

  it('without them, rescales the full-sample directions (magnitudes only)', () => {
    expect(flagStability(b, weights, norms, rule)).toEqual([0, 1]);
  });
});
