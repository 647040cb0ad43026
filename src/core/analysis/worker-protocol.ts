import type { MessagePort } from 'node:worker_threads';
import type { BehaviorRunsJob, BehaviorRunsResult } from './behavior-runs.js';
import type {
  CentredProducts,
  CentredProductsRequest,
  BehaviorStats,
  StatsOptions,
} from './stats.js';

/** The embedding matrix in shared memory. */
export interface SharedMatrix {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  rows: number;
  dim: number;
  /** The rows are IEEE half bits (io/half.ts), not float32. */
  half?: boolean;
}

/** A worker that takes jobs (WorkerRequest) one at a time. */
export interface JobsWorkerData {
  kind: 'jobs';
  matrix: SharedMatrix;
  /** Its own channel to the linear-algebra worker, which scores its runs' states. */
  gemmPort?: MessagePort;
}

/**
 * A worker that computes the dot products of `rows` (positions from..from + rows.length of `out`)
 * with `vec` each time ctrl[generation] moves (parallel-dots.ts).
 */
export interface DotsWorkerData {
  kind: 'dots';
  matrix: SharedMatrix;
  rows: Int32Array;
  from: number;
  ctrl: Int32Array;
  vec: Float64Array;
  out: Float64Array;
}

/** The linear-algebra worker (gemm-service.ts): onnxruntime with `threads` intra-op threads. */
export interface GemmWorkerData {
  kind: 'gemm';
  matrix: SharedMatrix;
  threads: number;
}

export type WorkerData = JobsWorkerData | DotsWorkerData | GemmWorkerData;

export type GemmRequest =
  /**
   * One behavior's statistics products (GemmService.behavior): its rows are read from the shared
   * matrix there, so that no large block travels (each block received is memory for the garbage
   * collector to account for).
   */
  | ({ id: number; kind: 'behavior' } & CentredProductsRequest)
  /** Another thread's channel: the worker answers the requests that arrive on `port` too. */
  | { id: -1; kind: 'connect'; port: MessagePort }
  /**
   * rows: a run's scored rows in a SharedArrayBuffer (one per flush), of which this request
   * scores rows[from..to); heads: the k states [k, dim] in a SharedArrayBuffer (one per flush),
   * named by `states`, the same for every request of the flush (each message brings a new view of
   * the memory, so the worker cannot tell by the view).
   */
  | {
      id: number;
      kind: 'scores';
      rows: Int32Array;
      from: number;
      to: number;
      heads: Float64Array;
      states: string;
      k: number;
    };

export type GemmReply =
  | { id: -1; kind: 'ready' }
  | { id: -1; kind: 'unavailable'; error: string }
  | ({ id: number; kind: 'behavior' } & CentredProducts)
  | { id: number; kind: 'scores'; out: Float64Array }
  | { id: number; kind: 'error'; error: string };

export type WorkerJob =
  | { kind: 'stats'; positives: Int32Array; negatives: Int32Array; options: StatsOptions }
  | ({ kind: 'runs' } & BehaviorRunsJob);

export type WorkerRequest = { id: number } & WorkerJob;

export type WorkerReply =
  | { id: number; kind: 'steps'; steps: number }
  | { id: number; kind: 'stats'; stats: BehaviorStats }
  | { id: number; kind: 'runs'; result: BehaviorRunsResult }
  | { id: number; kind: 'error'; error: string };
