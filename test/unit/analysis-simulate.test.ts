import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/core/analysis/matrix.js';
import {
  aloneRun,
  type BehaviorRows,
  jointRun,
  misalignmentRun,
  splitBehavior,
  toMisalignmentRun,
} from '../../src/core/analysis/runs.js';
import {
  DpoSimulation,
  REFERENCE_SIMULATION,
  runToCompletion,
} from '../../src/core/analysis/simulate.js';
import { syncStateScorer } from '../../src/core/analysis/state-scoring.js';
import { rowsWhere, syntheticMixture } from './analysis-helpers.js';

/**
 * An independent, deliberately different implementation of the reference recurrence: a 3-row
 * head (yes, no, other) updated row by row with the gradient of -log sigmoid(beta * [(log pi(c) -
 * log pi_ref(c)) - (log pi(r) - log pi_ref(r))]) through an explicit log-softmax, full batch.
 */
function explicitHeadDpo(
  m: Matrix<Float32Array>,
  rows: number[],
  signs: number[],
  W0: number[][],
  beta: number,
  lr: number,
  steps: number,
) {
  const d = m.dim;
  const g = (r: number) => Array.from(m.data.subarray(r * d, (r + 1) * d));
  const logSoftmax = (W: number[][], x: number[]) => {
    const z = W.map((w) => w.reduce((s, v, k) => s + v * x[k], 0));
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0));
    return z.map((v) => v - lse);
  };
  let W = W0.map((w) => w.slice());
  const loss: number[] = [];
  const headChange: number[] = [];
  for (let t = 0; t <= steps; t++) {
    headChange.push(
      Math.sqrt(W.reduce((s, w, a) => s + w.reduce((q, v, k) => q + (v - W0[a][k]) ** 2, 0), 0)),
    );
    const grad = W.map(() => new Array<number>(d).fill(0));
    let total = 0;
    rows.forEach((r, i) => {
      const x = g(r);
      const lp = logSoftmax(W, x);
      const lp0 = logSoftmax(W0, x);
      const c = signs[i] > 0 ? 0 : 1;
      const rej = 1 - c;
      const z = beta * (lp[c] - lp0[c] - (lp[rej] - lp0[rej]));
      total += Math.log1p(Math.exp(-z));
      // d/dW_a log pi(y) = ([a == y] - softmax_a) x; the softmax parts of c and r cancel.
      const p = lp.map(Math.exp);
      const sig = 1 / (1 + Math.exp(z));
      for (let a = 0; a < W.length; a++) {
        const dz = beta * ((a === c ? 1 : 0) - p[a] - ((a === rej ? 1 : 0) - p[a]));
        for (let k = 0; k < d; k++) grad[a][k] += (-sig * dz * x[k]) / rows.length;
      }
    });
    loss.push(total / rows.length);
    if (t < steps) W = W.map((w, a) => w.map((v, k) => v - lr * grad[a][k]));
  }
  return { loss, headChange, W };
}

const mix = syntheticMixture({ dim: 20, perBehavior: [120, 90], separation: [0.5, 0.2], seed: 11 });
const behaviors: BehaviorRows[] = [0, 1].map((b) => {
  const rows = rowsWhere((i) => mix.behavior[i] === b, mix.matrix.rows);
  return { name: `b${b}`, rows, labels: Int8Array.from(rows, (r) => mix.labels[r]) };
});

