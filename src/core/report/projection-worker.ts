/** The map's projection on a worker thread (dist/projection-worker.js): PCA, then UMAP. */
import { HalfRows } from '../io/half.js';
import { parentPort, workerData } from 'node:worker_threads';
import { computeProjection } from './projection.js';
import type { ProjectionInfo } from './sidecar-types.js';

export interface ProjectionRequest {
  /** float32 rows, or the bits of half storage (`half`): a class does not cross to a worker. */
  data: Float32Array | Uint16Array;
  half?: boolean;
  rows: number;
  dim: number;
  seed: number;
  strata: string[];
  umapMaxRows?: number;
}

export type ProjectionReply =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; xy: Float32Array; info: ProjectionInfo }
  | { type: 'error'; message: string };

if (parentPort) {
  const port = parentPort;
  const req = workerData as ProjectionRequest;
  try {
    const { xy, info } = computeProjection(
      {
        data: req.half ? new HalfRows(req.data as Uint16Array) : (req.data as Float32Array),
        rows: req.rows,
        dim: req.dim,
      },
      {
        seed: req.seed,
        strata: req.strata,
        umapMaxRows: req.umapMaxRows,
        onProgress: (fraction) => port.postMessage({ type: 'progress', fraction }),
      },
    );
    port.postMessage({ type: 'done', xy, info } satisfies ProjectionReply, [
      xy.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    port.postMessage({ type: 'error', message: String(e) } satisfies ProjectionReply);
  }
}
