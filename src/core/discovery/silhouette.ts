/**
 * Cosine similarities of unit rows, [n, n] row-major: computed once and shared by the silhouette
 * of every candidate k.
 */
export function gram(points: readonly number[][]): Float32Array {
  const n = points.length;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const p = points[i];
    out[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const q = points[j];
      let dot = 0;
      for (let t = 0; t < p.length; t++) dot += p[t] * q[t];
      out[i * n + j] = dot;
      out[j * n + i] = dot;
    }
  }
  return out;
}

/**
 * Mean silhouette (Rousseeuw 1987) of a clustering under the cosine distance 1 − cos: for each
 * point, a = its mean distance to the other members of its cluster, b = the least mean distance
 * to another cluster, s = (b − a) / max(a, b); a point alone in its cluster has s = 0.
 */
export function meanSilhouette(
  similarity: Float32Array,
  assignment: Int32Array,
  k: number,
): number {
  const n = assignment.length;
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[assignment[i]] += 1;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = i * n;
    for (let j = 0; j < n; j++) sums[assignment[j]] += 1 - similarity[row + j];
    const own = assignment[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    }
    if (!Number.isFinite(b)) continue;
    const scale = Math.max(a, b);
    total += scale > 0 ? (b - a) / scale : 0;
  }
  return total / n;
}