describe('simulated DPO on the head', () => {
  it('full batch, no test split: equals an explicit per-row log-softmax implementation to 1e-12', () => {
    const beta = 0.7;
    const lr = 0.3;
    const steps = 25;
    const split = splitBehavior(mix.matrix, behaviors[0], 0, 0, 1);
    const W0 = [0, 1, 2].map((a) =>
      Array.from({ length: 20 }, (_, k) => Math.sin(a * 7 + k) * 0.2),
    );
    const start = Float64Array.from(W0[0], (v, k) => v - W0[1][k]);
    const options = { beta, lr, steps, batchSize: 'full' as const, testFraction: 0, seed: 9 };
    const sim = aloneRun(mix.matrix, split, options, start).run();
    const ref = explicitHeadDpo(
      mix.matrix,
      Array.from(split.train.rows),
      Array.from(split.train.signs),
      W0,
      beta,
      lr,
      steps,
    );
    const c = sim.curve();
    expect(c.step).toEqual(Array.from({ length: steps + 1 }, (_, t) => t));
    c.trainLoss.forEach((l, t) =>
      expect(Math.abs(l - ref.loss[t]) / ref.loss[t]).toBeLessThan(1e-12),
    );
    c.headChange.forEach((h, t) =>
      expect(Math.abs(h - ref.headChange[t])).toBeLessThanOrEqual(
        1e-12 * Math.max(ref.headChange[t], 1e-300),
      ),
    );
    const w = sim.boundary();
    w.forEach((v, k) => expect(Math.abs(v - (ref.W[0][k] - ref.W[1][k]))).toBeLessThan(1e-12));
    // The loss falls; the test metrics are NaN without a test set.
    expect(c.trainLoss[steps]).toBeLessThan(c.trainLoss[0]);
    expect(c.testLoss.every(Number.isNaN)).toBe(true);
  });

  it('is deterministic for a seed and changes with it', () => {
    const split = splitBehavior(mix.matrix, behaviors[0], 0, 0.1, 1234);
    const opts = { ...REFERENCE_SIMULATION, batchSize: 32, steps: 20, lr: 1, beta: 1 };
    const a = aloneRun(mix.matrix, split, opts).run().curve();
    expect(aloneRun(mix.matrix, split, opts).run().curve()).toEqual(a);
    expect(
      aloneRun(mix.matrix, split, { ...opts, seed: 4321 })
        .run()
        .curve().trainLoss,
    ).not.toEqual(a.trainLoss);
    expect(splitBehavior(mix.matrix, behaviors[0], 0, 0.1, 1234)).toEqual(split);
    expect(split.test.rows.length).toBe(12);
    expect(new Set([...split.train.rows, ...split.test.rows]).size).toBe(120);
  });

  it('head change stays under the Theorem 4.1 bound with the reference hyperparameters', () => {
    for (const b of behaviors) {
      const split = splitBehavior(mix.matrix, b, 0, 0.1, 1234);
      const c = aloneRun(mix.matrix, split, REFERENCE_SIMULATION).run().curve();
      expect(c.headChange.length).toBe(101);
      c.headChange.forEach((h, t) => expect(h).toBeLessThanOrEqual(c.bound[t]));
      expect(c.headChange[100]).toBeGreaterThan(0);
      // The change grows linearly: the second half adds about as much as the first.
      expect(c.headChange[100] / c.headChange[50]).toBeGreaterThan(1.8);
    }
  });

  it('learns the more distinguishable behavior faster and aligns the boundary with mu+ - mu-', () => {
    const opts = { ...REFERENCE_SIMULATION, lr: 2, beta: 1, steps: 60 };
    const [c0, c1] = behaviors.map((b, i) =>
      aloneRun(mix.matrix, splitBehavior(mix.matrix, b, i, 0.1, 1234), opts)
        .run()
        .curve(),
    );
    expect(c0.testLoss[60]).toBeLessThan(c1.testLoss[60]);
    expect(c0.testAccuracy[0]).toBe(0.5); // zero head: every example is a tie, which counts 1/2
    expect(c0.testAccuracy[60]).toBeGreaterThan(0.8);
    expect(c0.cosine[60]).toBeGreaterThan(0.8);
  });

  it('joint run: per-behavior curves, and uniform weights change nothing', () => {
    const splits = behaviors.map((b, i) => splitBehavior(mix.matrix, b, i, 0.1, 1234));
    const opts = { ...REFERENCE_SIMULATION, lr: 2, beta: 1, steps: 30 };
    const plain = jointRun(mix.matrix, splits, opts).run();
    const weighted = jointRun(mix.matrix, splits, opts, undefined, [3, 3]).run();
    expect(weighted.curve()).toEqual(plain.curve());
    const groups = plain.groups();
    expect(Object.keys(groups)).toEqual(['b0', 'b1']);
    expect(groups.b0.headChange).toEqual(plain.curve().headChange);
    expect(groups.b0.trainLoss[30]).toBeLessThan(groups.b1.trainLoss[30]);
    // Upsampling the weak behavior helps it.
    const up = jointRun(mix.matrix, splits, opts, undefined, [1, 8]).run().groups();
    expect(up.b1.trainLoss[30]).toBeLessThan(groups.b1.trainLoss[30]);
  });

  it('minibatch runs score their states after the steps: each state as if scored when it was reached', async () => {
    const splits = behaviors.map((b, i) => splitBehavior(mix.matrix, b, i, 0.25, 1234));
    const opts = { ...REFERENCE_SIMULATION, lr: 2, beta: 1, steps: 70, batchSize: 16 };
    // Scored by the run itself (every FLUSH_STATES states) ...
    const own = jointRun(mix.matrix, splits, opts).run();
    // ... and by the caller, after every single step (a pass over the rows per state).
    const each = jointRun(mix.matrix, splits, opts);
    each.deferScoring();
    const rows = each.scoredRows()!;
    const scorer = syncStateScorer(mix.matrix, rows);
    await each.flushWith(scorer);
    while (!each.done) {
      each.advance();
      expect(each.pendingStates).toBe(1);
      await each.flushWith(scorer);
    }
    expect(each.curve()).toEqual(own.curve());
    expect(each.groups()).toEqual(own.groups());
    // The last state, evaluated from its boundary here, row by row.
    const w = own.boundary();
    const { test } = splits[1];
    let loss = 0;
    let right = 0;
    test.rows.forEach((r, i) => {
      let dot = 0;
      for (let k = 0; k < mix.matrix.dim; k++)
        dot += mix.matrix.data[r * mix.matrix.dim + k] * w[k];
      loss += Math.log1p(Math.exp(-opts.beta * test.signs[i] * dot));
      if (test.signs[i] * dot > 0) right++;
    });
    const b1 = own.groups().b1;
    expect(Math.abs(b1.testLoss[70] - loss / test.rows.length)).toBeLessThan(1e-12);
    expect(b1.testAccuracy[70]).toBe(right / test.rows.length);
    // Unscored states are not reported.
    const half = jointRun(mix.matrix, splits, opts);
    half.deferScoring();
    half.advance();
    expect(() => half.curve()).toThrow(/not scored/);
  });

  it('misalignment: same flipped loss from either start, alignment undone from the aligned head', () => {
    const split = splitBehavior(mix.matrix, behaviors[0], 0, 0.1, 1234);
    const opts = { ...REFERENCE_SIMULATION, lr: 2, beta: 1, steps: 80 };
    const aligned = aloneRun(mix.matrix, split, opts).run();
    // The flipped run retraces the aligned one (the reference policy is its start): after the
    // same 80 steps the head is back at zero, every example a tie (accuracy 0.5, not below). It
    // falls below 50% only when it runs longer than the alignment did.
    const same = toMisalignmentRun(
      misalignmentRun(mix.matrix, split, opts, aligned.boundary()).run(),
      'b0',
      'aligned',
      'm',
    );
    expect(same.originalAccuracy.at(-1)).toBe(0.5);
    expect(same.stepsToBelowHalf).toBeNull();
    const longer = { ...opts, steps: 120 };
    const fromBase = toMisalignmentRun(
      misalignmentRun(mix.matrix, split, longer).run(),
      'b0',
      'base',
      'm',
    );
    const fromAligned = toMisalignmentRun(
      misalignmentRun(mix.matrix, split, longer, aligned.boundary()).run(),
      'b0',
      'aligned',
      'm',
    );
    expect(fromAligned.curve.trainLoss).toEqual(fromBase.curve.trainLoss);
    // The zero base head prefers nothing (accuracy 0.5 from ties): nothing to undo, no step count.
    expect(fromBase.originalAccuracy![0]).toBe(0.5);
    expect(fromBase.preferenceAtStart).toBe(false);
    expect(fromBase.stepsToBelowHalf).toBeNull();
    expect(fromAligned.preferenceAtStart).toBe(true);
    expect(fromAligned.originalAccuracy![0]).toBeGreaterThan(0.8);
    expect(fromAligned.stepsToBelowHalf).toBeGreaterThan(80);
    expect(fromAligned.originalAccuracy![fromAligned.stepsToBelowHalf!]).toBeLessThan(0.5);
  });

  it('steps on demand, reports progress and stops on abort', async () => {
    const split = splitBehavior(mix.matrix, behaviors[0], 0, 0.1, 1234);
    const opts = { ...REFERENCE_SIMULATION, steps: 50 };
    const stepped = aloneRun(mix.matrix, split, opts);
    while (!stepped.done) stepped.advance();
    const whole = aloneRun(mix.matrix, split, opts);
    const seen: number[] = [];
    await runToCompletion([whole], { sliceMs: 0, onProgress: (p) => seen.push(p.done) });
    expect(whole.curve()).toEqual(stepped.curve());
    expect(seen.at(-1)).toBe(50);
    const controller = new AbortController();
    const sims: DpoSimulation[] = [aloneRun(mix.matrix, split, opts)];
    const pending = runToCompletion(sims, {
      signal: controller.signal,
      sliceMs: 0,
      onProgress: (p) => p.done >= 10 && controller.abort(new Error('stop')),
    });
    await expect(pending).rejects.toThrow('stop');
    expect(sims[0].done).toBe(false);
  });
});
