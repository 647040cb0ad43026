/** Messages between the report UI and the UMAP worker (dist/umap-worker.js). */
export interface UmapRequest {
  id: number;
  /** Row-major [n, dims] points. */
  points: number[];
  n: number;
  dims: number;
  seed: number;
  nNeighbors: number;
  minDist: number;
}

export type UmapResponse =
  | { id: number; type: 'progress'; epoch: number; epochs: number }
  | { id: number; type: 'done'; embedding: number[] }
  | { id: number; type: 'error'; message: string };
