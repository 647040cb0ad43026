import type { BehaviorRunsJob, BehaviorRunsResult } from './behavior-runs.js';
import type { BehaviorStats, StatsOptions } from './stats.js';

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

export type WorkerData = JobsWorkerData | DotsWorkerData;

export type WorkerJob =
  | { kind: 'stats'; positives: Int32Array; negatives: Int32Array; options: StatsOptions }
  | ({ kind: 'runs' } & BehaviorRunsJob);

export type WorkerRequest = { id: number } & WorkerJob;

export type WorkerReply =
  | { id: number; kind: 'steps'; steps: number }
  | { id: number; kind: 'stats'; stats: BehaviorStats }
  | { id: number; kind: 'runs'; result: BehaviorRunsResult }
  | { id: number; kind: 'error'; error: string };
