import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/core/analysis/analyze.js';
import { priorityConflicts } from '../../src/core/analysis/conflicts.js';
import { Rng } from '../../src/core/analysis/rng.js';
import { flagStability, rankIntervals } from '../../src/core/analysis/stability.js';
import {
  applyVerdicts,
  DEFAULT_VERDICT_THRESHOLDS,
  mixedSchemaWarning,
} from '../../src/core/analysis/verdicts.js';
import { behaviorWarnings, DEFAULT_THRESHOLDS } from '../../src/core/analysis/warnings.js';
import { personaFixture } from './analysis-helpers.js';

const v = (...x: number[]) => Float64Array.from(x);

describe('conflicts (why a behavior is deprioritized)', () => {
  it('a hand-computed mixture: c is pulled down by a and b', () => {
    // b_bar = (1.4, 0.6), ||b_bar|| = sqrt(2.32), ||b_*|| = 1; P_c = -0.4 / sqrt(2.32).
    const b = [v(1, 0), v(0.9, 0.1), v(-0.5, 0.5)];
    const c = priorityConflicts(['a', 'b', 'c'], b, [1, 1, 1], 2);
    expect(c.map((x) => x.name)).toEqual(['a', 'b']);
    expect(c[0].contribution).toBeCloseTo(-0.5 / Math.sqrt(2.32), 14);
    expect(c[0].cosine).toBeCloseTo(-0.5 / Math.SQRT1_2, 14);
    expect(c[1].contribution).toBeCloseTo(-0.4 / Math.sqrt(2.32), 14);
    expect(c[1].cosine).toBeCloseTo(-0.4 / (Math.hypot(0.9, 0.1) * Math.SQRT1_2), 14);
    // Only c pulls against a.
    const ofA = priorityConflicts(['a', 'b', 'c'], b, [1, 1, 1], 0);
    expect(ofA.map((x) => x.name)).toEqual(['c']);
    expect(ofA[0].cosine).toBeCloseTo(-Math.SQRT1_2, 14);
  });

  it('names the behavior that pulls the opposite way in the warning', () => {
    const names = ['a', 'b', 'c'];
    const b = [v(1, 0), v(0.9, 0.1), v(-0.5, 0.5)];
    const levels = [1.4, 1.27, -0.4].map((x) => x / Math.sqrt(2.32));
    const warnings = behaviorWarnings(
      { names, levels, distinguishability: [1, 0.9, 0.7] },
      DEFAULT_THRESHOLDS,
    );
    const out = applyVerdicts(
      {
        names,
        levels,
        distinguishability: [1, 0.9, 0.7],
        pValues: [0.001, 0.001, 0.001],
        pAdjusted: [0.001, 0.001, 0.001],
        warnings,
        conflicts: (n, i) => priorityConflicts(n, b, [1, 1, 1], i),
      },
      DEFAULT_VERDICT_THRESHOLDS,
    );
    expect(out.deprioritized).toEqual([false, false, true]);
    expect(out.warnings[2][0].message).toContain(
      'c is deprioritized because a (cos -0.71), b (cos -0.62) pull the opposite way',
    );
  });
});

