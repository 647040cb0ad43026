import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/core/analysis/matrix.js';
import { priorityGaps, priorityLevels } from '../../src/core/analysis/priority.js';
import {
  type BehaviorSplit,
  headBoundary,
  jointRun,
  meanDifference,
} from '../../src/core/analysis/runs.js';
import { DpoSimulation, type RowSet } from '../../src/core/analysis/simulate.js';
import { behaviorStats } from '../../src/core/analysis/stats.js';

// Outputs of tools/crosscheck/analysis_reference.py: an independent numpy implementation of the
// reference definitions (np.cov + eigvalsh, explicit 3-row head with log_softmax) on a fixed matrix.
interface CurveJson {
  step: number[];
  trainLoss: number[];
  testLoss: number[];
  testAccuracy: number[];
  headChange: number[];
  bound: number[];
  cosine: number[];
}
interface Fixture {
  dim: number;
  data: number[];
  labels: number[];
  behavior: number[];
  head: { yes: number[]; no: number[] };
  simulation: { beta: number; lr: number; steps: number };
  split: Record<string, { train: number[]; test: number[] }>;
  expected: {
    stats: {
      nPositive: number;
      nNegative: number;
      meanDiff: number[];
      distinguishability: number;
      concentration: number;
      trace: number;
      normalizedDistinguishability: number;
      phi: number;
    }[];
    levelsUniform: number[];
    levelsExampleWeighted: number[];
    gaps: number[][];
    gapsExampleWeighted: number[][];
    alone: Record<string, CurveJson>;
    joint: {
      curve: CurveJson;
      perBehavior: Record<string, Omit<CurveJson, 'step' | 'headChange' | 'bound'>>;
    };
  };
}

const fixture = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../fixtures/analysis/crosscheck.json', import.meta.url)),
    'utf8',
  ),
) as Fixture;
const matrix: Matrix = {
  data: Float32Array.from(fixture.data),
  rows: fixture.labels.length,
  dim: fixture.dim,
};
const m = fixture.expected.stats.length;
const behaviorIds = Array.from({ length: m }, (_, b) => b);

function rowsOf(b: number, sign: number): Int32Array {
  return Int32Array.from(
    fixture.labels.flatMap((l, i) => (fixture.behavior[i] === b && l === sign ? [i] : [])),
  );
}

function rowSet(rows: number[]): RowSet {
  return { rows: Int32Array.from(rows), signs: Int8Array.from(rows.map((r) => fixture.labels[r])) };
}

function expectClose(actual: number, expected: number, rel = 1e-12): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(rel);
}

function expectCurveClose(
  actual: Record<string, number[]>,
  expected: Record<string, number[]>,
  keys: string[],
): void {
  for (const key of keys) {
    expect(actual[key].length, key).toBe(expected[key].length);
    actual[key].forEach((v, t) => {
      // Losses near 0 and cosines near 0 are compared absolutely at the same scale.
      const e = expected[key][t];
      expect(Math.abs(v - e), `${key}[${t}]: ${v} vs ${e}`).toBeLessThanOrEqual(
        1e-12 * Math.max(1, Math.abs(e)),
      );
    });
  }
}

