import { Rng } from '../analysis/rng.js';
import { gram, meanSilhouette } from './silhouette.js';
import { nearestCentroid, sphericalKmeans, unitRows } from './spherical-kmeans.js';

/** The range automatic k is chosen in (inclusive); also the bounds a fixed k must respect. */
export const K_RANGE: readonly [number, number] = [2, 12];
/** A cluster below this many prompts on average is too small to be a behavior (caps k). */
export const MIN_PROMPTS_PER_CLUSTER = 10;
/** Prompts the silhouette is computed on (its cost is quadratic): a seeded sample. */
export const SELECTION_SAMPLE = 1000;
/** Prompts the final k-means is fitted on; the others join their nearest centroid. */
export const FIT_SAMPLE = 10000;
/** Salt of the discovery's random stream (Rng), apart from the analysis' streams. */
const DISCOVERY_SALT = 0xd15c;

export interface ClusterOptions {
  /** A fixed number of clusters, or 'auto': the best mean silhouette within kRange. */
  k: number | 'auto';
  seed: number;
  kRange?: readonly [number, number];
}

export interface ClusterScore {
  k: number;
  silhouette: number;
}

export interface Clustering {
  /** Cluster of each prompt, 0..k-1, clusters numbered by size (largest first; ties: first prompt). */
  assignment: Int32Array;
  k: number;
  /** The range k was chosen in, after capping by the number of prompts. */
  kRange: [number, number];
  criterion: 'silhouette' | 'fixed';
  /** Mean cosine silhouette of each candidate k on the selection sample (empty for a fixed k). */
  scores: ClusterScore[];
  /** Prompts in the silhouette sample and in the final fit. */
  selectionSample: number;
  fitSample: number;
}

/** The largest k that leaves MIN_PROMPTS_PER_CLUSTER prompts per cluster, within `range`. */
export function usableKRange(
  n: number,
  range: readonly [number, number] = K_RANGE,
): [number, number] {
  return [range[0], Math.min(range[1], Math.floor(n / MIN_PROMPTS_PER_CLUSTER))];
}

/** `count` distinct indices out of [0, n) in increasing order (all of them when n ≤ count). */
function sample(n: number, count: number, rng: Rng): Int32Array {
  if (n <= count) return Int32Array.from({ length: n }, (_, i) => i);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(count);
  rng.sampleWithoutReplacement(perm, count, out);
  return out.sort();
}

function rowsOf(data: Float32Array, dim: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/**
 * Spherical k-means on prompt embeddings [n, dim] (L2-normalized first). k is fixed, or chosen
 * within kRange by the mean cosine silhouette on a seeded sample of SELECTION_SAMPLE prompts (ties:
 * the smaller k); the final fit uses up to FIT_SAMPLE prompts and every prompt then joins its
 * nearest centroid. Deterministic: the same embeddings, options and seed give the same clusters.
 */
export function clusterPrompts(
  data: Float32Array,
  n: number,
  dim: number,
  options: ClusterOptions,
): Clustering {
  const range = usableKRange(n, options.kRange ?? K_RANGE);
  if (options.k === 'auto' && range[1] < range[0]) {
    throw new Error(
      `behavior discovery needs at least ${range[0] * MIN_PROMPTS_PER_CLUSTER} prompts, got ${n}`,
    );
  }
  const scores: ClusterScore[] = [];
  let k: number;
  let selectionSample = 0;
  if (options.k === 'auto') {
    const chosen = sample(n, SELECTION_SAMPLE, new Rng(options.seed, DISCOVERY_SALT, 1));
    selectionSample = chosen.length;
    const points = unitRows(rowsOf(data, dim, chosen), chosen.length, dim);
    const similarity = gram(points);
    k = range[0];
    let best = -Infinity;
    for (let candidate = range[0]; candidate <= range[1]; candidate++) {
      const fit = sphericalKmeans(points, candidate, options.seed, 2);
      const silhouette = meanSilhouette(similarity, fit.assignment, candidate);
      scores.push({ k: candidate, silhouette });
      if (silhouette > best + 1e-12) {
        best = silhouette;
        k = candidate;
      }
    }
  } else {
    k = options.k;
    if (!Number.isInteger(k) || k < 1 || k > n) {
      throw new Error(
        `the number of behaviors to discover must be an integer in 1..${n}, got ${k}`,
      );
    }
  }
  const fitIndices = sample(n, FIT_SAMPLE, new Rng(options.seed, DISCOVERY_SALT, 2));
  const fit = sphericalKmeans(
    unitRows(rowsOf(data, dim, fitIndices), fitIndices.length, dim),
    k,
    options.seed,
    3,
  );
  const raw = nearestCentroid(data, n, dim, fit.centroids);
  const { assignment, k: used } = renumberBySize(raw, k);
  return {
    assignment,
    k: used,
    kRange: range,
    criterion: options.k === 'auto' ? 'silhouette' : 'fixed',
    scores,
    selectionSample,
    fitSample: fitIndices.length,
  };
}

/** Clusters renumbered largest first (ties: the one whose first prompt comes first); empty ones dropped. */
function renumberBySize(raw: Int32Array, k: number): { assignment: Int32Array; k: number } {
  const sizes = new Array<number>(k).fill(0);
  const first = new Array<number>(k).fill(Infinity);
  raw.forEach((c, i) => {
    sizes[c] += 1;
    if (first[c] === Infinity) first[c] = i;
  });
  const order = [...sizes.keys()]
    .filter((c) => sizes[c] > 0)
    .sort((a, b) => sizes[b] - sizes[a] || first[a] - first[b]);
  const rank = new Int32Array(k).fill(-1);
  order.forEach((c, i) => (rank[c] = i));
  return { assignment: raw.map((c) => rank[c]), k: order.length };
}
