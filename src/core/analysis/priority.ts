import { dot, norm } from './matrix.js';

/**
 * Eq. (5) priority levels for m behaviors trained together.
 *
 * b_bar is the example-weighted mean of the b_i, with weight n_i * w_i (n_i the number of training
 * examples of behavior i, w_i an optional sampling weight): this is the direction of the first DPO
 * gradient step on the mixture. With equal n_i and w_i it is the paper's (1/m) sum_i b_i. P_i is
 * invariant to the scale of b_bar, so the weights need not be normalised. P_i = 1 means the first
 * step moves behavior i as much as a step along the largest b would; P_i <= 0 means it does not
 * help behavior i at all (or hurts it).
 */
export function priorityLevels(b: readonly Float64Array[], weights?: ArrayLike<number>): number[] {
  const m = b.length;
  if (m === 0) return [];
  const d = b[0].length;
  const bbar = new Float64Array(d);
  for (let i = 0; i < m; i++) {
    const w = weights ? weights[i] : 1;
    const bi = b[i];
    for (let k = 0; k < d; k++) bbar[k] += w * bi[k];
  }
  const nbar = norm(bbar, d);
  let nstar = 0;
  for (const bi of b) nstar = Math.max(nstar, norm(bi, d));
  if (nbar === 0 || nstar === 0) return b.map(() => 0);
  return b.map((bi) => dot(bbar, bi, d) / (nbar * nstar));
}

/**
 * Reference pairwise gap: for (i, j), b_bar = (b_i + b_j)/2, p = (b_bar . b)/||b_bar||,
 * gap = (p_i - p_j) / max(||b_i||, ||b_j||). Filled for i < j and mirrored, so it is exactly
 * antisymmetric; the diagonal is 0.
 *
 * With `weights` (n_i w_i, as for priorityLevels) b_bar = (n_i b_i + n_j b_j)/(n_i + n_j), the
 * direction of the first step on the pair trained together: the gap's sign then always agrees
 * with P_i - P_j of that pair (both are b_bar . (b_i - b_j) over positive numbers). For equal
 * weights this is the reference's gap, to the last bit (the weights are then left out).
 */
export function priorityGaps(b: readonly Float64Array[], weights?: ArrayLike<number>): number[][] {
  const m = b.length;
  const gaps = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  if (m === 0) return gaps;
  const d = b[0].length;
  const norms = b.map((x) => norm(x, d));
  for (let i = 0; i < m; i++) {
    const bi = b[i];
    for (let j = i + 1; j < m; j++) {
      const bj = b[j];
      const wi =
        weights && weights[i] !== weights[j] ? weights[i] / (weights[i] + weights[j]) : 0.5;
      const wj = 1 - wi;
      const equal = wi === 0.5;
      // ||bbar||^2, bbar . bi and bbar . bj in one pass, each summed in the order of norm() and dot().
      let nn = 0;
      let di = 0;
      let dj = 0;
      for (let k = 0; k < d; k++) {
        const x = equal ? (bi[k] + bj[k]) / 2 : wi * bi[k] + wj * bj[k];
        nn += x * x;
        di += x * bi[k];
        dj += x * bj[k];
      }
      const nb = Math.sqrt(nn);
      const scale = Math.max(norms[i], norms[j]);
      const g = nb === 0 || scale === 0 ? 0 : (di / nb - dj / nb) / scale;
      gaps[i][j] = g;
      gaps[j][i] = -g;
    }
  }
  return gaps;
}
