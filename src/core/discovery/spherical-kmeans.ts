import { kmeans } from 'ml-kmeans';
import { Rng } from '../analysis/rng.js';

/** Salt of the k-means seeding's random stream. */
const KMEANS_SALT = 0x6b6d;

/** Norms of the arrays ml-kmeans hands the distance: its points persist, its centers per step. */
const norms = new WeakMap<readonly number[], number>();

function normOf(v: readonly number[]): number {
  let norm = norms.get(v);
  if (norm === undefined) {
    let sum = 0;
    for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
    norm = Math.sqrt(sum);
    norms.set(v, norm);
  }
  return norm;
}

/**
 * Cosine distance to a centroid that need not be unit length: 1 − cos(p, q). The points are unit
 * vectors, so assigning each to its nearest centroid by this distance while the centroids are the
 * members' means is spherical k-means (Dhillon & Modha 2001): the mean's direction is the
 * normalized centroid that spherical k-means keeps. The norms are computed once per array
 * (ml-kmeans makes new center arrays each step and never changes one), so a call is one dot product.
 */
export function cosineDistance(p: readonly number[], q: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < p.length; i++) dot += p[i] * q[i];
  const norm = normOf(p) * normOf(q);
  return norm === 0 ? 1 : 1 - dot / norm;
}

export interface KmeansFit {
  /** Cluster of each point, 0..k-1. */
  assignment: Int32Array;
  /** Unit-length centroid directions, k rows. */
  centroids: number[][];
  /** Sum over points of 1 − cos(point, its centroid): what the restarts minimize. */
  inertia: number;
  iterations: number;
}

/** L2-normalized copies of rows [n, dim] as number[][] (what ml-kmeans takes). */
export function unitRows(data: Float32Array, n: number, dim: number): number[][] {
  const rows: number[][] = new Array(n);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += data[r * dim + j] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const row = new Array<number>(dim);
    for (let j = 0; j < dim; j++) row[j] = data[r * dim + j] * scale;
    rows[r] = row;
  }
  return rows;
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007) on unit vectors: the first center uniformly,
 * each next one with probability proportional to its squared Euclidean distance to the nearest
 * center so far, 2(1 − cos). ml-kmeans seeds the same way but copies every row through ml-matrix
 * for each candidate (0.9 s for k = 12 on 1,000 prompts); this reads the rows in place.
 */
export function kmeansPlusPlus(points: readonly number[][], k: number, rng: Rng): number[][] {
  const n = points.length;
  const nearest = new Float64Array(n).fill(Infinity);
  const centers: number[][] = [];
  let next = rng.int(n);
  while (centers.length < k) {
    const center = points[next];
    centers.push([...center]);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let dot = 0;
      const p = points[i];
      for (let j = 0; j < p.length; j++) dot += p[j] * center[j];
      const d = Math.max(0, 2 - 2 * dot);
      if (d < nearest[i]) nearest[i] = d;
      total += nearest[i];
    }
    if (centers.length === k) break;
    // All points on a center already (fewer distinct points than k): repeat one; ml-kmeans keeps
    // an empty cluster's center, and renumbering drops it.
    let target = rng.float() * total;
    next = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target < 0) {
        next = i;
        break;
      }
    }
  }
  return centers;
}

/**
 * Spherical k-means on unit vectors with ml-kmeans (its Lloyd iterations under the cosine
 * distance), seeded by kmeansPlusPlus from Rng(seed, run) for `restarts` runs; the one of least
 * inertia is kept (ties: the earliest). Same points, k and seed give the same fit.
 */
export function sphericalKmeans(
  points: readonly number[][],
  k: number,
  seed: number,
  restarts = 3,
): KmeansFit {
  let best: KmeansFit | null = null;
  for (let run = 0; run < restarts; run++) {
    const result = kmeans(points as number[][], k, {
      initialization: kmeansPlusPlus(points, k, new Rng(seed, KMEANS_SALT, k, run)),
      distanceFunction: cosineDistance,
      maxIterations: 100,
      tolerance: 1e-6,
    });
    const centroids = result.centroids.map(normalize);
    const assignment = Int32Array.from(result.clusters);
    let inertia = 0;
    for (let i = 0; i < points.length; i++) {
      inertia += cosineDistance(points[i], centroids[assignment[i]]);
    }
    if (!best || inertia < best.inertia - 1e-9) {
      best = { assignment, centroids, inertia, iterations: result.iterations };
    }
  }
  return best!;
}

/**
 * The nearest centroid (largest cosine; ties: the lower index) of each row of data [n, dim]:
 * rows need not be unit length, centroids must be. Reads the Float32Array in place, so all rows
 * can be assigned without a number[][] copy.
 */
export function nearestCentroid(
  data: Float32Array,
  n: number,
  dim: number,
  centroids: readonly number[][],
): Int32Array {
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * dim;
    let best = 0;
    let bestDot = -Infinity;
    for (let c = 0; c < centroids.length; c++) {
      const q = centroids[c];
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += data[base + j] * q[j];
      if (dot > bestDot) {
        bestDot = dot;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

function normalize(v: number[]): number[] {
  let norm = 0;
  for (const x of v) norm += x * x;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return v.map((x) => x * scale);
}
