import { type BehaviorRunsJob, type BehaviorRunsResult, runBehavior } from './behavior-runs.js';
import type { Matrix } from './matrix.js';
import type { GemmWorker } from './gemm-client.js';
import { type DpoSimulation, runToCompletion, yieldToEventLoop } from './simulate.js';
import {
  behaviorStats,
  type BehaviorStats,
  behaviorStatsWith,
  type StatsOptions,
} from './stats.js';
import { DEFAULT_ANALYSIS_THREADS, runInWorkers } from './worker-pool.js';

/**
 * The per-behavior parts of the analysis (statistics; the runs of each behavior on its own), on
 * worker threads that share the embedding matrix, or on the calling thread for threads = 1 or
 * where no worker entry exists. Every behavior is computed by the same code either way, so the
 * results do not depend on the thread count.
 */
export interface ParallelOptions {
  /** Worker threads (default: the machine's parallelism, at most 8); 1 = the calling thread. */
  threads?: number;
  signal?: AbortSignal;
}

export interface StatsJob {
  name: string;
  positives: Int32Array;
  negatives: Int32Array;
}

/**
 * behaviorStats for each job, in the order of `jobs`; onProgress after each behavior. With a
 * linear-algebra worker (or one starting: a promise) every thread takes its Gram matrices and
 * bootstrap products from it (behaviorStatsWith); should it not start, the WebAssembly kernels
 * compute the same quantities (the same numbers to the spectral tolerance and to rounding).
 */
export async function behaviorStatsAll(
  m: Matrix,
  jobs: readonly StatsJob[],
  options: StatsOptions,
  run: ParallelOptions & {
    onProgress?: (done: number, total: number, name: string) => void;
    gemm?: GemmWorker | null | Promise<GemmWorker | null>;
  } = {},
): Promise<BehaviorStats[]> {
  const gemm = (await run.gemm) ?? null;
  const out = new Array<BehaviorStats>(jobs.length);
  let done = 0;
  const threads = Math.min(run.threads ?? DEFAULT_ANALYSIS_THREADS, jobs.length);
  const ran =
    threads > 1 &&
    (await runInWorkers(
      m,
      jobs.map((j) => ({ kind: 'stats', positives: j.positives, negatives: j.negatives, options })),
      threads,
      {
        onResult: (i, reply) => {
          if (reply.kind !== 'stats') return;
          out[i] = reply.stats;
          run.onProgress?.(++done, jobs.length, jobs[i].name);
        },
      },
      run.signal,
      gemm,
      // A statistics job waits for the linear-algebra worker's products: with two at once, the
      // thread works on one while the other's are computed.
      gemm ? 2 : 1,
    ));
  if (ran) return out;
  for (let i = 0; i < jobs.length; i++) {
    run.signal?.throwIfAborted();
    const { positives, negatives } = jobs[i];
    out[i] = gemm
      ? await behaviorStatsWith(m, positives, negatives, gemm, options)
      : behaviorStats(m, positives, negatives, options);
    run.onProgress?.(i + 1, jobs.length, jobs[i].name);
    await yieldToEventLoop();
  }
  return out;
}

/** runBehavior for each job, in the order of `jobs`; onSteps as SGD steps complete. */
export async function behaviorRunsAll(
  m: Matrix,
  jobs: readonly BehaviorRunsJob[],
  run: ParallelOptions & {
    onSteps?: (steps: number) => void;
    /** Scores the runs' states (the same numbers on any thread count). */
    gemm?: GemmWorker | null;
  } = {},
): Promise<BehaviorRunsResult[]> {
  const out = new Array<BehaviorRunsResult>(jobs.length);
  const onSteps = run.onSteps ?? (() => undefined);
  const threads = Math.min(run.threads ?? DEFAULT_ANALYSIS_THREADS, jobs.length);
  const ran =
    threads > 1 &&
    (await runInWorkers(
      m,
      jobs.map((j) => ({ kind: 'runs', ...j })),
      threads,
      {
        onResult: (i, reply) => {
          if (reply.kind === 'runs') out[i] = reply.result;
        },
        onSteps,
      },
      run.signal,
      run.gemm,
    ));
  if (ran) return out;
  run.signal?.throwIfAborted();
  const step = (sims: DpoSimulation[]): Promise<void> =>
    runToCompletion(sims, { signal: run.signal, onSteps });
  const { gemm } = run;
  const scorerFor = gemm ? (rows: Int32Array) => gemm.scorer(rows) : undefined;
  for (let i = 0; i < jobs.length; i++) out[i] = await runBehavior(m, jobs[i], step, scorerFor);
  return out;
}
