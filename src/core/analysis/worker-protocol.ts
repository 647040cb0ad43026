import type { BehaviorRunsJob, BehaviorRunsResult } from './behavior-runs.js';
import type { BehaviorStats, StatsOptions } from './stats.js';

/** What an analysis worker starts with: the embedding matrix in shared memory. */
export interface WorkerInit {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  rows: number;
  dim: number;
}

export type WorkerJob =
  | { kind: 'stats'; positives: Int32Array; negatives: Int32Array; options: StatsOptions }
  | ({ kind: 'runs' } & BehaviorRunsJob);

export type WorkerRequest = { id: number } & WorkerJob;

export type WorkerReply =
  | { id: number; kind: 'steps'; steps: number }
  | { id: number; kind: 'stats'; stats: BehaviorStats }
  | { id: number; kind: 'runs'; result: BehaviorRunsResult }
  | { id: number; kind: 'error'; error: string };
