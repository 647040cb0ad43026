import { existsSync } from 'node:fs';
import { HalfRows } from '../io/half.js';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Transferable, Worker } from 'node:worker_threads';
import type { Matrix } from './matrix.js';
import type { GemmWorker } from './gemm-client.js';
import type { SharedMatrix, WorkerData, WorkerJob, WorkerReply } from './worker-protocol.js';

/** Analysis threads when none are asked for: the machine's parallelism, at most 8. */
export const DEFAULT_ANALYSIS_THREADS = Math.max(1, Math.min(8, availableParallelism()));

type Entry = { code: string; eval: boolean } | null;

/**
 * A worker's entry: the esbuild bundle next to this one (dist/<name>.js), or the TypeScript
 * source through tsx's require hook; null when neither is there.
 */
const entries = new Map<string, Entry>();
const workerEntry = (name = 'analysis-worker'): Entry => {
  if (!entries.has(name)) entries.set(name, findWorkerEntry(name));
  return entries.get(name)!;
};

const findWorkerEntry = (name: string): Entry => {
  if (__filename.endsWith('.ts')) {
    const tsx = createRequire(__filename).resolve('tsx/cjs/api');
    const source = join(__dirname, `${name}.ts`);
    return {
      code: `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`,
      eval: true,
    };
  }
  const file = join(__dirname, `${name}.js`);
  return existsSync(file) ? { code: file, eval: false } : null;
};

/** The matrix's rows in a SharedArrayBuffer: the embedder allocates them there; others are copied once. */
export const sharedRows = (m: Matrix): SharedMatrix => {
  if (m.data instanceof HalfRows) {
    const bits = m.data.bits.subarray(0, m.rows * m.dim);
    const at = { rows: m.rows, dim: m.dim, half: true };
    if (bits.buffer instanceof SharedArrayBuffer)
      return { buffer: bits.buffer, byteOffset: bits.byteOffset, ...at };
    const buffer = new SharedArrayBuffer(bits.byteLength);
    new Uint16Array(buffer).set(bits);
    return { buffer, byteOffset: 0, ...at };
  }
  const view = m.data.subarray(0, m.rows * m.dim);
  if (view.buffer instanceof SharedArrayBuffer)
    return { buffer: view.buffer, byteOffset: view.byteOffset, rows: m.rows, dim: m.dim };
  const buffer = new SharedArrayBuffer(view.byteLength);
  new Float32Array(buffer).set(view);
  return { buffer, byteOffset: 0, rows: m.rows, dim: m.dim };
};

/** The matrix a worker was started with, over the same shared memory (no copy). */
export const sharedMatrix = (shared: SharedMatrix): Matrix => ({
  data: shared.half
    ? new HalfRows(new Uint16Array(shared.buffer, shared.byteOffset, shared.rows * shared.dim))
    : new Float32Array(shared.buffer, shared.byteOffset, shared.rows * shared.dim),
  rows: shared.rows,
  dim: shared.dim,
});

/** A worker thread on the analysis entry (gemm-worker for kind 'gemm'), or null where no entry exists. */
export const startWorker = (
  workerData: WorkerData,
  transferList: Transferable[] = [],
): Worker | null => {
  const e = workerEntry(workerData.kind === 'gemm' ? 'gemm-worker' : 'analysis-worker');
  return e ? new Worker(e.code, { eval: e.eval, workerData, transferList }) : null;
};

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
  if (!workerEntry()) return false;
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
