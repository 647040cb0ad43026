import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Matrix } from './matrix.js';
import type { GemmWorker } from './gemm-client.js';
import { hasWorkerEntry, sharedRows, startWorker } from './threads.js';
import type { WorkerJob, WorkerReply } from './worker-protocol.js';

/** Analysis threads when none are asked for: the machine's parallelism, at most 8. */
export const DEFAULT_ANALYSIS_THREADS = Math.max(1, Math.min(8, availableParallelism()));

export interface PoolCallbacks {
  /** A job finished with this reply (kind 'stats' or 'runs'). */
  onResult: (index: number, reply: Exclude<WorkerReply, { kind: 'steps' | 'error' }>) => void;
  /** SGD steps done by a 'runs' job since its last report. */
  onSteps?: (steps: number) => void;
}

/**
 * Runs the jobs on up to `threads` worker threads that share the matrix, each worker taking the
 * next job when it finishes one. Returns false (and runs nothing) when no worker entry exists.
 * On abort the workers are terminated and the promise rejects with the signal's reason.
 */
export async function runInWorkers(
  m: Matrix,
  jobs: readonly WorkerJob[],
  threads: number,
  callbacks: PoolCallbacks,
  signal?: AbortSignal,
  /** Gives each worker a channel to this linear-algebra worker (its runs' states are scored there). */
  gemm?: GemmWorker | null,
  /**
   * Jobs each worker holds at once: more than one lets a worker prepare its next job while the
   * linear-algebra worker computes for the last (jobs that wait for it: statistics).
   */
  perWorker = 1,
): Promise<boolean> {
  if (!hasWorkerEntry()) return false;
  signal?.throwIfAborted();
  if (jobs.length === 0) return true;
  const matrix = sharedRows(m);
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => {
    const gemmPort = gemm?.connect();
    return startWorker({ kind: 'jobs', matrix, gemmPort }, gemmPort ? [gemmPort] : [])!;
  });
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void =>
      finish(signal?.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const feed = (w: Worker): void => {
      if (next < jobs.length) {
        const id = next++;
        w.postMessage({ id, ...jobs[id] });
      }
    };
    for (const w of workers) {
      w.on('message', (reply: WorkerReply) => {
        if (settled) return;
        if (reply.kind === 'steps') callbacks.onSteps?.(reply.steps);
        else if (reply.kind === 'error') finish(new Error(reply.error));
        else {
          callbacks.onResult(reply.id, reply);
          if (++done === jobs.length) finish();
          else feed(w);
        }
      });
      w.on('error', (error) => finish(error));
      w.on('exit', (code) =>
        finish(new Error(`an analysis worker thread stopped (exit code ${code})`)),
      );
      for (let j = 0; j < perWorker; j++) feed(w);
    }
  });
  return true;
}
