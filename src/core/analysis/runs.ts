import type { Curve, JointRun, MisalignmentRun } from './types.js';
import { addRows } from './linalg.js';
import type { Matrix } from './matrix.js';
import { Rng } from './rng.js';
import { DpoSimulation, type EvalGroup, type RowSet, type SimulationParams } from './simulate.js';

/** One behavior's rows of the matrix, with labels +1 (chosen = yes) / -1 (chosen = no). */
export interface BehaviorRows {
  name: string;
  rows: Int32Array;
  labels: Int8Array;
}

export interface BehaviorSplit {
  name: string;
  /** Position of the behavior in the mixture; salts its split and batch streams. */
  index: number;
  train: RowSet;
  test: RowSet;
  /** mu+ - mu- of the training rows. */
  meanDiff: Float64Array;
  /** Sums of the training rows of each class (a joint run's mean difference adds them up). */
  sums?: ClassSums;
}

export interface ClassSums {
  pos: Float64Array;
  neg: Float64Array;
  np: number;
  nn: number;
}

/**
 * Seeded random train/test split of one behavior: its rows are shuffled with a stream salted by
 * the behavior's index and the first ceil(testFraction * n) become the test set (sklearn's
 * train_test_split rounding). Not stratified, like the reference.
 */
export function splitBehavior(
  m: Matrix,
  b: BehaviorRows,
  index: number,
  testFraction: number,
  seed: number,
): BehaviorSplit {
  const n = b.rows.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(seed, 1, index).shuffle(order);
  const nTest = Math.min(n, Math.ceil(testFraction * n - 1e-9));
  const pick = (from: number, to: number): RowSet => {
    const rows = new Int32Array(to - from);
    const signs = new Int8Array(to - from);
    for (let i = from; i < to; i++) {
      rows[i - from] = b.rows[order[i]];
      signs[i - from] = b.labels[order[i]] > 0 ? 1 : -1;
    }
    return { rows, signs };
  };
  const test = pick(0, nTest);
  const train = pick(nTest, n);
  const sums = classSums(m, train);
  return { name: b.name, index, train, test, meanDiff: difference(sums), sums };
}

/** mu+ - mu- of a row set (0 for an empty class). */
export function meanDifference(m: Matrix, set: RowSet): Float64Array {
  return difference(classSums(m, set));
}

/** Each class's rows summed row by row in set order (coefficient 1: the sums of a plain loop). */
export function classSums(m: Matrix, set: RowSet): ClassSums {
  const d = m.dim;
  const sum = (rows: Int32Array): Float64Array => {
    const acc = new Float64Array(d);
    addRows(m.data, d, rows, new Float64Array(rows.length).fill(1), rows.length, acc);
    return acc;
  };
  const posRows = set.rows.filter((_, i) => set.signs[i] > 0);
  const negRows = set.rows.filter((_, i) => set.signs[i] <= 0);
  return { pos: sum(posRows), neg: sum(negRows), np: posRows.length, nn: negRows.length };
}

function difference({ pos, neg, np, nn }: ClassSums): Float64Array {
  const out = new Float64Array(pos.length);
  for (let k = 0; k < pos.length; k++) out[k] = (np ? pos[k] / np : 0) - (nn ? neg[k] / nn : 0);
  return out;
}

/** The class sums of several row sets together (theirs added in order). */
function combine(parts: readonly ClassSums[], d: number): ClassSums {
  const total: ClassSums = { pos: new Float64Array(d), neg: new Float64Array(d), np: 0, nn: 0 };
  for (const p of parts) {
    for (let k = 0; k < d; k++) {
      total.pos[k] += p.pos[k];
      total.neg[k] += p.neg[k];
    }
    total.np += p.np;
    total.nn += p.nn;
  }
  return total;
}

function flip(set: RowSet): RowSet {
  return { rows: set.rows, signs: set.signs.map((s) => -s) };
}

/** Initial boundary W_B = W_U[yes] - W_U[no] of a real LM head (zero head otherwise). */
export function headBoundary(
  d: number,
  head?: { yes: ArrayLike<number>; no: ArrayLike<number> },
): Float64Array {
  const w = new Float64Array(d);
  if (head) for (let k = 0; k < d; k++) w[k] = head.yes[k] - head.no[k];
  return w;
}

