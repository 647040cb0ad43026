import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Transferable, Worker } from 'node:worker_threads';
import { HalfRows } from '../io/half.js';
import type { Matrix } from './matrix.js';
import type { SharedMatrix, WorkerData } from './worker-protocol.js';

// Starting the analysis's worker threads and sharing the matrix with them: a leaf module, so that
// the pool (worker-pool.ts) and the linear-algebra worker's client (gemm-client.ts) both use it
// without importing each other.

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

/** Whether worker threads can be started here (an entry for the analysis worker exists). */
export const hasWorkerEntry = (): boolean => workerEntry() !== null;