describe('verdicts', () => {
  const base = {
    names: ['strong', 'w1', 'w2', 'w3', 'other'],
    levels: [0.66, 0.005, 0.008, 0.006, 0.7],
    distinguishability: [0.5, 0.3, 0.3, 0.3, 0.5],
    pValues: [0.001, 0.001, 0.001, 0.001, 0.001],
    pAdjusted: [0.001, 0.001, 0.001, 0.001, 0.001],
    conflicts: () => [],
  };
  it('the absolute threshold flags levels the collapsed median-relative rule misses', () => {
    const warnings = behaviorWarnings(base, DEFAULT_THRESHOLDS);
    // Median 0.008: half of it is 0.004, so the relative rule flags nothing.
    expect(warnings.flat().filter((w) => w.kind === 'deprioritized')).toHaveLength(0);
    const out = applyVerdicts({ ...base, warnings }, DEFAULT_VERDICT_THRESHOLDS);
    expect(out.deprioritized).toEqual([false, true, true, true, false]);
  });

  it('indistinguishable: no deprioritized and no label claim, level not meaningful', () => {
    const warnings = behaviorWarnings(
      {
        ...base,
        labelErrors: base.names.map(() => ({ count: 3, lowest: 0.1, total: 100 })),
      },
      DEFAULT_THRESHOLDS,
    );
    const out = applyVerdicts(
      {
        ...base,
        warnings,
        pValues: [0.001, 0.3, 0.001, 0.001, 0.001],
        pAdjusted: [0.001, 0.375, 0.001, 0.001, 0.001],
      },
      DEFAULT_VERDICT_THRESHOLDS,
    );
    expect(out.warnings[1].map((w) => w.kind)).toEqual(['indistinguishable']);
    expect(out.priorityMeaningful).toEqual([true, false, true, true, true]);
    expect(out.warnings[2].map((w) => w.kind)).toEqual(['deprioritized', 'possible-label-error']);
  });

  it('a flag below the stability setting is borderline', () => {
    const warnings = behaviorWarnings(base, DEFAULT_THRESHOLDS);
    const out = applyVerdicts(
      { ...base, warnings, flagStability: [0, 0.95, 0.5, 0.9, 0] },
      DEFAULT_VERDICT_THRESHOLDS,
    );
    expect(out.warnings.map((w) => w[0]?.kind)).toEqual([
      undefined,
      'deprioritized',
      'borderline',
      'deprioritized',
      undefined,
    ]);
    expect(out.warnings[2][0].message).toMatch(
      /^Borderline: deprioritized in only 50% of bootstrap replicates/,
    );
  });

  it('mixed schemas are named', () => {
    expect(mixedSchemaWarning([{ file: '/a/x.jsonl', schema: 'evals' }])).toBeNull();
    const w = mixedSchemaWarning([
      { file: '/a/x.jsonl', schema: 'evals' },
      { file: '/a/y.jsonl', schema: 'pairwise' },
      { file: '/a/z.jsonl', schema: 'evals' },
    ]);
    expect(w?.message).toMatch(
      /^The inputs mix 2 schemas: evals \(2 files: x.jsonl, z.jsonl\); pairwise \(1 file: y.jsonl\)/,
    );
  });
});

describe('rank and flag stability from the bootstrap', () => {
  it('rank intervals by hand', () => {
    // a always first; b and c swap in half of the replicates.
    const a = v(5, 5, 5, 5);
    const b = v(2, 3, 2, 3);
    const c = v(3, 2, 3, 2);
    expect(rankIntervals([a, b, c])).toEqual([
      [1, 1],
      [2, 3],
      [2, 3],
    ]);
  });

  it('flag stability is 1 or 0 when the replicates do not move, and counts replicates', () => {
    const b = [v(1, 0), v(0.9, 0.1), v(-0.5, 0.5)];
    const same = b.map(() => v(1, 1, 1, 1));
    const rule = (lv: readonly number[]) => lv.map((p) => p <= 0);
    expect(flagStability(b, [1, 1, 1], same, rule)).toEqual([0, 0, 1]);
    // Replicates where c's norm is tiny against its median: its level stays negative anyway;
    // a rule on a level threshold sees the replicate-to-replicate change.
    const moving = [v(1, 1, 1, 1), v(1, 1, 1, 1), v(0.01, 1, 1, 3)];
    const rule2 = (lv: readonly number[]) => lv.map((p) => p < -0.2);
    // Level of c with scale s: -0.4 s / sqrt(|(1.9,0.1) + s(-0.5,0.5)|^2) ... by hand per replicate.
    const level = (s: number) => {
      const bbar = [1.9 - 0.5 * s, 0.1 + 0.5 * s];
      return (s * (-0.5 * bbar[0] + 0.5 * bbar[1])) / Math.hypot(bbar[0], bbar[1]);
    };
    const expected = [0.01, 1, 1, 3].filter((s) => level(s) < -0.2).length / 4;
    expect(flagStability(b, [1, 1, 1], moving, rule2)![2]).toBe(expected);
  });
});

