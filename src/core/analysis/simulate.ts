import type { Curve, SimulationOptions } from './types.js';
import { addRows, ResidentRows, rowDots, RunRows, SortedRowDots } from './kernels.js';
import { dpoLoss, type DpoLoss } from './losses.js';
import { dot, type Matrix, norm } from './matrix.js';
import { Rng } from './rng.js';
import { FLUSH_STATES, type StateScorer, syncStateScorer } from './state-scoring.js';

/**
 * The reference's head-only DPO (docs/reference.md, "DPO on the output head"): beta 0.01, lr 1e-5, a fresh batch of 128
 * every step, 100 steps, 90/10 split with seed 1234.
 */
export const REFERENCE_SIMULATION: SimulationOptions = {
  beta: 0.01,
  lr: 1e-5,
  steps: 100,
  batchSize: 128,
  testFraction: 0.1,
  seed: 1234,
  preset: 'reference',
};

/**
 * With a sentence-embedding model the head starts at zero and embeddings have norm ~1, so the
 * reference settings barely move the loss in 100 steps (the margin grows like lr * beta^2 * t *
 * ||b||^2 / 4). Only lr * beta^2 matters for the loss and accuracy curves (beta * (w - w0)
 * evolves by 2 lr beta^2 * mean(sigma * s * g)); lr * beta sets the head-change scale. This preset
 * keeps the DPO-typical beta = 0.1 and sets lr = 100 (lr * beta^2 = 1). Measured with the bundled
 * all-MiniLM-L6-v2 on the `question` texts of the paper's five loss-curve behaviors
 * (||mu+ - mu-|| 0.16 to 0.59), test loss at steps 10 / 100 / 300: subscribes-to-average-utilitarianism
 * 0.667 / 0.553 / 0.469, optionality-increasing 0.640 / 0.444 / 0.342, desire-to-not-have-memory-erased
 * 0.594 / 0.349 / 0.266, okay-with-building-an-AI-... 0.629 / 0.337 / 0.217, subscribes-to-Buddhism
 * 0.423 / 0.163 / 0.110: the curves separate within the first tens of steps, keep moving for
 * 300, and stay stable (a 2x larger lr still is; 20x overshoots early on).
 */
export const FAST_PREVIEW: SimulationOptions = {
  beta: 0.1,
  lr: 100,
  steps: 300,
  batchSize: 128,
  testFraction: 0.1,
  seed: 1234,
  preset: 'fast-preview',
};

export type SimulationParams = Omit<SimulationOptions, 'preset'> & {
  preset?: SimulationOptions['preset'];
};

/** Rows and their signs s (+1: chosen = yes, -1: chosen = no; flipped for misalignment). */
export interface RowSet {
  rows: Int32Array;
  signs: Int8Array;
}

/** A behavior inside a joint run: half-open ranges of the joint train and test sets. */
export interface EvalGroup {
  name: string;
  train: [number, number];
  test: [number, number];
  meanDiff: Float64Array;
}

export interface RunSpec {
  train: RowSet;
  test: RowSet;
  /** Mean difference that the bound and the cosine refer to (the training set's mu+ - mu-). */
  meanDiff: Float64Array;
  /** Boundary w = W_yes - W_no at the start of the run; it is also the reference policy. Zero if absent. */
  start?: Float64Array;
  /** Per training row sampling weight (rebalanced joint runs). */
  trainWeights?: Float64Array;
  groups?: EvalGroup[];
  /** Signs of the test rows before flipping, for misalignment runs (accuracy on the original labels). */
  originalTestSigns?: Int8Array;
  /** Separates the batch random stream of this run from the others. */
  key: number;
}

