import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings, groupRows } from '../../src/core/analysis/analyze.js';
import {
  dpoLoss,
  type DpoLossName,
  firstStepWeight,
  labelSmoothingApplies,
} from '../../src/core/analysis/losses.js';
import type { Matrix } from '../../src/core/analysis/matrix.js';
import { aloneRun, splitBehavior } from '../../src/core/analysis/runs.js';
import type { SimulationParams } from '../../src/core/analysis/simulate.js';
import { formatSummary } from '../../src/cli/summary.js';
import { renderMarkdown } from '../../src/shared/markdown.js';
import { lossNote } from '../../src/shared/report-notes.js';
import { personaFixture } from './analysis-helpers.js';
import { fixturePayload } from './report-fixture.js';

const { meta, input } = personaFixture();
const matrix: Matrix<Float32Array> = {
  data: input.data as Float32Array,
  rows: input.labels.length,
  dim: meta.dim,
};
// A tiny real subset: the first 24 examples of the first persona behavior (MiniLM embeddings).
const behavior = groupRows(input)[0];
const tiny = {
  name: behavior.name,
  rows: behavior.rows.slice(0, 24),
  labels: behavior.labels.slice(0, 24),
};

const logSigmoid = (x: number): number => -Math.log1p(Math.exp(-x));

/**
 * TRL's loss_type formulas (trl/trainer/dpo_trainer.py, dpo_loss) as functions of the logits z,
 * written out again here from the TRL text, not taken from losses.ts.
 */
const trl: Record<DpoLossName, (z: number, beta: number, eps: number) => number> = {
  sigmoid: (z, beta, eps) => -logSigmoid(beta * z) * (1 - eps) - logSigmoid(-beta * z) * eps,
  ipo: (z, beta) => (z - 1 / (2 * beta)) ** 2,
  hinge: (z, beta) => Math.max(0, 1 - beta * z),
  robust: (z, beta, eps) =>
    (-logSigmoid(beta * z) * (1 - eps) + logSigmoid(-beta * z) * eps) / (1 - 2 * eps),
};

/**
 * An independent recurrence: the two answer rows W_yes, W_no of the head, both starting at zero
 * (the reference policy), moved by plain SGD on the mean loss over the whole training set, with
 * the gradient taken by central finite differences of that mean loss in each of the 2d
 * coordinates. z = (log pi(c) - log pi(r)) - (same for the reference) = s (W_yes - W_no) . g.
 */
function finiteDifferenceSgd(
  rows: Int32Array,
  signs: Int8Array,
  loss: (z: number) => number,
  lr: number,
  steps: number,
): { boundary: number[]; meanLoss: number[] } {
  const d = matrix.dim;
  const g = Array.from(rows, (r) => Array.from(matrix.data.subarray(r * d, (r + 1) * d)));
  const meanLoss = (yes: number[], no: number[]): number => {
    let total = 0;
    g.forEach((x, i) => {
      let margin = 0;
      for (let k = 0; k < d; k++) margin += (yes[k] - no[k]) * x[k];
      total += loss(signs[i] * margin);
    });
    return total / g.length;
  };
  const yes = new Array<number>(d).fill(0);
  const no = new Array<number>(d).fill(0);
  const h = 1e-6;
  const losses: number[] = [];
  for (let t = 0; t <= steps; t++) {
    losses.push(meanLoss(yes, no));
    if (t === steps) break;
    const gradYes = new Array<number>(d);
    const gradNo = new Array<number>(d);
    for (const [w, grad] of [
      [yes, gradYes],
      [no, gradNo],
    ] as const) {
      for (let k = 0; k < d; k++) {
        const keep = w[k];
        w[k] = keep + h;
        const up = meanLoss(yes, no);
        w[k] = keep - h;
        const down = meanLoss(yes, no);
        w[k] = keep;
        grad[k] = (up - down) / (2 * h);
      }
    }
    for (let k = 0; k < d; k++) {
      yes[k] -= lr * gradYes[k];
      no[k] -= lr * gradNo[k];
    }
  }
  return { boundary: yes.map((v, k) => v - no[k]), meanLoss: losses };
}

