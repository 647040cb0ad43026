/**
 * Fewest rows of each answer (+1 and −1) a behavior needs to be analyzed: the statistics need a
 * mean and a spread on each side. Shared by the analysis and by `check`, which predicts it.
 */
export const MIN_ROWS_PER_ANSWER = 2;

/** Why a behavior with these row counts cannot be analyzed, or null when it can. */
export function exclusionReason(positive: number, negative: number): string | null {
  if (positive >= MIN_ROWS_PER_ANSWER && negative >= MIN_ROWS_PER_ANSWER) return null;
  return `needs at least ${MIN_ROWS_PER_ANSWER} examples of each answer (has ${positive} yes, ${negative} no)`;
}
