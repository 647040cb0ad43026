// Entry of an analysis worker thread (dist/analysis-worker.js): per-behavior statistics and
// simulated runs on rows of the embedding matrix, read from the SharedArrayBuffer the worker was
// started with (no copy). Pure JavaScript and WebAssembly, safe on several threads (onnxruntime is
// only ever loaded by the one linear-algebra worker, gemm-worker.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runBehavior } from './behavior-runs.js';
import { GemmChannel } from './gemm-client.js';
import type { Matrix } from './matrix.js';
import { sharedMatrix } from './threads.js';
import { CTRL, fixedRowDots } from './parallel-dots.js';
import { behaviorStats, behaviorStatsWith } from './stats.js';
import type { DotsWorkerData, WorkerData, WorkerReply, WorkerRequest } from './worker-protocol.js';

const init = workerData as Exclude<WorkerData, { kind: 'gemm' }>;
const matrix: Matrix = sharedMatrix(init.matrix);
/**
 * The linear-algebra worker, when the pool was given a channel to it: the statistics' Gram matrices
 * and bootstrap products, and the scores of the runs' states.
 */
const gemm =
  init.kind === 'jobs' && init.gemmPort ? new GemmChannel(init.gemmPort, matrix.dim) : null;

/** Progress granularity: a message per this many SGD steps. */
const STEPS_PER_MESSAGE = 50;

const send = (reply: WorkerReply): void => parentPort?.postMessage(reply);

const handle = async (job: WorkerRequest): Promise<WorkerReply> => {
  if (job.kind === 'stats')
    return {
      id: job.id,
      kind: 'stats',
      stats: gemm
        ? await behaviorStatsWith(matrix, job.positives, job.negatives, gemm, job.options)
        : behaviorStats(matrix, job.positives, job.negatives, job.options),
    };
  let pending = 0;
  const scorerFor = gemm ? (rows: Int32Array) => gemm.scorer(rows) : undefined;
  const result = await runBehavior(
    matrix,
    job,
    (sims) => {
      for (const sim of sims)
        while (!sim.done) {
          sim.advance();
          if (++pending === STEPS_PER_MESSAGE) {
            send({ id: job.id, kind: 'steps', steps: pending });
            pending = 0;
          }
        }
    },
    scorerFor,
  );
  if (pending) send({ id: job.id, kind: 'steps', steps: pending });
  return { id: job.id, kind: 'runs', result };
};

/** The dots loop: blocks this thread between rounds (it has nothing else to do). */
const serveDots = (w: DotsWorkerData): void => {
  const { ctrl, vec, out, rows, from } = w;
  const dots = fixedRowDots(matrix.data, matrix.dim, rows);
  const slice = out.subarray(from, from + rows.length);
  const v = new Float64Array(vec.length);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.generation, seen);
    seen = Atomics.load(ctrl, CTRL.generation);
    if (Atomics.load(ctrl, CTRL.stop)) return;
    try {
      v.set(vec);
      dots.dots(v, slice);
    } catch {
      Atomics.store(ctrl, CTRL.failed, 1);
    }
    if (Atomics.sub(ctrl, CTRL.pending, 1) === 1) Atomics.notify(ctrl, CTRL.pending);
  }
};

if (init.kind === 'dots') serveDots(init);
else
  parentPort?.on('message', (job: WorkerRequest) => {
    handle(job).then(send, (error: unknown) =>
      send({
        id: job.id,
        kind: 'error',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  });