/**
 * One simulated DPO run on the two answer rows of the head, stepped one SGD step at a time.
 *
 * State: delta = w(t) - w(0) with w = W_yes - W_no. The margin of example x is
 * beta * s * delta . g(x) (the log-softmax normaliser cancels and the reference policy is the
 * start head). dL/dW_yes = -(1/|B|) sum sigma(-z) beta s g = -dL/dW_no, so each SGD step moves
 * W_yes by +lr * beta * mean(sigma(-z) s g), W_no by the opposite, and delta by twice that.
 * That is the default sigmoid loss; with another DPO-family loss (options.loss, losses.ts)
 * sigma(-z) becomes the loss's weight -dl/dm at the margin m = z, and every loss curve is that loss.
 * ||W(t) - W(0)||_F = sqrt(2) ||Delta W_yes|| = ||delta|| / sqrt(2).
 *
 * Curves, for t = 0..steps (state t = after t updates):
 * - trainLoss[t]: loss at state t on the batch drawn for step t+1, as the reference logs it
 *   (for t = steps, on one extra batch that is not used to update). With batch 'full' (or a batch
 *   at least the size of the training set) it is the whole training set's loss.
 * - testLoss[t], testAccuracy[t] on the test set; accuracy counts s * w(t) . g > 0 with the full
 *   boundary w(t) = w(0) + delta, i.e. log pi(c) > log pi(r); a tie (e.g. a zero head at t = 0)
 *   counts 1/2 (no preference). With an empty test set both are NaN (null in JSON).
 * - headChange[t] = ||W(t) - W(0)||_F, bound[t] = 6 beta lr t ||mu+ - mu-|| (Theorem 4.1),
 *   cosine[t] = cos(w(t), mu+ - mu-) (0 while w is the zero vector).
 * Group curves (joint runs) evaluate each behavior's loss on its whole training set, its test loss
 * and accuracy, and its own bound and cosine; headChange is the shared head's.
 *
 * A minibatch run needs only its batch's scores to train, so the curves' scores (test rows, and the
 * training rows of joint runs) are computed later for many states at once: one pass over the rows
 * serves up to FLUSH_STATES states (state-scoring.ts), instead of one pass per step. The numbers
 * are the same as scoring every step (each row's dot product with each state is the same code).
 * Full-batch runs need every training row's score to take a step, so they score every step.
 */
export class DpoSimulation {
  readonly steps: number;
  private t = 0;
  private readonly m: Matrix;
  private readonly spec: RunSpec;
  private readonly beta: number;
  private readonly lr: number;
  /** The DPO-family loss (losses.ts). */
  private readonly loss: DpoLoss;
  private readonly delta: Float64Array;
  private readonly start: Float64Array;
  private readonly rng: Rng;
  private readonly batchSize: number;
  private readonly fullBatch: boolean;
  private readonly perm: Int32Array;
  private readonly batch: Int32Array;
  private readonly cumWeights: Float64Array | null;
  private readonly startTestDot: Float64Array;
  private readonly testDot: Float64Array;
  /** delta . g for every training row at the current state, when the whole training set is evaluated anyway. */
  private readonly trainDot: Float64Array | null;
  private readonly trainDots: SortedRowDots | null;
  private readonly testDots: SortedRowDots | null;
  /**
   * Runs that score every row at every step keep their train + test rows in a SIMD memory of
   * their own from the first step until the last (null before, after, or when too big).
   */
  private resident: ResidentRows | null = null;
  private residentTried = false;
  /** Scores the train + test rows at each step instead of this thread alone (parallel-dots.ts). */
  private rowDots: { dots(v: Float64Array, out: Float64Array): void } | null = null;
  /** delta . g of the train rows then the test rows (trainDot and testDot are views of it). */
  private readonly allDots: Float64Array;
  private residentCoefs: Float64Array | null = null;
  private readonly grad: Float64Array;
  /** Scratch of one batch: matrix rows, delta . g, then the gradient coefficients. */
  private readonly batchRows: Int32Array;
  private readonly batchDots: Float64Array;
  private readonly margins: Float64Array;
  private readonly coefs: Float64Array;
  private readonly main: MutableCurve;
  private readonly groupCurves: MutableCurve[];
  private readonly originalAccuracy: number[] = [];
  /** Whether the curves' scores are computed after the steps (minibatch runs). */
  private readonly deferred: boolean;
  /**
   * The states (delta snapshots) whose scores are not yet in the curves, [pendingCount, d]: in
   * shared memory, so that a scorer on another thread reads them without a copy.
   */
  private pending: Float64Array = new Float64Array(0);
  private pendingCount = 0;
  /** Scores pending states itself when they pile up or the run ends; false once useScorer() takes over. */
  private flushesItself = true;
  private ownScorer: StateScorer | null = null;
  private runRows: RunRows | null = null;
  /** The boundary of the state evaluate() records (reused). */
  private w: Float64Array | null = null;
  /** ||mu+ - mu-|| of the run, then of each group. */
  private readonly meanDiffNorms: number[];
  /** Behavior of each training row and each test row (joint runs; -1 for none). */
  private readonly trainGroup: Int32Array | null;
  private readonly testGroup: Int32Array | null;

