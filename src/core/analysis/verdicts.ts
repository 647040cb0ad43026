import type { BehaviorWarning } from './types.js';
import type { PriorityConflict } from './conflicts.js';

/**
 * What a warning may claim, on top of warnings.ts's per-behavior rules:
 * - significance 0.05: a behavior whose Benjamini-Hochberg adjusted permutation p-value is at
 *   least this is 'indistinguishable' from shuffled labels: it gets no 'deprioritized' and no
 *   'possible-label-error' claim, and its priority level is not meaningful (its mean difference
 *   is what noise gives, so its direction, which the level measures, is noise too).
 * - priorityLevelAbsolute 0.05: a level below this is deprioritized whatever the median (the
 *   median-relative rule collapses when most of a mixture is weak); a level <= 0 always is.
 * - flagStability 0.9: a 'deprioritized' flag that holds in fewer than this fraction of the
 *   bootstrap replicates (see stability.ts) is shown as 'borderline' instead.
 */
export const DEFAULT_VERDICT_THRESHOLDS = {
  significance: 0.05,
  priorityLevelAbsolute: 0.05,
  flagStability: 0.9,
} as const;

export interface VerdictThresholds {
  significance: number;
  priorityLevelAbsolute: number;
  flagStability: number;
}

export interface VerdictInput {
  names: readonly string[];
  levels: readonly number[];
  distinguishability: readonly number[];
  pValues: readonly number[];
  pAdjusted: readonly number[];
  /** warnings.ts's warnings, aligned with names. */
  warnings: readonly BehaviorWarning[][];
  /** Per behavior, what pulls against it (conflicts.ts); computed for the deprioritized only. */
  conflicts: (names: readonly string[], i: number) => PriorityConflict[];
  /** Per behavior, the fraction of bootstrap replicates in which it is deprioritized (stability.ts). */
  flagStability?: readonly number[];
}

export interface Verdicts {
  warnings: BehaviorWarning[][];
  priorityMeaningful: boolean[];
  /** Conflicts of each deprioritized (or borderline) behavior, empty for the others. */
  conflicts: PriorityConflict[][];
  deprioritized: boolean[];
}

const f2 = (x: number): string => x.toFixed(2);
const fp = (p: number): string => (p >= 0.01 ? p.toFixed(2) : p.toPrecision(1));

export function isSignificant(
  pAdjusted: number,
  t: Pick<VerdictThresholds, 'significance'>,
): boolean {
  return pAdjusted < t.significance;
}

/** The sentence that names who pulls against a deprioritized behavior. */
export function conflictSentence(name: string, conflicts: readonly PriorityConflict[]): string {
  if (conflicts.length === 0)
    return `no behavior of the mixture pulls against ${name}: the mixture's first step is nearly orthogonal to it`;
  const top = conflicts.slice(0, 3).map((c) => `${c.name} (cos ${f2(c.cosine)})`);
  const rest = conflicts.length > 3 ? ` and ${conflicts.length - 3} more` : '';
  const verb = conflicts.length === 1 ? 'pulls' : 'pull';
  return `${name} is deprioritized because ${top.join(', ')}${rest} ${verb} the opposite way`;
}

/** The final warnings: significance, the absolute threshold, conflicts and stability applied. */
export function applyVerdicts(input: VerdictInput, t: VerdictThresholds): Verdicts {
  const m = input.names.length;
  const out: Verdicts = { warnings: [], priorityMeaningful: [], conflicts: [], deprioritized: [] };
  for (let i = 0; i < m; i++) {
    const name = input.names[i];
    const level = input.levels[i];
    const significant = isSignificant(input.pAdjusted[i], t);
    let list = [...input.warnings[i]];
    let conflicts: PriorityConflict[] = [];
    let flagged = false;
    if (!significant) {
      list = list.filter((w) => w.kind !== 'deprioritized' && w.kind !== 'possible-label-error');
      list.unshift({
        kind: 'indistinguishable',
        message:
          `Indistinguishable from shuffled labels: permutation p = ${fp(input.pValues[i])} ` +
          `(Benjamini-Hochberg adjusted over ${m} behaviors: ${fp(input.pAdjusted[i])}, not below ${f2(t.significance)}); ` +
          `a mean difference of ${f2(input.distinguishability[i])} is what noise gives at this size, so its priority level ` +
          `and label hints mean nothing; check that the labels mean what they should or add clearer examples.`,
      });
    } else if (m >= 2) {
      const relative = list.findIndex((w) => w.kind === 'deprioritized');
      if (relative < 0 && level < t.priorityLevelAbsolute) {
        list.unshift({
          kind: 'deprioritized',
          message: `Priority level ${f2(level)} is below the absolute threshold ${f2(t.priorityLevelAbsolute)}: the first DPO step on this mixture barely moves its loss; train it separately or upsample it.`,
        });
      }
      const at = list.findIndex((w) => w.kind === 'deprioritized');
      if (at >= 0) {
        flagged = true;
        conflicts = input.conflicts(input.names, i);
        const w = list[at];
        const why = `${conflictSentence(name, conflicts)}.`;
        const stability = input.flagStability?.[i];
        if (stability !== undefined && stability < t.flagStability) {
          list[at] = {
            kind: 'borderline',
            message: `Borderline: deprioritized in only ${Math.round(100 * stability)}% of bootstrap replicates (below ${Math.round(100 * t.flagStability)}%), so the flag may not hold on new data. ${w.message} ${why}`,
          };
        } else {
          list[at] = { kind: 'deprioritized', message: `${w.message} ${why}` };
        }
      }
    }
    out.warnings.push(list);
    out.priorityMeaningful.push(m >= 2 && significant);
    out.conflicts.push(conflicts);
    out.deprioritized.push(flagged);
  }
  return out;
}

/** Mixture-level notes (report.warnings). */
export const SINGLE_BEHAVIOR_NOTE =
  'Only one behavior: priority needs a mixture (levels compare behaviors trained together), so no priority claim is made; see behavior discovery to split a dataset into behaviors, or analyze it together with others.';

/** A mixture read from files of different schemas (report.warnings), or null. */
export function mixedSchemaWarning(
  inputs: readonly { file: string; schema: string }[],
): { kind: 'mixed-schemas'; message: string } | null {
  const bySchema = new Map<string, string[]>();
  for (const i of inputs) bySchema.set(i.schema, [...(bySchema.get(i.schema) ?? []), i.file]);
  if (bySchema.size < 2) return null;
  const parts = [...bySchema].map(
    ([schema, files]) =>
      `${schema} (${files.length} file${files.length === 1 ? '' : 's'}: ${files
        .slice(0, 3)
        .map((f) => f.split(/[\\/]/).pop())
        .join(', ')}${files.length > 3 ? ', …' : ''})`,
  );
  return {
    kind: 'mixed-schemas',
    message: `The inputs mix ${bySchema.size} schemas: ${parts.join('; ')}. They were analyzed as one mixture; check that they were meant to be trained together (their texts are built differently, so their embeddings may differ for that reason alone).`,
  };
}
