import type { GemmWorker } from './gemm-client.js';
import type { Matrix } from './matrix.js';
import { ParallelRowDots } from './parallel-dots.js';
import {
  type DpoSimulation,
  runToCompletion,
  type StepProgress,
  yieldToEventLoop,
} from './simulate.js';
import { type StateScorer, syncStateScorer } from './state-scoring.js';

/** Below this many numbers scored per step (rows x dim), a full-batch joint run stays on one thread. */
const PARALLEL_SCORING_MIN = 1 << 18;

export interface JointStepOptions {
  /** The linear-algebra worker: scores the states of a minibatch run (null: this thread does). */
  gemm: GemmWorker | null;
  threads: number;
  signal?: AbortSignal;
  onProgress?: (p: StepProgress) => void;
  onSteps?: (steps: number) => void;
}

/**
 * Runs a joint run (every behavior's rows, scored at every state) to its end. A minibatch run
 * takes its steps first (they need only their batches) and then scores all its states in one
 * pass over the mixture: in the linear-algebra worker, or here between yields. A full-batch run
 * needs every row's score at every step: it scores on `threads` threads as it goes.
 */
export async function stepJointRun(
  m: Matrix,
  run: DpoSimulation,
  options: JointStepOptions,
): Promise<void> {
  const { signal } = options;
  const rows = run.scoredRows();
  if (rows) {
    run.deferScoring();
    await runToCompletion([run], options);
    await run.flushWith(options.gemm?.scorer(rows) ?? yielding(syncStateScorer(m, rows)), signal);
    return;
  }
  const all = run.evaluatedRows()!;
  const engine =
    options.threads > 1 && all.length * m.dim >= PARALLEL_SCORING_MIN
      ? ParallelRowDots.create(m, all, options.threads)
      : null;
  if (engine) run.useRowDots(engine);
  try {
    await runToCompletion([run], options);
  } finally {
    engine?.dispose();
  }
}

/** The same scores, yielding to the event loop between slices of about `sliceMs`. */
function yielding(scorer: StateScorer, sliceMs = 25): StateScorer {
  let since = Date.now();
  return {
    chunkRows: scorer.chunkRows,
    async score(from, to, heads, k) {
      if (Date.now() - since >= sliceMs) {
        await yieldToEventLoop();
        since = Date.now();
      }
      return scorer.score(from, to, heads, k);
    },
  };
}