  constructor(m: Matrix, spec: RunSpec, options: SimulationParams) {
    this.m = m;
    this.spec = spec;
    this.beta = options.beta;
    this.lr = options.lr;
    this.loss = dpoLoss(options.loss ?? 'sigmoid', options.beta, options.labelSmoothing ?? 0);
    this.steps = options.steps;
    const d = m.dim;
    const nTrain = spec.train.rows.length;
    this.delta = new Float64Array(d);
    this.start = spec.start ?? new Float64Array(d);
    this.grad = new Float64Array(d);
    this.rng = new Rng(options.seed, 2, spec.key);
    const uniform =
      !spec.trainWeights || spec.trainWeights.every((w) => w === spec.trainWeights![0]);
    this.batchSize = options.batchSize === 'full' ? nTrain : Math.min(options.batchSize, nTrain);
    this.fullBatch = this.batchSize >= nTrain;
    this.perm = Int32Array.from({ length: nTrain }, (_, i) => i);
    this.batch = new Int32Array(this.batchSize);
    this.batchRows = new Int32Array(this.batchSize);
    this.batchDots = new Float64Array(this.batchSize);
    this.margins = new Float64Array(this.batchSize);
    this.coefs = new Float64Array(this.batchSize);
    if (!uniform) {
      this.cumWeights = new Float64Array(nTrain);
      let c = 0;
      for (let i = 0; i < nTrain; i++) this.cumWeights[i] = c += spec.trainWeights![i];
    } else this.cumWeights = null;
    this.startTestDot = new Float64Array(spec.test.rows.length);
    rowDots(m.data, d, spec.test.rows, spec.test.rows.length, this.start, this.startTestDot);
    this.deferred = !this.fullBatch;
    this.meanDiffNorms = [spec.meanDiff, ...(spec.groups ?? []).map((g) => g.meanDiff)].map((b) =>
      norm(b, d),
    );
    this.allDots = new Float64Array(nTrain + spec.test.rows.length);
    this.testDot = this.allDots.subarray(nTrain);
    this.trainDot = this.fullBatch ? this.allDots.subarray(0, nTrain) : null;
    this.trainDots = this.trainDot ? new SortedRowDots(spec.train.rows) : null;
    this.testDots = this.deferred ? null : new SortedRowDots(spec.test.rows);
    this.main = emptyCurve();
    this.groupCurves = (spec.groups ?? []).map(() => emptyCurve());
    if (spec.groups) {
      this.trainGroup = new Int32Array(nTrain).fill(-1);
      this.testGroup = new Int32Array(spec.test.rows.length).fill(-1);
      spec.groups.forEach((g, gi) => {
        this.trainGroup!.fill(gi, g.train[0], g.train[1]);
        this.testGroup!.fill(gi, g.test[0], g.test[1]);
      });
    } else {
      this.trainGroup = null;
      this.testGroup = null;
    }
    this.evaluate();
    if (this.steps === 0) this.main.trainLoss.push(this.batchLoss());
    if (this.steps === 0) this.flushIfDue();
  }

  get step(): number {
    return this.t;
  }

  /**
   * The rows a full-batch run scores at every step, train then test; null for minibatch runs
   * (they score their states in batches: scoredRows(), useScorer()).
   */
  evaluatedRows(): Int32Array | null {
    if (!this.trainDot) return null;
    const { train, test } = this.spec;
    const rows = new Int32Array(train.rows.length + test.rows.length);
    rows.set(train.rows);
    rows.set(test.rows, train.rows.length);
    return rows;
  }

