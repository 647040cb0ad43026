import type { BehaviorWarning } from './types.js';
import { DEFAULT_LABEL_HINTS } from './label-hints.js';
import { median } from './stats.js';

/**
 * Defaults for the warnings (the first two compare behaviors, so they need at least two):
 * - priorityLevel 0.5: 'deprioritized' when the behavior's eq. (5) level is below half the median
 *   level of the mixture, or not positive (the first DPO step does not help it at all). Relative,
 *   because absolute levels shrink with the number of behaviors: m behaviors with orthogonal mean
 *   differences of equal norm all have level 1/sqrt(m), and none of them is deprioritized.
 * - relativeDistinguishability 0.5: ||mu+ - mu-|| below half the mixture's median
 *   ('low-distinguishability').
 * - labelErrorDepth 1: pastOppositeMeanCount counts the examples whose projection lies beyond the
 *   opposite class mean (-label * projection >= labelErrorDepth * ||mu+ - mu-|| / 2); a
 *   description of the classes' overlap, no longer a hint (most such examples are labeled right).
 * - labelHintCutoff: a label hint needs an out-of-sample probability of its label below this
 *   (label-hints.ts); the 'possible-label-error' entry counts the hints. It is information, not a
 *   warning: the faces and the CI gate do not count it as one.
 */
export const DEFAULT_THRESHOLDS = {
  priorityLevel: 0.5,
  relativeDistinguishability: 0.5,
  labelErrorDepth: 1,
  labelHintCutoff: DEFAULT_LABEL_HINTS.cutoff,
} as const;

export interface Thresholds {
  priorityLevel: number;
  relativeDistinguishability: number;
  labelErrorDepth: number;
  labelHintCutoff: number;
}

export interface WarningInput {
  names: readonly string[];
  levels: readonly number[];
  distinguishability: readonly number[];
  /** Suggested upsampling factors, when a rebalancing was computed. */
  upsampling?: readonly number[];
  /** Per behavior: how many label hints, the lowest out-of-sample confidence among them, and the behavior's size. */
  labelErrors?: readonly { count: number; lowest: number; total: number }[];
}

const f2 = (x: number): string => x.toFixed(2);
const f3 = (x: number): string =>
  Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(2) : x.toPrecision(2);

function rankPhrase(value: number, values: readonly number[], noun: string): string {
  const lower = values.filter((v) => v < value).length;
  const m = values.length;
  if (lower === 0) return `the lowest of ${m} ${noun}`;
  return `${ordinal(lower + 1)} lowest of ${m} ${noun}`;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

export function isDeprioritized(
  level: number,
  medianLevel: number,
  thresholds: Pick<Thresholds, 'priorityLevel'>,
): boolean {
  return level <= 0 || level < thresholds.priorityLevel * medianLevel;
}

/** The warnings of every behavior, aligned with `names`. */
export function behaviorWarnings(
  input: WarningInput,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): BehaviorWarning[][] {
  const { names, levels, distinguishability } = input;
  const m = names.length;
  const medLevel = median(levels);
  const medDist = median(distinguishability);
  return names.map((_, i) => {
    const out: BehaviorWarning[] = [];
    const p = levels[i];
    if (m >= 2 && isDeprioritized(p, medLevel, thresholds)) {
      const effect =
        p <= 0
          ? 'the first DPO step on this mixture pushes its loss up instead of down'
          : 'the first DPO step on this mixture barely moves its loss';
      const u = input.upsampling?.[i];
      const fix =
        u !== undefined && u >= 1.05
          ? `upsample it ×${u.toFixed(1)} or train it separately`
          : 'train it separately or upsample it';
      out.push({
        kind: 'deprioritized',
        message: `Priority level ${f2(p)} is ${rankPhrase(p, levels, 'behaviors')} (median ${f2(medLevel)}): ${effect}; ${fix}.`,
      });
    }
    const di = distinguishability[i];
    if (m >= 2 && di < thresholds.relativeDistinguishability * medDist) {
      out.push({
        kind: 'low-distinguishability',
        message: `Distinguishability ${f3(di)} is below ${f2(thresholds.relativeDistinguishability)} × the median of ${m} behaviors (${f3(medDist)}): its positive and negative examples look alike to this model, so DPO learns it slowly; check the labels or add clearer examples.`,
      });
    }
    const le = input.labelErrors?.[i];
    if (le && le.count > 0) {
      out.push({
        kind: 'possible-label-error',
        message: `${le.count} of ${le.total} examples have labels that a classifier fitted without them contradicts (out-of-sample probability of the given label below ${f2(thresholds.labelHintCutoff)}, lowest ${f3(le.lowest)}): check their labels.`,
      });
    }
    return out;
  });
}
