import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priorityGaps, priorityLevels } from '../../src/core/analysis/priority.js';
import { suggestUpsampling } from '../../src/core/analysis/rebalance.js';
import { median } from '../../src/core/analysis/stats.js';
import { behaviorWarnings, DEFAULT_THRESHOLDS } from '../../src/core/analysis/warnings.js';

const vec = (d: number) =>
  fc
    .array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: d, maxLength: d })
    .map((a) => Float64Array.from(a));
const nonZero = (v: Float64Array) => v.some((x) => Math.abs(x) > 1e-3);
/** sum ||b_i|| / ||sum b_i||: how much rounding in b_bar is amplified. */
const conditioning = (b: Float64Array[]) => {
  const sum = Array.from({ length: b[0].length }, (_, k) => b.reduce((s, x) => s + x[k], 0));
  return b.reduce((s, x) => s + Math.hypot(...x), 0) / Math.max(Math.hypot(...sum), 1e-300);
};
// Mixtures whose mean differences nearly cancel make every level ill-defined (b_bar ~ 0); the
// properties below are about well-posed mixtures.
const mixture = (m: { minLength: number; maxLength: number }) =>
  fc
    .integer({ min: 2, max: 12 })
    .chain((d) => fc.array(vec(d).filter(nonZero), m))
    .filter((b) => conditioning(b) < 1e4);