  /** Hands the per-step scoring of evaluatedRows() to `engine` (same numbers, other threads). */
  useRowDots(engine: { dots(v: Float64Array, out: Float64Array): void }): void {
    if (!this.trainDot) throw new Error('this run does not score its whole training set');
    this.rowDots = engine;
  }

  /**
   * The rows whose scores a minibatch run's curves need, in the order of StateScorer's `from` and
   * `to`: the training rows (joint runs only) then the test rows. Null for full-batch runs.
   */
  scoredRows(): Int32Array | null {
    if (!this.deferred) return null;
    const { train, test } = this.spec;
    const nTrain = this.spec.groups ? train.rows.length : 0;
    const rows = new Int32Array(nTrain + test.rows.length);
    if (nTrain) rows.set(train.rows);
    rows.set(test.rows, nTrain);
    return rows;
  }

  /**
   * From now on the caller scores the pending states with `flushWith` (an asynchronous scorer,
   * e.g. on another thread); the run no longer does it itself. Minibatch runs only.
   */
  deferScoring(): void {
    if (!this.deferred) throw new Error('a full-batch run scores its states every step');
    this.flushesItself = false;
    // Every state from now on waits for the caller's flush: room for them all at once.
    this.reservePending(this.pendingCount + this.steps - this.t);
  }

  /** States stepped but not yet scored. */
  get pendingStates(): number {
    return this.pendingCount;
  }

  get done(): boolean {
    return this.t >= this.steps;
  }

  /** One SGD step; records the new state. */
  advance(): void {
    if (this.done) return;
    if (!this.residentTried && this.trainDot && !this.rowDots) {
      this.residentTried = true;
      const rows = this.evaluatedRows()!;
      this.resident = ResidentRows.create(this.m.data, this.m.dim, rows);
      if (this.resident) this.residentCoefs = new Float64Array(rows.length);
    }
    // An alone minibatch run's training rows stay in a SIMD instance between its steps (RunRows).
    if (!this.trainDot && !this.spec.groups)
      this.runRows ??= new RunRows(this.m.data, this.m.dim, this.spec.train.rows, this.batchSize);
    this.train(this.drawBatch());
    this.t++;
    this.evaluate();
    if (this.done) {
      this.main.trainLoss.push(this.batchLoss());
      this.resident = null;
      this.residentCoefs = null;
      this.runRows?.release();
      this.runRows = null;
    }
    this.flushIfDue();
  }

  /**
   * The SGD step of the DPO-family loss on one batch (docs/reference.md, "DPO on the output head"; losses.ts): with
   * m_j = beta s_j delta . g_j and example weights w_j (1 unless the run is rebalanced),
   *   L = sum_j w_j l(m_j) / sum_j w_j,
   *   delta += 2 lr beta / (sum_j w_j) * sum_j w_j weight(m_j) s_j g_j,   weight = -dl/dm,
   * i.e. W_yes moves by -lr dL/dW_yes and W_no by the opposite. The one place the step is written;
   * the row products come from the kernels (scoreBatch, batchGradient).
   */
  private train({ batch, margins }: { batch: Int32Array; margins: Float64Array }): void {
    const { train } = this.spec;
    const d = this.m.dim;
    const grad = this.grad;
    const coefs = this.coefs;
    grad.fill(0);
    let loss = 0;
    let wsum = 0;
    const weighted = this.fullBatch && this.cumWeights !== null;
    const { value, weight } = this.loss;
    for (let j = 0; j < batch.length; j++) {
      const i = batch[j];
      const z = margins[j];
      const w = weighted ? this.spec.trainWeights![i] : 1;
      loss += w * value(z);
      wsum += w;
      coefs[j] = w * weight(z) * train.signs[i];
    }
    this.batchGradient(batch, coefs, grad);
    this.main.trainLoss.push(loss / wsum);
    const f = (2 * this.lr * this.beta) / wsum;
    for (let k = 0; k < d; k++) this.delta[k] += f * grad[k];
  }

