/** The map's projection on a worker thread (dist/projection-worker.js): PCA, then UMAP. */
import { HalfRows } from '../io/half.js';
import { parentPort, workerData } from 'node:worker_threads';
import { nearestRows, type NearestRows } from './neighbours.js';
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
  /** The rows whose nearest rows are computed too (null: every row; absent: none). */
  neighbourQueries?: Int32Array | null;
}

export type ProjectionReply =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; xy: Float32Array; info: ProjectionInfo; neighbours?: NearestRows }
  | { type: 'error'; message: string };

if (parentPort) {
  const port = parentPort;
  const req = workerData as ProjectionRequest;
  try {
    const emb = {
      data: req.half ? new HalfRows(req.data as Uint16Array) : (req.data as Float32Array),
      rows: req.rows,
      dim: req.dim,
    };
    const { xy, info } = computeProjection(emb, {
      seed: req.seed,
      strata: req.strata,
      umapMaxRows: req.umapMaxRows,
      onProgress: (fraction) => port.postMessage({ type: 'progress', fraction }),
    });
    const neighbours =
      req.neighbourQueries === undefined ? undefined : nearestRows(emb, req.neighbourQueries);
    port.postMessage({ type: 'done', xy, info, neighbours } satisfies ProjectionReply, [
      xy.buffer as ArrayBuffer,
      ...(neighbours
        ? [neighbours.index.buffer as ArrayBuffer, neighbours.cosine.buffer as ArrayBuffer]
        : []),
    ]);
  } catch (e) {
    port.postMessage({ type: 'error', message: String(e) } satisfies ProjectionReply);
  }
}