const cases: { loss: DpoLossName; eps: number; beta: number; lr: number }[] = [
  { loss: 'sigmoid', eps: 0, beta: 1, lr: 4 },
  { loss: 'sigmoid', eps: 0.1, beta: 1, lr: 4 },
  { loss: 'ipo', eps: 0, beta: 0.5, lr: 0.2 },
  { loss: 'hinge', eps: 0, beta: 2, lr: 1 },
  { loss: 'robust', eps: 0.2, beta: 1, lr: 4 },
];

describe('DPO-family losses against an independent finite-difference SGD recurrence', () => {
  const split = splitBehavior(matrix, tiny, 0, 0, 5);
  const steps = 4;
  it.each(cases)('$loss (eps $eps): boundary and train loss after each step', (c) => {
    const params: SimulationParams = {
      beta: c.beta,
      lr: c.lr,
      steps,
      batchSize: 'full',
      testFraction: 0,
      seed: 5,
      loss: c.loss,
      labelSmoothing: c.eps,
    };
    const sim = aloneRun(matrix, split, params).run();
    const ref = finiteDifferenceSgd(
      split.train.rows,
      split.train.signs,
      (z) => trl[c.loss](z, c.beta, c.eps),
      c.lr,
      steps,
    );
    const w = sim.boundary();
    const scale = Math.max(...ref.boundary.map(Math.abs));
    // The head moved visibly (else the comparison says nothing).
    expect(scale).toBeGreaterThan(0.05);
    ref.boundary.forEach((v, k) => expect(Math.abs(w[k] - v)).toBeLessThan(1e-6 * scale));
    const curve = sim.curve();
    // Full batch: trainLoss[t] is the loss of state t on the whole training set.
    curve.trainLoss.forEach((l, t) => expect(l).toBeCloseTo(ref.meanLoss[t], 9));
    expect(ref.meanLoss[steps]).toBeLessThan(ref.meanLoss[0]);
  });

  it('minibatch alone runs of robust with eps = 0 match those of the sigmoid loss', () => {
    // robust with eps = 0 is the sigmoid loss written another way (losses.ts): same curves.
    const s = splitBehavior(matrix, behavior, 0, 0.2, 7);
    const base: SimulationParams = {
      beta: 0.5,
      lr: 8,
      steps: 30,
      batchSize: 16,
      testFraction: 0.2,
      seed: 7,
    };
    const sigmoid = aloneRun(matrix, s, base).run().curve();
    const robust = aloneRun(matrix, s, { ...base, loss: 'robust', labelSmoothing: 0 })
      .run()
      .curve();
    for (const key of ['trainLoss', 'testLoss', 'testAccuracy', 'headChange'] as const)
      robust[key].forEach((v, t) => expect(v).toBeCloseTo(sigmoid[key][t], 12));
    expect(sigmoid.testLoss[30]).toBeLessThan(sigmoid.testLoss[0]);
  });
});

describe('the first step: every example weighs |dl/dz| at z = 0', () => {
  // dl/dz at 0 by finite differences of the TRL formulas above, against the derivation in docs.
  const fd = (loss: DpoLossName, beta: number, eps: number): number =>
    Math.abs((trl[loss](1e-6, beta, eps) - trl[loss](-1e-6, beta, eps)) / 2e-6);
  it.each(cases)('$loss (eps $eps, beta $beta)', (c) => {
    const derived = {
      sigmoid: (c.beta * (1 - 2 * c.eps)) / 2,
      ipo: 1 / c.beta,
      hinge: c.beta,
      robust: c.beta / (2 * (1 - 2 * c.eps)),
    }[c.loss];
    expect(fd(c.loss, c.beta, c.eps)).toBeCloseTo(derived, 6);
    expect(firstStepWeight(dpoLoss(c.loss, c.beta, c.eps), c.beta)).toBeCloseTo(derived, 12);
  });

  it('so the first step has the same direction for every loss, scaled by that weight', () => {
    const split = splitBehavior(matrix, tiny, 0, 0, 5);
    const one = (loss: DpoLossName, eps: number): Float64Array =>
      aloneRun(matrix, split, {
        beta: 0.3,
        lr: 1,
        steps: 1,
        batchSize: 'full',
        testFraction: 0,
        seed: 5,
        loss,
        labelSmoothing: eps,
      })
        .run()
        .boundary();
    const sigmoid = one('sigmoid', 0);
    for (const c of cases) {
      const w = one(c.loss, c.eps);
      const ratio =
        firstStepWeight(dpoLoss(c.loss, 0.3, c.eps), 0.3) /
        firstStepWeight(dpoLoss('sigmoid', 0.3), 0.3);
      w.forEach((v, k) => expect(v).toBeCloseTo(ratio * sigmoid[k], 12));
    }
  });
});