describe('analysis agrees with the numpy reference (tools/crosscheck)', () => {
  const stats = behaviorIds.map((b) =>
    behaviorStats(matrix, rowsOf(b, 1), rowsOf(b, -1), { bootstrapReps: 0, head: fixture.head }),
  );

  it('per-behavior statistics', () => {
    stats.forEach((s, b) => {
      const e = fixture.expected.stats[b];
      expect(s.nPositive).toBe(e.nPositive);
      expect(s.nNegative).toBe(e.nNegative);
      expectClose(s.distinguishability, e.distinguishability);
      expectClose(s.trace, e.trace);
      expectClose(s.normalizedDistinguishability, e.normalizedDistinguishability);
      expectClose(s.phi!, e.phi);
      // eigvalsh vs Lanczos: both at working precision for a 12 x 12 covariance.
      expectClose(s.concentration, e.concentration, 1e-10);
      s.meanDiff.forEach((v, k) => expect(Math.abs(v - e.meanDiff[k])).toBeLessThanOrEqual(1e-14));
    });
  });

  it('eq. (5) levels, uniform and example-weighted, and the pairwise gaps', () => {
    const b = stats.map((s) => s.meanDiff);
    priorityLevels(b).forEach((p, i) => expectClose(p, fixture.expected.levelsUniform[i]));
    const n = stats.map((s) => s.nPositive + s.nNegative);
    priorityLevels(b, n).forEach((p, i) =>
      expectClose(p, fixture.expected.levelsExampleWeighted[i]),
    );
    const gaps = priorityGaps(b);
    gaps.forEach((row, i) =>
      row.forEach((g, j) =>
        expect(Math.abs(g - fixture.expected.gaps[i][j])).toBeLessThanOrEqual(1e-14),
      ),
    );
  });

  it('the example-weighted pairwise gaps agree with the numpy oracle and with the levels’ order', () => {
    const b = stats.map((s) => s.meanDiff);
    const n = stats.map((s) => s.nPositive + s.nNegative);
    const gaps = priorityGaps(b, n);
    gaps.forEach((row, i) =>
      row.forEach((g, j) =>
        expect(Math.abs(g - fixture.expected.gapsExampleWeighted[i][j])).toBeLessThanOrEqual(1e-14),
      ),
    );
    // Sizes 37, 24, 51: for the pair (1, 2) the unweighted gap and the weighted one disagree in
    // sign; the weighted one agrees with the pair's own example-weighted levels.
    expect(Math.sign(fixture.expected.gaps[1][2])).not.toBe(Math.sign(gaps[1][2]));
    for (let i = 0; i < 3; i++)
      for (let j = i + 1; j < 3; j++) {
        const [pi, pj] = priorityLevels([b[i], b[j]], [n[i], n[j]]);
        expect(Math.sign(gaps[i][j])).toBe(Math.sign(pi - pj));
      }
  });

  const options = { ...fixture.simulation, batchSize: 'full' as const, testFraction: 0, seed: 1 };
  const start = headBoundary(fixture.dim, fixture.head);
  const splits: BehaviorSplit[] = behaviorIds.map((b) => {
    const train = rowSet(fixture.split[b].train);
    return {
      name: String(b),
      index: b,
      train,
      test: rowSet(fixture.split[b].test),
      meanDiff: meanDifference(matrix, train),
    };
  });

  it('full-batch DPO of each behavior alone from a real (3-row) head', () => {
    for (const s of splits) {
      const sim = new DpoSimulation(
        matrix,
        { train: s.train, test: s.test, meanDiff: s.meanDiff, start, key: s.index },
        options,
      ).run();
      expectCurveClose(
        sim.curve() as unknown as Record<string, number[]>,
        fixture.expected.alone[s.name] as unknown as Record<string, number[]>,
        ['step', 'trainLoss', 'testLoss', 'testAccuracy', 'headChange', 'bound', 'cosine'],
      );
    }
  });

  it('full-batch joint DPO with each behavior evaluated on its own rows', () => {
    const sim = jointRun(matrix, splits, options, start).run();
    expectCurveClose(
      sim.curve() as unknown as Record<string, number[]>,
      fixture.expected.joint.curve as unknown as Record<string, number[]>,
      ['trainLoss', 'testLoss', 'testAccuracy', 'headChange', 'bound', 'cosine'],
    );
    const groups = sim.groups();
    for (const s of splits)
      expectCurveClose(
        groups[s.name] as unknown as Record<string, number[]>,
        fixture.expected.joint.perBehavior[s.name] as unknown as Record<string, number[]>,
        ['trainLoss', 'testLoss', 'testAccuracy', 'cosine'],
      );
  });
});