const KEY_JOINT = 1_000_003;
const KEY_MISALIGN = 2_000_003;

/** One behavior trained alone from the boundary `start` (the base head). */
export function aloneRun(
  m: Matrix,
  split: BehaviorSplit,
  options: SimulationParams,
  start?: Float64Array,
): DpoSimulation {
  return new DpoSimulation(
    m,
    { train: split.train, test: split.test, meanDiff: split.meanDiff, start, key: split.index },
    options,
  );
}

/**
 * Behaviors trained together: the training sets are concatenated (and the test sets), each
 * behavior is evaluated on its own rows every step. `weights` are per-behavior sampling weights
 * (upsampling factors): a row of behavior i is drawn with probability proportional to weights[i].
 */
export function jointRun(
  m: Matrix,
  splits: readonly BehaviorSplit[],
  options: SimulationParams,
  start?: Float64Array,
  weights?: readonly number[],
): DpoSimulation {
  const nTrain = splits.reduce((s, x) => s + x.train.rows.length, 0);
  const nTest = splits.reduce((s, x) => s + x.test.rows.length, 0);
  const train: RowSet = { rows: new Int32Array(nTrain), signs: new Int8Array(nTrain) };
  const test: RowSet = { rows: new Int32Array(nTest), signs: new Int8Array(nTest) };
  const trainWeights = weights ? new Float64Array(nTrain) : undefined;
  const groups: EvalGroup[] = [];
  let a = 0;
  let b = 0;
  splits.forEach((s, i) => {
    train.rows.set(s.train.rows, a);
    train.signs.set(s.train.signs, a);
    if (trainWeights) trainWeights.fill(weights![i], a, a + s.train.rows.length);
    test.rows.set(s.test.rows, b);
    test.signs.set(s.test.signs, b);
    groups.push({
      name: s.name,
      train: [a, a + s.train.rows.length],
      test: [b, b + s.test.rows.length],
      meanDiff: s.meanDiff,
    });
    a += s.train.rows.length;
    b += s.test.rows.length;
  });
  // From the behaviors' class sums when they came with them: no second pass over the mixture.
  const sums = splits.map((x) => x.sums);
  const meanDiff = sums.every((x) => x !== undefined)
    ? difference(combine(sums as ClassSums[], m.dim))
    : meanDifference(m, train);
  return new DpoSimulation(
    m,
    { train, test, meanDiff, start, groups, trainWeights, key: KEY_JOINT },
    options,
  );
}

/**
 * Misalignment: every example's chosen and rejected swapped, from `start` (the base head, or the
 * head after the aligned run). The reference policy is the start head, so with the same embeddings
 * the flipped-label loss curve does not depend on the start; the accuracies do.
 */
export function misalignmentRun(
  m: Matrix,
  split: BehaviorSplit,
  options: SimulationParams,
  start?: Float64Array,
): DpoSimulation {
  return new DpoSimulation(
    m,
    {
      train: flip(split.train),
      test: flip(split.test),
      meanDiff: split.meanDiff.map((x) => -x),
      start,
      originalTestSigns: split.test.signs,
      key: KEY_MISALIGN + split.index,
    },
    options,
  );
}

export function toJointRun(sim: DpoSimulation, names: string[]): JointRun {
  return { behaviors: names, curve: sim.curve(), perBehavior: sim.groups() };
}

/** A finished misalignment run as the report's shape. */
export function toMisalignmentRun(
  sim: DpoSimulation,
  behavior: string,
  start: 'base' | 'aligned',
  model: string,
): MisalignmentRun & { originalAccuracy: number[] } {
  const originalAccuracy = sim.originalTestAccuracy();
  // Only a start that prefers the original labels (accuracy above 1/2) has something to undo; from
  // a start without preference (a zero head: every example a tie) "below 50%" says nothing.
  const preferenceAtStart = originalAccuracy[0] > 0.5;
  const idx = preferenceAtStart ? originalAccuracy.findIndex((a) => a < 0.5) : -1;
  return {
    behavior,
    start,
    model,
    curve: sim.curve(),
    stepsToBelowHalf: idx < 0 ? null : idx,
    preferenceAtStart,
    originalAccuracy,
  };
}

export type { Curve };