describe('the report records the loss; priority levels do not depend on it', async () => {
  const options = { simulation: { preset: 'fast-preview' as const, steps: 20 }, bootstrapReps: 0 };
  const sigmoid = await analyzeEmbeddings(input, options);
  const hinge = await analyzeEmbeddings(input, {
    ...options,
    simulation: { ...options.simulation, loss: 'hinge' },
  });
  it('records loss, label smoothing and the first-step weight', () => {
    expect(sigmoid.simulation.loss).toBe('sigmoid');
    expect(sigmoid.simulation.labelSmoothing).toBe(0);
    expect(sigmoid.simulation.firstStepWeight).toBeCloseTo(0.05, 15);
    expect(hinge.simulation.loss).toBe('hinge');
    expect(hinge.simulation.firstStepWeight).toBeCloseTo(0.1, 15);
  });
  it('says so in one line of the Markdown and the CLI summary, for a non-default loss only', () => {
    expect(lossNote(sigmoid.simulation)).toBeUndefined();
    const note = lossNote(hinge.simulation)!;
    expect(note).toMatch(/^DPO loss: hinge /);
    expect(note).toContain('|dℓ/dz| at z = 0 = 0.100 (the sigmoid loss: β/2 = 0.050)');
    expect(note).toContain('priority levels are those of the sigmoid loss');
  });
  it('the Markdown report carries that line under the simulation heading', () => {
    const report = fixturePayload().report;
    expect(renderMarkdown(report)).not.toContain('DPO loss:');
    report.simulation = { ...report.simulation, ...hinge.simulation };
    const md = renderMarkdown(report);
    const section = md.slice(md.indexOf('## Simulated DPO on the output head'));
    expect(section).toContain(lossNote(hinge.simulation)!);
  });

  it('and so does the CLI summary', () => {
    const report = fixturePayload().report;
    expect(formatSummary(report)).not.toContain('DPO loss:');
    report.simulation = { ...report.simulation, ...hinge.simulation };
    expect(formatSummary(report).split('\n')).toContain(lossNote(hinge.simulation));
  });
  it('same levels, different curves', () => {
    expect(hinge.priority.levels).toEqual(sigmoid.priority.levels);
    const name = meta.names[0];
    expect(hinge.simulation.perBehavior[name].testLoss[20]).not.toBe(
      sigmoid.simulation.perBehavior[name].testLoss[20],
    );
  });
});

describe('loss options are checked', () => {
  it('refuses an unknown loss, eps outside [0, 0.5), and eps with ipo or hinge', () => {
    expect(() => dpoLoss('dpo' as DpoLossName, 0.1)).toThrow(/unknown DPO loss/);
    expect(() => dpoLoss('sigmoid', 0.1, 0.5)).toThrow(/\[0, 0\.5\)/);
    expect(() => dpoLoss('robust', 0.1, -0.01)).toThrow(/\[0, 0\.5\)/);
    expect(() => dpoLoss('ipo', 0.1, 0.1)).toThrow(/no label smoothing/);
    expect(labelSmoothingApplies('hinge')).toBe(false);
    expect(labelSmoothingApplies('robust')).toBe(true);
  });
});