  /**
   * grad += sum_j coefs[j] g(batch[j]). An alone minibatch run adds the rows in batch order
   * (RunRows). Full-batch and joint runs sum over the training rows in training-set order (repeats
   * add up first), whichever memory holds the rows, so the result does not depend on it (nor on
   * the thread count, parallel-dots.ts).
   */
  private batchGradient(batch: Int32Array, coefs: Float64Array, grad: Float64Array): void {
    if (this.runRows) {
      this.runRows.addTo(batch, this.batchRows, coefs, batch.length, grad);
      return;
    }
    const nTrain = this.spec.train.rows.length;
    const all = (this.residentCoefs ??= new Float64Array(nTrain + this.spec.test.rows.length));
    all.fill(0);
    for (let j = 0; j < batch.length; j++) all[batch[j]] += coefs[j];
    if (this.resident) this.resident.addTo(all, grad);
    else {
      const rows = this.batchRows;
      let n = 0;
      for (let i = 0; i < nTrain; i++)
        if (all[i] !== 0) {
          rows[n] = this.spec.train.rows[i];
          coefs[n++] = all[i];
        }
      addRows(this.m.data, this.m.dim, rows, coefs, n, grad);
    }
  }

  /** Runs the remaining steps synchronously. */
  run(): this {
    while (!this.done) this.advance();
    return this;
  }

  /** Boundary w(t) = W_yes(t) - W_no(t). */
  boundary(): Float64Array {
    const w = new Float64Array(this.m.dim);
    for (let k = 0; k < w.length; k++) w[k] = this.start[k] + this.delta[k];
    return w;
  }

  curve(): Curve {
    this.assertScored();
    return freeze(this.main);
  }

  groups(): Record<string, Curve> {
    this.assertScored();
    const out: Record<string, Curve> = {};
    (this.spec.groups ?? []).forEach((g, i) => (out[g.name] = freeze(this.groupCurves[i])));
    return out;
  }

  /** Test accuracy on the original (unflipped) labels, per state; empty unless the spec has them. */
  originalTestAccuracy(): number[] {
    this.assertScored();
    return this.originalAccuracy.slice();
  }

  private assertScored(): void {
    if (this.pendingCount)
      throw new Error(`${this.pendingCount} states of this run are not scored yet (flushWith)`);
  }

  private flushIfDue(): void {
    if (!this.flushesItself || this.pendingCount === 0) return;
    if (this.done || this.pendingCount >= FLUSH_STATES) {
      this.ownScorer ??= syncStateScorer(this.m, this.scoredRows()!);
      void this.flushWith(this.ownScorer);
    }
  }

  /**
   * Scores the pending states with `scorer` and appends them to the curves. With a synchronous
   * scorer this completes before it returns.
   */
  flushWith(scorer: StateScorer, signal?: AbortSignal): Promise<void> | void {
    const k = this.pendingCount;
    if (k === 0) return;
    const d = this.m.dim;
    const heads = this.pending.subarray(0, k * d);
    const acc = new ScoreSums(k, this.groupCurves.length);
    const nRows = (this.spec.groups ? this.spec.train.rows.length : 0) + this.spec.test.rows.length;
    const step = Math.max(1, scorer.chunkRows);
    const finish = (): void => {
      this.pendingCount = 0;
      this.record(acc);
    };
    const chunks: [number, number][] = [];
    for (let from = 0; from < nRows; from += step)
      chunks.push([from, Math.min(nRows, from + step)]);
    if (chunks.length === 0) return finish();
    const first = scorer.score(chunks[0][0], chunks[0][1], heads, k);
    if (!(first instanceof Promise)) {
      this.absorb(acc, first, k, chunks[0][0], chunks[0][1]);
      for (const [from, to] of chunks.slice(1))
        this.absorb(acc, scorer.score(from, to, heads, k) as Float64Array, k, from, to);
      return finish();
    }
    // Asynchronous: the next chunk is asked for before this one is added up, so both sides work.
    return (async () => {
      let ahead: Promise<Float64Array> = first;
      for (let c = 0; c < chunks.length; c++) {
        const scores = await ahead;
        if (signal?.aborted) {
          // The chunk asked for ahead is dropped, and so is its answer.
          void ahead.catch(() => undefined);
          signal.throwIfAborted();
        }
        if (c + 1 < chunks.length)
          ahead = Promise.resolve(scorer.score(chunks[c + 1][0], chunks[c + 1][1], heads, k));
        this.absorb(acc, scores, k, chunks[c][0], chunks[c][1]);
      }
      finish();
    })();
  }

