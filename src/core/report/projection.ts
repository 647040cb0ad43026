/**
 * The map's projection, computed once per report: PCA of the embeddings to a few dozen
 * components (fitted on a seeded stratified sample, applied to every row), then seeded UMAP
 * (umap-js) on those components, or the first two components alone beyond UMAP_MAX_ROWS.
 * umap-js' neighbour search and epochs grow faster than linearly (about 9 s + 9 s for 5,000
 * points on the shared 2-core machine, docs/performance.md), so past the limit the map is PCA.
 */
import type { RowData } from '../io/half.js';
import { UMAP } from 'umap-js';
import { Rng } from '../analysis/rng.js';
import type { Embeddings } from '../embed/types.js';
import { pcaBasis, pcaProject, stratifiedSample } from './scatter.js';
import type { ProjectionInfo } from './sidecar-types.js';

/** Above this many rows the map is the first two PCA components (UMAP would take minutes). */
export const UMAP_MAX_ROWS = 5000;
/** UMAP needs a neighbourhood structure, not the full 384..4096 dimensions: PCA to this many first. */
export const PROJECTION_PCA_DIMS = 30;
/** Rows the PCA basis is fitted on (seeded, stratified by behavior and label). */
export const PCA_FIT_ROWS = 5000;
export const UMAP_NEIGHBORS = 15;
export const UMAP_MIN_DIST = 0.1;

export interface ProjectionOptions {
  seed: number;
  /** Row strata (behavior and label) for the PCA sample. */
  strata: readonly string[];
  umapMaxRows?: number;
  pcaDims?: number;
  /** Called with 0..1 while UMAP runs. */
  onProgress?: (fraction: number) => void;
}

export interface Projection {
  /** Row-major [rows, 2]. */
  xy: Float32Array;
  info: ProjectionInfo;
}

export const computeProjection = (
  emb: Embeddings<RowData>,
  options: ProjectionOptions,
): Projection => {
  const t0 = performance.now();
  const n = emb.rows;
  const limit = options.umapMaxRows ?? UMAP_MAX_ROWS;
  const useUmap = n >= 8 && n <= limit;
  const sample = stratifiedSample(options.strata, PCA_FIT_ROWS, options.seed);
  const k = useUmap ? (options.pcaDims ?? PROJECTION_PCA_DIMS) : 2;
  const fit = pcaBasis(emb, sample, k, options.seed);
  const scores = pcaProject(emb, fit);
  const base = { seed: options.seed, pcaDims: fit.dims, pcaSample: sample.length };
  if (!useUmap) {
    const xy = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      xy[2 * i] = scores[i * fit.dims];
      xy[2 * i + 1] = fit.dims > 1 ? scores[i * fit.dims + 1] : 0;
    }
    const reason =
      n < 8
        ? `${n} rows: too few for UMAP`
        : `${n} rows, above the UMAP limit of ${limit}: the first two principal components`;
    return { xy, info: { method: 'pca', reason, ...base, ms: performance.now() - t0 } };
  }
  const rows: number[][] = [];
  for (let i = 0; i < n; i++)
    rows.push(Array.from(scores.subarray(i * fit.dims, (i + 1) * fit.dims)));
  const rng = new Rng(options.seed);
  const epochs = n > 1000 ? 200 : 400;
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(UMAP_NEIGHBORS, n - 1)),
    minDist: UMAP_MIN_DIST,
    nEpochs: epochs,
    random: () => rng.float(),
  });
  const total = umap.initializeFit(rows);
  const every = Math.max(1, Math.floor(total / 20));
  for (let e = 0; e < total; e++) {
    umap.step();
    if (e % every === 0) options.onProgress?.(e / total);
  }
  const embedding = umap.getEmbedding();
  const xy = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    xy[2 * i] = embedding[i][0];
    xy[2 * i + 1] = embedding[i][1];
  }
  return {
    xy,
    info: {
      method: 'umap',
      reason: `${n} rows, within the UMAP limit of ${limit}`,
      ...base,
      nNeighbors: Math.max(2, Math.min(UMAP_NEIGHBORS, n - 1)),
      minDist: UMAP_MIN_DIST,
      epochs: total,
      ms: performance.now() - t0,
    },
  };
};
