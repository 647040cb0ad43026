import {
  MessageChannel,
  type MessagePort,
  type Transferable,
  type Worker,
} from 'node:worker_threads';
import { gatherRows } from './gather.js';
import type { Matrix } from './matrix.js';
import type { StateScorer } from './state-scoring.js';
import {
  type BehaviorProducts,
  type BehaviorProductsRequest,
  bootstrapCoefficients,
  type StatsProducts,
} from './stats.js';
import { sharedRows, startWorker } from './worker-pool.js';
import type { GemmReply, GemmRequest } from './worker-protocol.js';

/** Rows per scoring request: a float64 block of about this many bytes in the worker. */
const SCORE_CHUNK_BYTES = 64 << 20;

type Pending = { resolve: (reply: GemmReply) => void; reject: (error: unknown) => void };

/** Either side of a channel to the linear-algebra worker: the Worker itself, or a MessagePort. */
interface Endpoint {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void;
  on(event: 'message', listener: (message: GemmReply) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Requests to the linear-algebra worker (gemm-worker.ts) over one endpoint: from the thread that
 * started it (GemmWorker), or from an analysis worker through a port (GemmWorker.connect). The
 * worker answers every endpoint's requests in arrival order.
 */
export class GemmChannel implements StatsProducts {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  /** Row blocks the worker handed back, for the next chunks (fresh memory is slow to fill). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(
    private readonly endpoint: Endpoint,
    private readonly dim: number,
  ) {
    endpoint.on('message', (reply: GemmReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.kind === 'error') p.reject(new Error(reply.error));
      else p.resolve(reply);
    });
    // A port closes when the linear-algebra worker stops: nothing pending may wait forever.
    endpoint.on('close', () => this.fail(new Error('the linear-algebra worker thread stopped')));
  }

  /** Fails every pending and later request with `error`. */
  protected fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private request(job: GemmRequest, transfer: ArrayBuffer[] = []): Promise<GemmReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.endpoint.postMessage(job, transfer);
    });
  }

  /**
   * behaviorStatsWith's products of one behavior. This thread gathers the rows (float32) and the
   * resampling coefficients into blocks the worker handed back before, and hands them over with a
   * block for the Gram matrices, without copies; `use` reads the answer before the blocks serve the
   * next request. At d = 4096 a fresh block per request was a gigabyte of short-lived memory per
   * analysis, and the garbage collector's threads took seconds of CPU.
   */
  async behavior<T>(
    m: Matrix,
    request: BehaviorProductsRequest,
    use: (products: BehaviorProducts) => T,
  ): Promise<T> {
    const { positives, negatives, grams, bootstrap } = request;
    const np = positives.length;
    const n = np + negatives.length;
    const d = this.dim;
    const rows = new Float32Array(this.spareBuffer(4 * n * d), 0, n * d);
    gatherRows(m, positives, rows);
    gatherRows(m, negatives, rows.subarray(np * d));
    const sizes = [np, n - np].map((k, c) => (grams[c] ? Math.min(k, d) ** 2 : 0));
    const gramOut = new Float32Array(
      this.spareBuffer(4 * (sizes[0] + sizes[1])),
      0,
      sizes[0] + sizes[1],
    );
    let weights: Float32Array | null = null;
    if (bootstrap) {
      const w = (weights = new Float32Array(
        this.spareBuffer(4 * bootstrap.reps * n),
        0,
        bootstrap.reps * n,
      ));
      bootstrapCoefficients(np, n - np, bootstrap.reps, bootstrap.seed, (r, coef) =>
        w.set(coef, r * n),
      );
    }
    const blocks = [rows, gramOut, ...(weights ? [weights] : [])];
    const reply = await this.request(
      { id: this.nextId++, kind: 'behavior', rows, nPositive: np, grams, gramOut, weights },
      blocks.map((b) => b.buffer as ArrayBuffer),
    );
    if (reply.kind !== 'behavior') throw new Error(`unexpected reply ${reply.kind}`);
    try {
      return use({ grams: reply.grams, replicates: reply.replicates });
    } finally {
      for (const b of reply.blocks) this.spare.push(b);
    }
  }

  /** The smallest handed-back block of at least `bytes`, or a new one. */
  private spareBuffer(bytes: number): ArrayBuffer {
    let best = -1;
    this.spare.forEach((b, i) => {
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.spare[best].byteLength))
        best = i;
    });
    return best >= 0 ? this.spare.splice(best, 1)[0] : new ArrayBuffer(bytes);
  }

  /**
   * A StateScorer of a run's scoredRows() (rows of `m`, the matrix the worker was started on)
   * whose products run in the worker. This thread gathers each chunk's rows as float64 and hands
   * the block over (no copy), so that it gathers the next chunk while the worker multiplies.
   */
  scorer(m: Matrix, rows: Int32Array): StateScorer {
    let last: { heads: Float64Array; shared: Float64Array } | null = null;
    return {
      chunkRows: Math.max(64, Math.floor(SCORE_CHUNK_BYTES / (8 * this.dim))),
      score: async (from, to, heads, k) => {
        // The states go over once per flush, in shared memory; each chunk sends only its rows.
        if (last?.heads !== heads) {
          const shared = new Float64Array(new SharedArrayBuffer(heads.byteLength));
          shared.set(heads);
          last = { heads, shared };
        }
        const buffer = this.spareBuffer(8 * (to - from) * this.dim);
        const block = new Float64Array(buffer);
        gatherRows(m, rows.subarray(from, to), block);
        const reply = await this.request(
          { id: this.nextId++, kind: 'scores', block, n: to - from, heads: last.shared, k },
          [buffer],
        );
        if (reply.kind !== 'scores') throw new Error(`unexpected reply ${reply.kind}`);
        this.spare.push(reply.block.buffer as ArrayBuffer);
        return reply.out;
      },
    };
  }
}

/**
 * The linear-algebra worker: one worker thread that loads onnxruntime and computes the analysis's
 * large matrix products (bootstrap replicates, the scores of the simulated runs' states) with its
 * BLAS kernels. The numbers do not depend on the thread count (each product's element is one
 * thread's sum). Null from start() where no worker entry exists or onnxruntime cannot load:
 * callers then compute the same quantities with the WebAssembly kernels.
 */
export class GemmWorker extends GemmChannel {
  private constructor(
    private readonly worker: Worker,
    dim: number,
  ) {
    super(worker, dim);
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) =>
      this.fail(new Error(`the linear-algebra worker thread stopped (exit code ${code})`)),
    );
  }

  static async start(m: Matrix, threads: number): Promise<GemmWorker | null> {
    const worker = startWorker({ kind: 'gemm', matrix: sharedRows(m), threads });
    if (!worker) return null;
    // An analysis abandoned without dispose() must not keep the process alive.
    worker.unref();
    const first = await new Promise<GemmReply | null>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', () => resolve(null));
      worker.once('exit', () => resolve(null));
    });
    if (first?.kind !== 'ready') {
      void worker.terminate();
      return null;
    }
    return new GemmWorker(worker, m.dim);
  }

  /** A port to this worker for another thread (an analysis worker: new GemmChannel(port)). */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ id: -1, kind: 'connect', port: port2 }, [port2]);
    return port1;
  }

  dispose(): void {
    void this.worker.terminate();
  }
}
