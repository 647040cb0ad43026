import type { MessagePort } from 'node:worker_threads';
import type { BehaviorRunsJob, BehaviorRunsResult } from './behavior-runs.js';
import type { BehaviorProducts, BehaviorStats, StatsOptions } from './stats.js';

/** The embedding matrix in shared memory. */
export interface SharedMatrix {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  rows: number;
  dim: number;
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
   * One behavior's statistics products (GemmService.behavior): rows [n, dim], its positives then
   * its negatives; gramOut receives the asked-for Gram matrices one after the other; weights are
   * the bootstrap's coefficients [reps, n] (null: no bootstrap). All three blocks are transferred
   * and handed back with the answer, for the next request.
   */
  | {
      id: number;
      kind: 'behavior';
      rows: Float32Array;
      nPositive: number;
      grams: [boolean, boolean];
      gramOut: Float32Array;
      weights: Float32Array | null;
    }
  /** Another thread's channel: the worker answers the requests that arrive on `port` too. */
  | { id: -1; kind: 'connect'; port: MessagePort }
  /**
   * block: the n rows [n, dim] at its start (transferred, and handed back with the answer for the
   * next chunk); heads: the k states [k, dim] in a SharedArrayBuffer (one per flush).
   */
  | { id: number; kind: 'scores'; block: Float64Array; n: number; heads: Float64Array; k: number };

export type GemmReply =
  | { id: -1; kind: 'ready' }
  | { id: -1; kind: 'unavailable'; error: string }
  /** grams are views of the handed-back gramOut; blocks: the request's blocks, handed back. */
  | ({ id: number; kind: 'behavior'; blocks: ArrayBuffer[] } & BehaviorProducts)
  | { id: number; kind: 'scores'; out: Float64Array; block: Float64Array }
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
