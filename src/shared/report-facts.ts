/**
 * What the faces read off a report the same way: whether a behavior carries the deprioritized
 * warning (the analysis decides it, src/core/analysis/warnings.ts `isDeprioritized`, from the
 * levels; a face only reads the warning) and the mixture's median of a quantity (the thresholds
 * are fractions of it). The analysis keeps its own median (src/core/analysis/stats.ts,
 * a quantile): the faces' bundles, the webview's included, do not load the analysis.
 */
export const hasDeprioritizedWarning = (b: {
  readonly warnings: readonly { kind: string }[];
}): boolean => b.warnings.some((w) => w.kind === 'deprioritized');

/** The median of the values (NaN for none). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The order of the gap matrix in every face (Markdown, HTML): by priority level, highest first
 * (ties by name), so the upper triangle reads "prioritized over".
 */
export const priorityOrder = (priority: { names: string[]; levels: number[] }): number[] =>
  priority.names
    .map((_, i) => i)
    .sort(
      (a, b) =>
        priority.levels[b] - priority.levels[a] ||
        priority.names[a].localeCompare(priority.names[b]),
    );
