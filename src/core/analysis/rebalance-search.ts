/**
 * Rebalancing that harms no one (issue #17, item 6).
 *
 * The level-based search of rebalance.ts raises the lowest eq. (5) priority level, but a higher
 * first-step level is not a better trained behavior: on the demo mixture it lowered the joint
 * accuracy (0.801 -> 0.785), one upsampled behavior fell from 0.77 to 0.63 and another from 0.84
 * to 0.68. So the suggestion is now chosen by simulating the joint run itself: a few candidate
 * weightings, each trained as one seeded joint run (the same simulation as the report's joint
 * run), and the one kept is the weighting under which
 *   - no behavior's final simulated test accuracy falls more than `tolerance` below its accuracy in
 *     the unweighted joint run, and
 *   - the worst behavior's accuracy rises (the smallest accuracy of the mixture goes up),
 * with the highest worst-behavior accuracy (then the highest mean, then the smallest total
 * upsampling). When no candidate qualifies there is no suggestion, and the report says so.
 *
 * The candidates (at most MAX_CANDIDATES joint runs, each as long as the report's joint run):
 * the level-based factors u and their square root (a milder version of the same direction), and
 * direct upsampling of the behaviors that do worst in the joint run (the worst ×1.5, ×2 and ×4,
 * the two worst ×2). When none qualifies, up to MAX_REFINEMENTS milder versions of the near miss
 * (milderCandidate). At most 8 joint runs in all.
 *
 * A behavior's accuracy is its simulated test accuracy averaged over the last tenth of the joint
 * run's steps (finalAccuracy): the last step alone moves by a few test examples from one
 * minibatch to the next, which is as large as the tolerance. Factors within SNAP of 1 are set to exactly 1, so nothing says
 * "upsample ×1.0".
 */

export const DEFAULT_REBALANCE_TOLERANCE = 0.02;
export const MAX_CANDIDATES = 6;
/** Milder versions of a near miss tried after the candidates (one joint run each). */
export const MAX_REFINEMENTS = 2;
/** Factors closer than this to 1 are 1 (a few percent more copies change nothing measurable). */
export const SNAP = 0.05;

/** Mean test accuracy over the last tenth of the steps (at least the last state). */
export function finalAccuracy(testAccuracy: readonly number[]): number {
  const k = Math.max(1, Math.round(testAccuracy.length / 10));
  let sum = 0;
  for (let i = testAccuracy.length - k; i < testAccuracy.length; i++) sum += testAccuracy[i];
  return sum / k;
}

export function snapFactors(factors: readonly number[]): number[] {
  return factors.map((f) => (Math.abs(f - 1) < SNAP ? 1 : f));
}

/** The candidate weightings, deduplicated, none of them all ones. */
export function candidateWeightings(
  levelFactors: readonly number[],
  accuracyBefore: readonly number[],
): number[][] {
  const m = levelFactors.length;
  const out: number[][] = [];
  const add = (f: number[]): void => {
    const snapped = snapFactors(f);
    if (snapped.every((x) => x === 1)) return;
    const key = snapped.map((x) => x.toFixed(3)).join(',');
    if (out.some((o) => o.map((x) => x.toFixed(3)).join(',') === key)) return;
    if (out.length < MAX_CANDIDATES) out.push(snapped);
  };
  add(levelFactors.slice());
  add(levelFactors.map((f) => Math.sqrt(f)));
  const order = accuracyBefore
    .map((a, i) => [a, i] as const)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const only = (picked: number[], factor: number): number[] =>
    Array.from({ length: m }, (_, i) => (picked.includes(i) ? factor : 1));
  if (m >= 2) {
    add(only([order[0][1]], 1.5));
    add(only([order[0][1]], 2));
    add(only([order[0][1]], 4));
    if (m >= 3) add(only([order[0][1], order[1][1]], 2));
  }
  return out;
}

export interface CandidateOutcome {
  factors: number[];
  accuracy: number[];
}

/**
 * After the candidates, when none qualifies: the candidate that raised the worst behavior's
 * accuracy at the smallest cost to another is a near miss; its factors' square root (half the
 * log-weights) costs less and may still help. Returns that milder weighting, or null (nothing
 * raised the worst behavior, or the milder one rounds to no change or was tried).
 */
export function milderCandidate(
  before: readonly number[],
  outcomes: readonly CandidateOutcome[],
): number[] | null {
  const worstBefore = Math.min(...before);
  let pick: CandidateOutcome | null = null;
  let pickLoss = Infinity;
  for (const o of outcomes) {
    if (Math.min(...o.accuracy) <= worstBefore + 1e-12) continue;
    const loss = Math.max(...o.accuracy.map((a, k) => before[k] - a));
    if (loss < pickLoss) [pick, pickLoss] = [o, loss];
  }
  if (!pick) return null;
  const milder = snapFactors(pick.factors.map((f) => Math.sqrt(f)));
  if (milder.every((f) => f === 1)) return null;
  const key = (f: readonly number[]): string => f.map((x) => x.toFixed(3)).join(',');
  if (outcomes.some((o) => key(o.factors) === key(milder))) return null;
  return milder;
}

/**
 * The index of the chosen candidate, or null when none keeps every behavior within `tolerance`
 * of `before` while raising the smallest accuracy.
 */
export function chooseWeighting(
  before: readonly number[],
  outcomes: readonly CandidateOutcome[],
  tolerance: number,
): number | null {
  const worstBefore = Math.min(...before);
  const mean = (a: readonly number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
  let best: number | null = null;
  const better = (i: number, j: number): boolean => {
    const a = outcomes[i];
    const b = outcomes[j];
    const wa = Math.min(...a.accuracy);
    const wb = Math.min(...b.accuracy);
    if (wa !== wb) return wa > wb;
    const ma = mean(a.accuracy);
    const mb = mean(b.accuracy);
    if (ma !== mb) return ma > mb;
    return a.factors.reduce((s, x) => s + x, 0) < b.factors.reduce((s, x) => s + x, 0);
  };
  outcomes.forEach((o, i) => {
    const harmsNoOne = o.accuracy.every((a, k) => a >= before[k] - tolerance - 1e-12);
    const helpsWorst = Math.min(...o.accuracy) > worstBefore + 1e-12;
    if (harmsNoOne && helpsWorst && (best === null || better(i, best))) best = i;
  });
  return best;
}