describe('the analysis on bundled MiniLM persona embeddings', async () => {
  const { meta, input } = personaFixture();
  // The same rows with one behavior's labels shuffled: no signal left in it.
  const labels = Int8Array.from(meta.labels);
  const rows = meta.behavior.flatMap((b, r) => (b === 1 ? [r] : []));
  const shuffled = rows.map((r) => labels[r]);
  // A shuffle's p-value is uniform on (0, 1]: this seed's shuffle is one of the 95% above 0.05.
  new Rng(4).shuffle(shuffled);
  rows.forEach((r, i) => (labels[r] = shuffled[i]));
  const result = await analyzeEmbeddings(
    { ...input, labels },
    {
      simulation: { preset: 'fast-preview' },
      bootstrapReps: 200,
      rebalance: false,
      misalignment: false,
    },
  );
  const one = await analyzeEmbeddings(
    {
      ...input,
      behaviorIndex: meta.behavior.map((b) => (b === 0 ? 0 : 1)),
      behaviorNames: [meta.names[0], 'rest'],
      labels: meta.labels.map((l, r) => (meta.behavior[r] === 0 ? l : 0)),
    },
    {
      simulation: { preset: 'fast-preview' },
      bootstrapReps: 50,
      rebalance: false,
      misalignment: false,
    },
  );

  it('a behavior with shuffled labels is indistinguishable and makes no claims', () => {
    const b = result.behaviors[1];
    expect(b.pValueAdjusted).toBeGreaterThanOrEqual(0.05);
    expect(b.warnings.map((w) => w.kind)).toContain('indistinguishable');
    expect(b.warnings.map((w) => w.kind)).not.toContain('deprioritized');
    expect(b.warnings.map((w) => w.kind)).not.toContain('possible-label-error');
    expect(b.priorityMeaningful).toBe(false);
    for (const other of [0, 2, 3]) {
      expect(result.behaviors[other].pValue).toBeLessThan(0.01);
      expect(result.behaviors[other].priorityMeaningful).toBe(true);
    }
    // The interval contains the unbiased estimate; rank intervals lie in 1..4.
    for (const x of result.behaviors) {
      expect(x.distinguishabilityCI[0]).toBeLessThanOrEqual(x.distinguishabilityUnbiased!);
      expect(x.distinguishabilityCI[1]).toBeGreaterThanOrEqual(x.distinguishabilityUnbiased!);
      expect(x.rankCI![0]).toBeGreaterThanOrEqual(1);
      expect(x.rankCI![1]).toBeLessThanOrEqual(4);
    }
    expect(result.warnings).toEqual([]);
  });

  it('one behavior: no priority claim and a note that points to behavior discovery', () => {
    // 'rest' has no negatives left (labels 0 count as negative... every row of it is -1), so it is
    // excluded and agreeableness is alone.
    expect(one.behaviors.map((b) => b.name)).toEqual([meta.names[0]]);
    expect(one.behaviors[0].priorityMeaningful).toBe(false);
    expect(one.behaviors[0].warnings.map((w) => w.kind)).not.toContain('deprioritized');
    expect(one.warnings.map((w) => w.kind)).toEqual(['single-behavior']);
    expect(one.warnings[0].message).toContain('priority needs a mixture');
    expect(one.warnings[0].message).toContain('behavior discovery');
  });
});

describe('misalignment and the Theorem 4.1 bound, honestly', async () => {
  const { meta, input } = personaFixture();
  const fast = await analyzeEmbeddings(input, {
    simulation: { preset: 'fast-preview', steps: 40 },
    bootstrapReps: 0,
    permutations: 0,
    rebalance: false,
  });

  it('checks the step-size condition beta^2 eta (||mu|| + sqrt(tr Cov))^2 <= 1/4 from the rows', () => {
    const d = meta.dim;
    for (const [b, name] of meta.names.entries()) {
      let worst = 0;
      for (const s of [1, -1]) {
        const rows = meta.labels.flatMap((l, r) => (l === s && meta.behavior[r] === b ? [r] : []));
        const mu = new Float64Array(d);
        for (const r of rows)
          for (let k = 0; k < d; k++) mu[k] += input.data[r * d + k] / rows.length;
        let tr = 0;
        for (const r of rows)
          for (let k = 0; k < d; k++)
            tr += (input.data[r * d + k] - mu[k]) ** 2 / (rows.length - 1);
        worst = Math.max(worst, Math.hypot(...mu) + Math.sqrt(tr));
      }
      // fast-preview: beta 0.1, lr 100, so beta^2 eta = 1.
      expect(fast.simulation.boundCheck!.perBehavior[name]).toBeCloseTo(worst * worst, 10);
    }
    expect(fast.simulation.boundCheck!.status).toBe('empirical');
    expect(fast.simulation.boundCheck!.stepSizeProduct).toBeGreaterThan(1);
  });

  it('the reference preset meets it', async () => {
    const reference = await analyzeEmbeddings(input, {
      simulation: { steps: 5 },
      bootstrapReps: 0,
      permutations: 0,
      rebalance: false,
      misalignment: false,
    });
    expect(reference.simulation.boundCheck!.status).toBe('guaranteed');
    expect(reference.simulation.boundCheck!.stepSizeProduct).toBeLessThan(1e-6);
  });

  it('a zero head starts at accuracy 0.5 (ties) and has no preference to undo', () => {
    for (const c of Object.values(fast.simulation.perBehavior)) expect(c.testAccuracy[0]).toBe(0.5);
    const base = fast.simulation.misalignment.filter((m) => m.start === 'base');
    expect(base).toHaveLength(4);
    for (const m of base) {
      expect(m.preferenceAtStart).toBe(false);
      expect(m.stepsToBelowHalf).toBeNull();
    }
    for (const m of fast.simulation.misalignment.filter((x) => x.start === 'aligned'))
      expect(m.preferenceAtStart).toBe(m.originalAccuracy![0] > 0.5);
  });
});