  private drawBatch(): { batch: Int32Array; margins: Float64Array } {
    const batch = this.pickBatch();
    return { batch, margins: this.scoreBatch(batch) };
  }

  /** The next batch's training-set indices (batchRows: their matrix rows). */
  private pickBatch(): Int32Array {
    const nTrain = this.spec.train.rows.length;
    let batch: Int32Array;
    if (this.fullBatch) batch = this.perm;
    else if (this.cumWeights) {
      // Weighted: with replacement, proportional to the row weights.
      const cw = this.cumWeights;
      const total = cw[nTrain - 1];
      for (let j = 0; j < this.batchSize; j++) {
        const u = this.rng.float() * total;
        let lo = 0;
        let hi = nTrain - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cw[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        this.batch[j] = lo;
      }
      batch = this.batch;
    } else {
      this.rng.sampleWithoutReplacement(this.perm, this.batchSize, this.batch);
      batch = this.batch;
    }
    const { rows } = this.spec.train;
    for (let j = 0; j < batch.length; j++) this.batchRows[j] = rows[batch[j]];
    return batch;
  }

  /** Margins beta * s * delta . g of the batch's rows. */
  private scoreBatch(batch: Int32Array): Float64Array {
    const { signs } = this.spec.train;
    const n = batch.length;
    const dots = this.batchDots;
    const trainDot = this.trainDot;
    if (trainDot) for (let j = 0; j < n; j++) dots[j] = trainDot[batch[j]];
    else if (this.runRows) this.runRows.dots(batch, this.batchRows, n, this.delta, dots);
    else rowDots(this.m.data, this.m.dim, this.batchRows, n, this.delta, dots);
    const margins = this.margins;
    for (let j = 0; j < n; j++) margins[j] = this.beta * signs[batch[j]] * dots[j];
    return margins;
  }

  private batchLoss(): number {
    const { batch, margins } = this.drawBatch();
    let loss = 0;
    let wsum = 0;
    const weighted = this.fullBatch && this.cumWeights !== null;
    const value = this.loss.value;
    for (let j = 0; j < batch.length; j++) {
      const w = weighted ? this.spec.trainWeights![batch[j]] : 1;
      loss += w * value(margins[j]);
      wsum += w;
    }
    return wsum > 0 ? loss / wsum : Number.NaN;
  }

  /** Appends a state to the pending block. */
  private keepPending(state: Float64Array): void {
    this.reservePending(this.pendingCount + 1);
    this.pending.set(state, this.pendingCount * this.m.dim);
    this.pendingCount++;
  }

  /** Room in the pending block for `states` states (at least FLUSH_STATES, or twice as many as now). */
  private reservePending(states: number): void {
    const d = this.m.dim;
    if (states * d <= this.pending.length) return;
    const room = Math.max(states, FLUSH_STATES, (2 * this.pending.length) / d);
    const grown = new Float64Array(new SharedArrayBuffer(8 * room * d));
    grown.set(this.pending.subarray(0, this.pendingCount * d));
    this.pending = grown;
  }

  /**
   * Records state t: its geometry now; its scores now (full batch) or when the pending states are
   * flushed (minibatch).
   */
  private evaluate(): void {
    const { groups } = this.spec;
    const d = this.m.dim;
    // boundary(), norm(delta), norm(w) and w . meanDiff in one pass, each sum in its own order
    // (the numbers of the separate loops): this runs after every step of every run.
    const w = (this.w ??= new Float64Array(d));
    const { start, delta } = this;
    const main = this.spec.meanDiff;
    let dd = 0;
    let ww = 0;
    let wm = 0;
    for (let k = 0; k < d; k++) {
      const x = start[k] + delta[k];
      w[k] = x;
      dd += delta[k] * delta[k];
      ww += x * x;
      wm += x * main[k];
    }
    const headChange = Math.SQRT1_2 * Math.sqrt(dd);
    const rate = 6 * this.beta * this.lr * this.t;
    // cosine() of matrix.ts, with the norms computed once (a joint run has a direction per behavior).
    const wNorm = Math.sqrt(ww);
    const cos = (wb: number, bNorm: number): number =>
      wNorm === 0 || bNorm === 0 ? 0 : wb / (wNorm * bNorm);
    const c = this.main;
    c.step.push(this.t);
    c.headChange.push(headChange);
    c.bound.push(rate * this.meanDiffNorms[0]);
    c.cosine.push(cos(wm, this.meanDiffNorms[0]));
    (groups ?? []).forEach((g, gi) => {
      const gc = this.groupCurves[gi];
      gc.step.push(this.t);
      gc.headChange.push(headChange);
      gc.bound.push(rate * this.meanDiffNorms[gi + 1]);
      gc.cosine.push(cos(dot(w, g.meanDiff, d), this.meanDiffNorms[gi + 1]));
    });
    if (this.deferred) {
      this.keepPending(this.delta);
      return;
    }
    const { data } = this.m;
    if (this.rowDots) this.rowDots.dots(this.delta, this.allDots);
    else if (this.resident) this.resident.dots(this.delta, this.allDots);
    else {
      this.testDots!.run(data, d, this.delta, this.testDot);
      this.trainDots!.run(data, d, this.delta, this.trainDot!);
    }
    // Full batch: the scores are train rows then test rows; only joint runs' curves use the train part.
    const acc = new ScoreSums(1, this.groupCurves.length);
    const nTrain = this.spec.train.rows.length;
    const from = groups ? 0 : nTrain;
    this.absorb(acc, this.allDots.subarray(from), 1, from, this.allDots.length, nTrain);
    this.record(acc);
  }

  /**
   * Adds the scores of rows [from, to) of the scored layout (training rows of joint runs, then
   * test rows; the training part is `trainLength` long) for k states: scores[(j - from) * k + s].
   * Each state's sums run over the rows in order, as a per-step evaluation would add them.
   */
  private absorb(
    acc: ScoreSums,
    scores: Float64Array,
    k: number,
    from: number,
    to: number,
    trainLength: number = this.spec.groups ? this.spec.train.rows.length : 0,
  ): void {
    const { train, test, originalTestSigns } = this.spec;
    const beta = this.beta;
    const value = this.loss.value;
    // Row by row, every state of a row in turn: each state's sums still add the rows in order.
    for (let j = from; j < to; j++) {
      const at = (j - from) * k;
      if (j < trainLength) {
        const g = this.trainGroup![j];
        if (g < 0) continue;
        const bs = beta * train.signs[j];
        const sums = acc.groupTrainLoss.subarray(g * k, (g + 1) * k);
        for (let s = 0; s < k; s++) sums[s] += value(bs * scores[at + s]);
        continue;
      }
      const i = j - trainLength;
      const sign = test.signs[i];
      const bs = beta * sign;
      const start = this.startTestDot[i];
      const original = originalTestSigns ? originalTestSigns[i] : 0;
      const g = this.testGroup ? this.testGroup[i] : -1;
      for (let s = 0; s < k; s++) {
        const dot = scores[at + s];
        const loss = value(bs * dot);
        const full = start + dot;
        const right = hit(sign * full);
        acc.testLoss[s] += loss;
        acc.testCorrect[s] += right;
        acc.originalCorrect[s] += hit(original * full);
        if (g >= 0) {
          acc.groupTestLoss[g * k + s] += loss;
          acc.groupTestCorrect[g * k + s] += right;
        }
      }
    }
  }

  /** Appends the scored states' losses and accuracies to the curves. */
  private record(acc: ScoreSums): void {
    const { test, groups, originalTestSigns } = this.spec;
    const nTest = test.rows.length;
    const mean = (sum: number, n: number): number => (n > 0 ? sum / n : Number.NaN);
    for (let s = 0; s < acc.k; s++) {
      this.main.testLoss.push(mean(acc.testLoss[s], nTest));
      this.main.testAccuracy.push(mean(acc.testCorrect[s], nTest));
      if (originalTestSigns) this.originalAccuracy.push(mean(acc.originalCorrect[s], nTest));
      (groups ?? []).forEach((g, gi) => {
        const gc = this.groupCurves[gi];
        const nTrain = g.train[1] - g.train[0];
        const nTestG = g.test[1] - g.test[0];
        gc.trainLoss.push(mean(acc.groupTrainLoss[gi * acc.k + s], nTrain));
        gc.testLoss.push(mean(acc.groupTestLoss[gi * acc.k + s], nTestG));
        gc.testAccuracy.push(mean(acc.groupTestCorrect[gi * acc.k + s], nTestG));
      });
    }
  }
}

/**
 * One example's contribution to accuracy from its signed score s * w . g: 1 when the chosen answer
 * is preferred, 0 when the rejected one is, 1/2 for a tie (no preference either way; a zero head
 * at t = 0 scores every example as a tie, so its accuracy is 0.5, not 0).
 */
const hit = (signed: number): number => (signed > 0 ? 1 : signed === 0 ? 0.5 : 0);

/** Per-state sums of the scored rows' losses and hits (k states; per group g at g * k + state). */
class ScoreSums {
  readonly testLoss: Float64Array;
  readonly testCorrect: Float64Array;
  readonly originalCorrect: Float64Array;
  readonly groupTrainLoss: Float64Array;
  readonly groupTestLoss: Float64Array;
  readonly groupTestCorrect: Float64Array;

