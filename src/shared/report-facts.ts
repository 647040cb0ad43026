/**
 * What the faces read off a report the same way: whether a behavior carries the deprioritized
 * warning (the analysis decides it, src/core/analysis/warnings.ts `isDeprioritized`, from the
 * levels; a face only reads the warning) and the mixture's median of a quantity (the thresholds
 * are fractions of it: the analysis's own median, src/core/analysis/quantile.ts, which imports
 * nothing, so the faces' bundles, the webview's included, load it without the analysis).
 */
import { median } from '../core/analysis/quantile.js';

export { median };

export const hasDeprioritizedWarning = (b: {
  readonly warnings: readonly { kind: string }[];
}): boolean => b.warnings.some((w) => w.kind === 'deprioritized');

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
