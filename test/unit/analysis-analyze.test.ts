import { describe, expect, it } from 'vitest';
import {
  analyzeEmbeddings,
  compareModels,
  resolveSimulationOptions,
} from '../../src/core/analysis/analyze.js';
import { aloneRun, groupRows, splitBehavior } from '../../src/core/analysis/index.js';
import { REFERENCE_SIMULATION } from '../../src/core/analysis/simulate.js';
import { personaFixture } from './analysis-helpers.js';

const { meta, data, input } = personaFixture();
const [AGREE, TOTAL_UTIL, BUDDHISM, AVG_UTIL] = meta.names;

describe('analyzeEmbeddings on real MiniLM embeddings of persona behaviors', async () => {
  const stages: string[] = [];
  const result = await analyzeEmbeddings(
    input,
    { simulation: { preset: 'fast-preview' }, bootstrapReps: 100 },
    undefined,
    (p) => {
      expect(p.fraction).toBeGreaterThanOrEqual(0);
      expect(p.fraction).toBeLessThanOrEqual(1);
      if (stages.at(-1) !== p.stage) stages.push(p.stage);
    },
  );
  const byName = Object.fromEntries(result.behaviors.map((b) => [b.name, b]));

  it('reports every stage in order', () => {
    expect(stages).toEqual(['statistics', 'simulate', 'rebalance', 'done']);
  });

  it('ranks distinguishability like the paper (agreeableness high, total utilitarianism low)', () => {
    expect(byName[AGREE].distinguishability).toBeGreaterThan(
      1.5 * byName[TOTAL_UTIL].distinguishability,
    );
    for (const b of result.behaviors) {
      expect(b.nPositive + b.nNegative).toBe(150);
      expect(b.distinguishabilityCI[0]).toBeLessThan(b.distinguishabilityCI[1]);
      expect(b.normalizedDistinguishability).toBeCloseTo(
        b.distinguishability / Math.sqrt(b.trace),
        12,
      );
      expect(b.concentration).toBeLessThanOrEqual(b.trace);
      expect(b.suspects.length).toBeLessThanOrEqual(20);
    }
  });

  it('priority: levels aligned with names, antisymmetric gaps, warnings for the weak behaviors', () => {
    expect(result.priority.names).toEqual(meta.names);
    expect(result.priority.levels.map((l) => Math.max(l, 0))).toHaveLength(4);
    result.priority.gaps.forEach((row, i) =>
      row.forEach((g, j) => expect(g).toBe(i === j ? 0 : -result.priority.gaps[j][i])),
    );
    // The most distinguishable behavior is not deprioritized; the least distinguishable is.
    expect(byName[BUDDHISM].warnings.map((w) => w.kind)).not.toContain('deprioritized');
    // With 150 examples per behavior the flag holds in fewer than 90% of the bootstrap replicates
    // (flagStability 0.61 with the rows resampled, 0.89 when only the magnitudes were), so since the
    // stability rule it is shown as borderline.
    const weak = byName[AVG_UTIL].warnings.find(
      (w) => w.kind === 'deprioritized' || w.kind === 'borderline',
    );
    expect(weak?.message).toMatch(
      /Priority level 0\.\d\d is the lowest of 4 behaviors \(median 0\.\d\d\): /,
    );
    // The fix names a factor only when the simulated search suggested one (issue #17, item 6).
    const w = result.rebalancing!.weights[AVG_UTIL];
    if (result.rebalancing!.suggested && w >= 1.05)
      expect(weak?.message).toContain(`upsample it ×${w.toFixed(1)}`);
    else expect(weak?.message).toContain('train it separately or upsample it.');
  });

  it('simulates every behavior (fast preview): the most distinguishable learns fastest', () => {
    const sim = result.simulation;
    expect(sim.options).toEqual(resolveSimulationOptions({ preset: 'fast-preview' }));
    for (const name of meta.names) expect(sim.perBehavior[name].step).toHaveLength(301);
    expect(sim.perBehavior[BUDDHISM].testLoss[100]).toBeLessThan(
      sim.perBehavior[AVG_UTIL].testLoss[100],
    );
    expect(sim.perBehavior[BUDDHISM].testAccuracy[300]).toBeGreaterThan(0.85);
    expect(Object.keys(sim.joint!.perBehavior)).toEqual(meta.names);
    expect(sim.misalignment).toHaveLength(8);
    const fromAligned = sim.misalignment.find(
      (r) => r.behavior === BUDDHISM && r.start === 'aligned',
    )!;
    expect(fromAligned.originalAccuracy![0]).toBeGreaterThan(0.85);
    expect(fromAligned.model).toBe('minilm');
  });

  it('rebalancing is chosen by simulated joint runs and harms no behavior beyond the tolerance', () => {
    // Issue #17, item 6, changed this from "the level-based factors": see
    // analysis-rebalance-search.test.ts for the rule itself.
    const r = result.rebalancing!;
    expect(r.jointBefore).toEqual(result.simulation.joint);
    expect(Math.min(...Object.values(r.weights))).toBe(1);
    for (const [name, p] of Object.entries(r.perBehavior!)) {
      expect(p.weight).toBe(r.weights[name]);
      expect(p.levelBefore).toBe(r.levelsBefore[name]);
      expect(p.accuracyAfter).toBeGreaterThanOrEqual(p.accuracyBefore - r.tolerance!);
    }
    expect(r.note!.length).toBeGreaterThan(0);
  });

  it('head change stays under the Theorem 4.1 bound with the reference hyperparameters', () => {
    const groups = groupRows(input);
    groups.forEach((g, i) => {
      const c = aloneRun(
        { data, rows: meta.labels.length, dim: meta.dim },
        splitBehavior({ data, rows: meta.labels.length, dim: meta.dim }, g, i, 0.1, 1234),
        REFERENCE_SIMULATION,
      )
        .run()
        .curve();
      c.headChange.forEach((h, t) => expect(h).toBeLessThanOrEqual(c.bound[t]));
      expect(c.headChange[100]).toBeGreaterThan(0);
    });
  });

  it('is deterministic, excludes one-class behaviors, and stops on abort', async () => {
    const small = {
      ...input,
      // A fifth behavior with a single (positive) example.
      data: Float32Array.from([...data, ...data.subarray(0, meta.dim)]),
      labels: [...meta.labels, 1],
      behaviorIndex: [...meta.behavior, 4],
      behaviorNames: [...meta.names, 'lonely'],
    };
    const options = { simulation: { steps: 20 }, bootstrapReps: 20, misalignment: false };
    const a = await analyzeEmbeddings(small, options);
    expect(await analyzeEmbeddings(small, options)).toEqual(a);
    expect(a.excluded).toEqual([
      { name: 'lonely', reason: 'needs at least 2 examples of each answer (has 1 yes, 0 no)' },
    ]);
    expect(a.simulation.options.preset).toBe('custom');
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(analyzeEmbeddings(small, options, controller.signal)).rejects.toThrow('cancelled');
  });
});