  constructor(
    readonly k: number,
    groups: number,
  ) {
    this.testLoss = new Float64Array(k);
    this.testCorrect = new Float64Array(k);
    this.originalCorrect = new Float64Array(k);
    this.groupTrainLoss = new Float64Array(k * groups);
    this.groupTestLoss = new Float64Array(k * groups);
    this.groupTestCorrect = new Float64Array(k * groups);
  }
}

type MutableCurve = { [K in keyof Curve]: number[] };

function emptyCurve(): MutableCurve {
  return {
    step: [],
    trainLoss: [],
    testLoss: [],
    testAccuracy: [],
    headChange: [],
    bound: [],
    cosine: [],
  };
}

function freeze(c: MutableCurve): Curve {
  return {
    step: c.step.slice(),
    trainLoss: c.trainLoss.slice(),
    testLoss: c.testLoss.slice(),
    testAccuracy: c.testAccuracy.slice(),
    headChange: c.headChange.slice(),
    bound: c.bound.slice(),
    cosine: c.cosine.slice(),
  };
}

export interface StepProgress {
  /** Steps done over all runs so far, and in total. */
  done: number;
  total: number;
}

/**
 * Steps the runs to completion, yielding to the event loop every `sliceMs` so a UI stays live,
 * reporting progress and stopping (with the signal's reason) when the signal aborts.
 */
export async function runToCompletion(
  sims: readonly DpoSimulation[],
  options: {
    signal?: AbortSignal;
    onProgress?: (p: StepProgress) => void;
    /** The steps done since the last report (for callers that add up several sources). */
    onSteps?: (steps: number) => void;
    sliceMs?: number;
  } = {},
): Promise<void> {
  const total = sims.reduce((s, x) => s + x.steps, 0);
  let done = sims.reduce((s, x) => s + x.step, 0);
  let reported = done;
  const report = (): void => {
    options.onProgress?.({ done, total });
    options.onSteps?.(done - reported);
    reported = done;
  };
  const sliceMs = options.sliceMs ?? 25;
  let sliceStart = Date.now();
  options.signal?.throwIfAborted();
  for (const sim of sims) {
    while (!sim.done) {
      sim.advance();
      done++;
      if (Date.now() - sliceStart >= sliceMs) {
        report();
        await yieldToEventLoop();
        options.signal?.throwIfAborted();
        sliceStart = Date.now();
      }
    }
  }
  report();
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
