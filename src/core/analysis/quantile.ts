/**
 * The one quantile and median of the project. It imports nothing, so the faces' bundles (the
 * webview's included) can load it without the analysis: a face that states "below half the median
 * level" uses the very median the analysis compared against (warnings.ts).
 */

/** Quantile of sorted values with linear interpolation (numpy 'linear' method). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The median of the values (NaN for none); the input is copied, never reordered. */
export function median(values: ArrayLike<number>): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}
