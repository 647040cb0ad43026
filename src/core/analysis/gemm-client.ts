import {
  MessageChannel,
  type MessagePort,
  threadId,
  type Transferable,
  type Worker,
} from 'node:worker_threads';
import type { Matrix } from './matrix.js';
import type { StateScorer } from './state-scoring.js';
import {
  type BehaviorProducts,
  type BehaviorProductsRequest,
  centredProductsRequest,
  fromCentredProducts,
  type StatsProducts,
} from './stats.js';
import { sharedRows, startWorker } from './threads.js';
import type { GemmReply, GemmRequest } from './worker-protocol.js';

/** Flushes scored from this thread so far: with threadId, a name for each flush's states. */
let nextStates = 0;

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

  private request(job: GemmRequest): Promise<GemmReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.endpoint.postMessage(job);
    });
  }

  /**
   * behaviorStatsWith's products of one behavior. Only the row indices travel: the worker reads
   * the rows from the shared matrix (at d = 4096 a block per request was gigabytes of short-lived
   * memory per analysis, and the garbage collector's threads took seconds of CPU).
   */
  async behavior(request: BehaviorProductsRequest): Promise<BehaviorProducts> {
    const job = centredProductsRequest(request);
    const reply = await this.request({ id: this.nextId++, kind: 'behavior', ...job });
    if (reply.kind !== 'behavior') throw new Error(`unexpected reply ${reply.kind}`);
    return fromCentredProducts(request, reply);
  }

  /**
   * A StateScorer of a run's scoredRows() (rows of the matrix the worker was started on) whose
   * products run in the worker, which reads the rows from the shared matrix. The row indices and
   * the states go over once per flush, in shared memory; each request names a range of rows.
   */
  scorer(rows: Int32Array): StateScorer {
    const shared = new Int32Array(new SharedArrayBuffer(rows.byteLength));
    shared.set(rows);
    let last: { heads: Float64Array; shared: Float64Array; key: string } | null = null;
    return {
      chunkRows: Math.max(64, Math.floor(SCORE_CHUNK_BYTES / (8 * this.dim))),
      score: async (from, to, heads, k) => {
        if (last?.heads !== heads) {
          let states = heads;
          if (!(heads.buffer instanceof SharedArrayBuffer)) {
            states = new Float64Array(new SharedArrayBuffer(heads.byteLength));
            states.set(heads);
          }
          // Unique in the process: this thread's id and a count.
          last = { heads, shared: states, key: `${threadId}:${nextStates++}` };
        }
        const reply = await this.request({
          id: this.nextId++,
          kind: 'scores',
          rows: shared,
          from,
          to,
          heads: last.shared,
          states: last.key,
          k,
        });
        if (reply.kind !== 'scores') throw new Error(`unexpected reply ${reply.kind}`);
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
