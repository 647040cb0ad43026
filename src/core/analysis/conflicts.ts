import { dot, norm } from './matrix.js';

/** A behavior whose mean difference pulls against another's eq. (5) level. */
export interface PriorityConflict {
  name: string;
  /** cos(b_i, b_j). */
  cosine: number;
  /** Its term of P_i: w_j (b_j . b_i) / (||sum_k w_k b_k|| ||b_*||) (negative: it lowers P_i). */
  contribution: number;
}

/**
 * Why behavior i's eq. (5) level is low. P_i = (b_bar . b_i)/(||b_bar|| ||b_*||) with
 * b_bar = sum_j w_j b_j (P_i does not depend on the scale of b_bar), so P_i is the sum over j of
 * c_j = w_j (b_j . b_i) / (||b_bar|| ||b_*||), one term per behavior of the mixture (c_i, its own
 * term, is w_i ||b_i||^2 / (...) > 0). The conflicts are the j != i with c_j < 0: behaviors whose
 * mean difference points away from b_i (cos < 0), most negative contribution first. Empty when no
 * behavior pulls against it (its level is then low because the others are orthogonal to it, or
 * because its own b_i is short).
 */
export function priorityConflicts(
  names: readonly string[],
  b: readonly Float64Array[],
  weights: ArrayLike<number>,
  i: number,
): PriorityConflict[] {
  const m = b.length;
  if (m === 0) return [];
  const d = b[0].length;
  const bbar = new Float64Array(d);
  for (let j = 0; j < m; j++) for (let k = 0; k < d; k++) bbar[k] += weights[j] * b[j][k];
  const nbar = norm(bbar, d);
  let nstar = 0;
  for (const x of b) nstar = Math.max(nstar, norm(x, d));
  const ni = norm(b[i], d);
  if (nbar === 0 || nstar === 0 || ni === 0) return [];
  const out: PriorityConflict[] = [];
  for (let j = 0; j < m; j++) {
    if (j === i) continue;
    const bij = dot(b[i], b[j], d);
    const contribution = (weights[j] * bij) / (nbar * nstar);
    const nj = norm(b[j], d);
    if (contribution < 0 && nj > 0)
      out.push({ name: names[j], cosine: bij / (ni * nj), contribution });
  }
  return out.sort((x, y) => x.contribution - y.contribution || (x.name < y.name ? -1 : 1));
}