describe('two-model misalignment', () => {
  it('a model that separates the classes more is misaligned faster (finding 4)', async () => {
    // "Aligned" embeddings: every row moved by label * 0.2 along its behavior's unit mean difference,
    // as DPO separates positive and negative embeddings (finding 3).
    const groups = groupRows(input);
    const aligned = Float32Array.from(data);
    const d = meta.dim;
    for (const g of groups) {
      const mean = (sign: number) => {
        const out = new Float64Array(d);
        const rows = [...g.rows].filter((_, i) => g.labels[i] === sign);
        for (const r of rows) for (let k = 0; k < d; k++) out[k] += data[r * d + k] / rows.length;
        return out;
      };
      const [mp, mn] = [mean(1), mean(-1)];
      const b = mp.map((x, k) => x - mn[k]);
      const len = Math.hypot(...b);
      g.rows.forEach((r, i) => {
        for (let k = 0; k < d; k++) aligned[r * d + k] += (g.labels[i] * 0.2 * b[k]) / len;
      });
    }
    const simulation = resolveSimulationOptions({ preset: 'fast-preview', steps: 60 });
    const [cmp] = await compareModels(
      { matrix: { data, rows: meta.labels.length, dim: d }, model: 'base' },
      { matrix: { data: aligned, rows: meta.labels.length, dim: d }, model: 'aligned' },
      groups.slice(0, 1),
      simulation,
    );
    expect(cmp.behavior).toBe(AGREE);
    expect(cmp.aligned.distinguishability).toBeCloseTo(cmp.base.distinguishability + 0.4, 6);
    expect(cmp.base.run.model).toBe('base');
    expect(cmp.aligned.run.model).toBe('aligned');
    expect(cmp.aligned.run.curve.trainLoss[60]).toBeLessThan(cmp.base.run.curve.trainLoss[60]);
    expect(cmp.aligned.run.curve.testAccuracy[60]).toBeGreaterThanOrEqual(
      cmp.base.run.curve.testAccuracy[60],
    );

    const full = await analyzeEmbeddings(
      { ...input, aligned: { data: aligned, model: 'aligned' } },
      {
        simulation: { steps: 10 },
        bootstrapReps: 0,
        misalignment: false,
        rebalance: false,
        joint: false,
      },
    );
    expect(full.twoModel.map((c) => c.behavior)).toEqual(meta.names);
    expect(full.simulation.misalignment.map((r) => r.model)).toEqual(
      meta.names.flatMap(() => ['minilm', 'aligned']),
    );
  });
});
