import type { Example } from '../dataset/types.js';

/**
 * The annotators' margins of a behavior's pairs, when its records carry UltraFeedback-style
 * `score_chosen` and `score_rejected`: margin = score_chosen − score_rejected. A pair with a
 * margin at or below 0 is one whose own scores do not prefer the chosen side.
 */
export interface ScoreMarginSummary {
  pairs: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  /** Pairs whose margin is <= 0. */
  nonPositive: number;
}

/** The margin of each pair (by pair id) whose two rows both have a score. */
export function pairMargins(examples: readonly Example[]): Map<number, number> {
  const sides = new Map<number, { chosen?: number; rejected?: number }>();
  for (const e of examples) {
    const score = e.score;
    const pair = e.pair;
    if (score === undefined || pair === undefined) continue;
    const entry = sides.get(pair) ?? {};
    if (e.label === 1) entry.chosen = score;
    else entry.rejected = score;
    sides.set(pair, entry);
  }
  const out = new Map<number, number>();
  for (const [pair, { chosen, rejected }] of sides) {
    if (chosen !== undefined && rejected !== undefined) out.set(pair, chosen - rejected);
  }
  return out;
}

/** Per behavior, the summary of its pairs' margins; behaviors without scores are absent. */
export function scoreMarginsByBehavior(
  examples: readonly Example[],
  margins: ReadonlyMap<number, number> = pairMargins(examples),
): Map<string, ScoreMarginSummary> {
  const byBehavior = new Map<string, number[]>();
  const counted = new Set<number>();
  for (const e of examples) {
    const pair = e.pair;
    if (pair === undefined || counted.has(pair)) continue;
    const margin = margins.get(pair);
    if (margin === undefined) continue;
    counted.add(pair);
    const list = byBehavior.get(e.behavior);
    if (list) list.push(margin);
    else byBehavior.set(e.behavior, [margin]);
  }
  const out = new Map<string, ScoreMarginSummary>();
  for (const [behavior, values] of byBehavior) {
    const sorted = [...values].sort((a, b) => a - b);
    const n = sorted.length;
    const middle = n >> 1;
    out.set(behavior, {
      pairs: n,
      mean: sorted.reduce((s, x) => s + x, 0) / n,
      median: n % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2,
      min: sorted[0],
      max: sorted[n - 1],
      nonPositive: sorted.filter((x) => x <= 0).length,
    });
  }
  return out;
}