describe('priority levels (eq. 5)', () => {
  it('hand case: example weights tilt b_bar', () => {
    const b = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
    expect(priorityLevels(b)).toEqual(
      [Math.SQRT1_2, Math.SQRT1_2].map((x) => expect.closeTo(x, 15)),
    );
    const [p1, p2] = priorityLevels(b, [3, 1]);
    expect(p1).toBeCloseTo(3 / Math.sqrt(10), 15);
    expect(p2).toBeCloseTo(1 / Math.sqrt(10), 15);
  });

  it('a single behavior has level 1', () => {
    fc.assert(
      fc.property(mixture({ minLength: 1, maxLength: 1 }), (b) => {
        expect(priorityLevels(b)[0]).toBeCloseTo(1, 12);
      }),
    );
  });

  it('levels do not change when every embedding is scaled', () => {
    fc.assert(
      fc.property(
        mixture({ minLength: 2, maxLength: 6 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (b, c) => {
          const p = priorityLevels(b);
          priorityLevels(b.map((x) => x.map((v) => v * c))).forEach((q, i) =>
            expect(q).toBeCloseTo(p[i], 10),
          );
        },
      ),
    );
  });

  it("equal example counts give the paper's (1/m) sum b_i", () => {
    fc.assert(
      fc.property(
        mixture({ minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 5000 }),
        (b, n) => {
          const p = priorityLevels(b);
          // Rounding in b_bar is amplified when the b_i nearly cancel: scale the tolerance by
          // sum ||b_i|| / ||sum b_i||, the conditioning of the sum.
          const d = b[0].length;
          const sum = Array.from({ length: d }, (_, k) => b.reduce((s, x) => s + x[k], 0));
          const cond =
            b.reduce((s, x) => s + Math.hypot(...x), 0) / Math.max(Math.hypot(...sum), 1e-300);
          priorityLevels(
            b,
            b.map(() => n),
          ).forEach((q, i) => expect(Math.abs(q - p[i])).toBeLessThanOrEqual(1e-14 * cond));
        },
      ),
    );
  });

  it('the largest behavior alone along b_bar has level 1; levels never exceed 1', () => {
    fc.assert(
      fc.property(mixture({ minLength: 2, maxLength: 6 }), (b) => {
        for (const p of priorityLevels(b)) expect(p).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });
});

describe('pairwise gaps (reference definition)', () => {
  it('are antisymmetric with a zero diagonal', () => {
    fc.assert(
      fc.property(mixture({ minLength: 1, maxLength: 7 }), (b) => {
        const g = priorityGaps(b);
        g.forEach((row, i) => row.forEach((x, j) => expect(x).toBe(i === j ? 0 : -g[j][i])));
      }),
    );
  });

  it('equal P_i - P_j for m = 2 unweighted', () => {
    fc.assert(
      fc.property(mixture({ minLength: 2, maxLength: 2 }), (b) => {
        const [p0, p1] = priorityLevels(b);
        expect(priorityGaps(b)[0][1]).toBeCloseTo(p0 - p1, 10);
      }),
    );
  });
});

describe('rebalancing', () => {
  it('raises the lowest level with factors in [1, cap] and reports consistent levels', () => {
    // Three behaviors along one axis and a weak one at 80 degrees: b_bar ignores the weak one.
    const b = [
      Float64Array.of(1, 0),
      Float64Array.of(0.9, 0.1),
      Float64Array.of(1.1, -0.1),
      Float64Array.of(0.05, 0.3),
    ];
    const n = [1000, 1000, 1000, 1000];
    const up = suggestUpsampling(b, n, { cap: 10 });
    expect(Math.min(...up.levelsBefore)).toBeLessThan(
      DEFAULT_THRESHOLDS.priorityLevel * median(up.levelsBefore),
    );
    expect(Math.min(...up.levelsAfter)).toBeGreaterThan(Math.min(...up.levelsBefore) + 0.1);
    expect(Math.min(...up.factors)).toBe(1);
    for (const f of up.factors) expect(f).toBeLessThanOrEqual(10 + 1e-9);
    expect(up.factors[3]).toBeGreaterThan(1);
    priorityLevels(
      b,
      n.map((x, i) => x * up.factors[i]),
    ).forEach((p, i) => expect(p).toBeCloseTo(up.levelsAfter[i], 14));
    expect(suggestUpsampling(b, n, { cap: 10 })).toEqual(up);
  });

  it('leaves a balanced mixture alone', () => {
    const b = [Float64Array.of(1, 0.2), Float64Array.of(1, -0.2)];
    const up = suggestUpsampling(b, [500, 500]);
    expect(up.factors).toEqual([1, 1]);
    expect(up.levelsAfter).toEqual(up.levelsBefore);
  });

  it('compensates for a behavior with few examples', () => {
    const b = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
    const up = suggestUpsampling(b, [1000, 100], { relativeTarget: 1 });
    expect(up.factors[1]).toBeGreaterThan(5);
    expect(Math.abs(up.levelsAfter[0] - up.levelsAfter[1])).toBeLessThan(0.01);
  });
});

describe('warnings', () => {
  it('name the numbers and the fix', () => {
    const w = behaviorWarnings({
      names: ['a', 'b', 'c', 'd', 'e'],
      levels: [0.21, 0.74, 0.8, 0.7, 0.9],
      distinguishability: [0.3, 0.31, 0.29, 0.05, 0.32],
      upsampling: [2.34, 1, 1, 1, 1],
    });
    expect(w[0]).toEqual([
      {
        kind: 'deprioritized',
        message:
          'Priority level 0.21 is the lowest of 5 behaviors (median 0.74): the first DPO step on this mixture barely moves its loss; upsample it ×2.3 or train it separately.',
      },
    ]);
    expect(w[3].map((x) => x.kind)).toEqual(['low-distinguishability']);
    expect(w[3][0].message).toContain('0.05');
    expect(w[3][0].message).toContain('0.30');
    expect(w[1]).toEqual([]);
  });

  it('say when the first step hurts a behavior and stay quiet for a single behavior', () => {
    const w = behaviorWarnings({
      names: ['a', 'b'],
      levels: [-0.3, 1],
      distinguishability: [1, 1],
    });
    expect(w[0][0].message).toContain('pushes its loss up');
    expect(behaviorWarnings({ names: ['a'], levels: [1], distinguishability: [0.01] })).toEqual([
      [],
    ]);
  });
});
