import type { Worker } from 'node:worker_threads';
import type { RowData } from '../io/half.js';
import { ResidentRows, SortedRowDots } from './kernels.js';
import type { Matrix } from './matrix.js';
import { sharedRows, startWorker } from './threads.js';
import type { DotsWorkerData } from './worker-protocol.js';

/** Slots of the control array shared with the workers. */
export const CTRL = { generation: 0, pending: 1, stop: 2, failed: 3 } as const;

/** g(rows[i]) . v for a fixed set of rows: in a SIMD memory of its own when it fits, else streamed in row order. */
export const fixedRowDots = (
  data: RowData,
  dim: number,
  rows: Int32Array,
): { dots(v: Float64Array, out: Float64Array): void } => {
  const resident = ResidentRows.create(data, dim, rows);
  if (resident) return resident;
  const sorted = new SortedRowDots(rows);
  return { dots: (v, out) => sorted.run(data, dim, v, out) };
};

/**
 * Whether this thread may block in Atomics.wait: Node's threads may, a browser's main thread (or an
 * embedder that forbids it) throws. Without it the scoring stays on the calling thread.
 */
const canBlock = (): boolean => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
};

/** How long the calling thread waits for a slice before it gives up on a worker (it may have died). */
const STALL_MS = 10 * 60_000;

/**
 * The dot products of one vector with a fixed, large set of rows (every row a joint run scores at
 * every step), split between this thread and worker threads that share the matrix. The call is
 * synchronous, like the single-threaded kernel it replaces: the workers wait on a shared counter
 * (Atomics), compute their slice when it moves, and this thread computes its own slice meanwhile.
 * The numbers are those of the single-threaded kernel (each row's dot product is the same code).
 */
export class ParallelRowDots {
  private constructor(
    private readonly workers: Worker[],
    private readonly ctrl: Int32Array,
    private readonly vec: Float64Array,
    private readonly out: Float64Array,
    private readonly own: { dots(v: Float64Array, out: Float64Array): void },
    private readonly ownFrom: number,
  ) {}

  /** Null when one thread is asked for, where no worker entry exists, or this thread may not block. */
  static create(m: Matrix, rows: Int32Array, threads: number): ParallelRowDots | null {
    const n = rows.length;
    const parts = Math.min(threads, n);
    if (parts < 2 || !canBlock()) return null;
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * 4));
    const vec = new Float64Array(new SharedArrayBuffer(8 * m.dim));
    const out = new Float64Array(new SharedArrayBuffer(8 * n));
    const matrix = sharedRows(m);
    const bound = (i: number): number => Math.round((i * n) / parts);
    const workers: Worker[] = [];
    for (let i = 0; i < parts - 1; i++) {
      const data: DotsWorkerData = {
        kind: 'dots',
        matrix,
        rows: rows.slice(bound(i), bound(i + 1)),
        from: bound(i),
        ctrl,
        vec,
        out,
      };
      const w = startWorker(data);
      if (!w) {
        for (const x of workers) void x.terminate();
        return null;
      }
      // A run abandoned without dispose() must not keep the process alive.
      w.unref();
      workers.push(w);
    }
    const ownFrom = bound(parts - 1);
    const own = fixedRowDots(m.data, m.dim, rows.subarray(ownFrom));
    return new ParallelRowDots(workers, ctrl, vec, out, own, ownFrom);
  }

  /** out[i] = g(rows[i]) . v for every row of the set. */
  dots(v: Float64Array, out: Float64Array): void {
    const { ctrl } = this;
    this.vec.set(v.subarray(0, this.vec.length));
    Atomics.store(ctrl, CTRL.pending, this.workers.length);
    Atomics.add(ctrl, CTRL.generation, 1);
    Atomics.notify(ctrl, CTRL.generation);
    this.own.dots(v, this.out.subarray(this.ownFrom));
    let pending = Atomics.load(ctrl, CTRL.pending);
    let since = Date.now();
    while (pending !== 0) {
      Atomics.wait(ctrl, CTRL.pending, pending, 1000);
      const now = Atomics.load(ctrl, CTRL.pending);
      if (now !== pending) since = Date.now();
      else if (Date.now() - since > STALL_MS)
        throw new Error('an analysis worker thread stopped answering');
      pending = now;
    }
    if (Atomics.load(ctrl, CTRL.failed))
      throw new Error('an analysis worker thread failed to compute its rows');
    out.set(this.out);
  }

  dispose(): void {
    Atomics.store(this.ctrl, CTRL.stop, 1);
    Atomics.add(this.ctrl, CTRL.generation, 1);
    Atomics.notify(this.ctrl, CTRL.generation);
    for (const w of this.workers) void w.terminate();
  }
}
