import { dot, norm } from './matrix.js';
import { priorityLevels } from './priority.js';
import { median } from './stats.js';
import { DEFAULT_THRESHOLDS } from './warnings.js';

export interface RebalanceOptions {
  /** Largest upsampling factor suggested for one behavior. */
  cap?: number;
  /**
   * Stop once every level is at least relativeTarget x the median level, i.e. no behavior would
   * get a 'deprioritized' warning (the warning's threshold by default). 1 equalises the levels
   * as far as the cap allows.
   */
  relativeTarget?: number;
}

export const DEFAULT_REBALANCE = {
  cap: 10,
  relativeTarget: DEFAULT_THRESHOLDS.priorityLevel,
} as const;

export interface Upsampling {
  /** Factor per behavior, >= 1, the smallest one exactly 1. */
  factors: number[];
  levelsBefore: number[];
  levelsAfter: number[];
}

/**
 * Upsampling factors u_i that raise the lowest eq. (5) level of the mixture, the mixture weight
 * of behavior i becoming base_i * u_i (base_i = n_i * w_i). Deterministic pattern search on
 * x = log u in [0, log cap]^m: each iteration applies the single-coordinate move (+-h) that most
 * increases min_i P_i, halving h when none does, until every level reaches relativeTarget x the
 * median level (so the
 * factors stay as small as the goal allows) or h < 1e-3 (then min_i P_i is at a local maximum).
 * Moves are evaluated in O(m) each from the Gram matrix of the b_i. The factors are finally
 * divided by their minimum (levels do not change when every weight is scaled).
 */
export function suggestUpsampling(
  b: readonly Float64Array[],
  baseWeights: readonly number[],
  options: RebalanceOptions = {},
): Upsampling {
  const m = b.length;
  const cap = options.cap ?? DEFAULT_REBALANCE.cap;
  const relativeTarget = options.relativeTarget ?? DEFAULT_REBALANCE.relativeTarget;
  const levelsBefore = priorityLevels(b, baseWeights);
  const factors = new Array<number>(m).fill(1);
  if (m < 2) return { factors, levelsBefore, levelsAfter: levelsBefore.slice() };
  const d = b[0].length;
  const nstar = Math.max(...b.map((x) => norm(x, d)));
  if (nstar === 0) return { factors, levelsBefore, levelsAfter: levelsBefore.slice() };
  const G = b.map((bi) => b.map((bj) => dot(bi, bj, d)));
  const x = new Float64Array(m);
  const v = new Float64Array(m);
  for (let j = 0; j < m; j++) for (let i = 0; i < m; i++) v[j] += baseWeights[i] * G[i][j];
  let S = 0;
  for (let i = 0; i < m; i++) S += baseWeights[i] * v[i];
  const minLevel = (vv: ArrayLike<number>, s: number): number => {
    if (s <= 0) return -Infinity;
    let lo = Infinity;
    for (let j = 0; j < m; j++) lo = Math.min(lo, vv[j]);
    return lo / (Math.sqrt(s) * nstar);
  };
  let f = minLevel(v, S);
  const medianOf = (vv: ArrayLike<number>, s: number): number =>
    median(Array.from(vv, (x) => x / (Math.sqrt(s) * nstar)));
  const satisfied = (): boolean => f > 0 && f >= relativeTarget * medianOf(v, S);
  const maxX = Math.log(cap);
  let h = Math.LN2;
  const levelOf = (vv: ArrayLike<number>, s: number, j: number): number =>
    vv[j] / (Math.sqrt(s) * nstar);
  // A move changes the log-weights of a set of behaviors by +-h (clamped): one behavior, or all
  // behaviors within TIE of the minimum together (single moves stall when two minima are tied).
  const TIE = 1e-3;
  const tryMove = (
    set: readonly number[],
    step: number,
  ): { f: number; v: Float64Array; s: number; xs: number[] } | null => {
    const tv = Float64Array.from(v);
    let ts = S;
    const xs: number[] = [];
    let moved = false;
    for (const i of set) {
      const xi = Math.min(maxX, Math.max(0, x[i] + step));
      xs.push(xi);
      if (xi === x[i]) continue;
      moved = true;
      const dW = baseWeights[i] * (Math.exp(xi) - Math.exp(x[i]));
      ts += 2 * dW * tv[i] + dW * dW * G[i][i];
      for (let j = 0; j < m; j++) tv[j] += dW * G[i][j];
    }
    return moved ? { f: minLevel(tv, ts), v: tv, s: ts, xs } : null;
  };
  for (let iter = 0; iter < 10_000 && h >= 1e-3 && !satisfied(); iter++) {
    const tied: number[] = [];
    for (let j = 0; j < m; j++) if (levelOf(v, S, j) <= f + TIE) tied.push(j);
    const moves: [number[], number][] = [[tied, h]];
    for (let i = 0; i < m; i++) moves.push([[i], h], [[i], -h]);
    let best: { f: number; v: Float64Array; s: number; xs: number[]; set: number[] } | null = null;
    for (const [set, step] of moves) {
      const r = tryMove(set, step);
      if (r && r.f > (best ? best.f : f) + 1e-12) best = { ...r, set };
    }
    if (!best) {
      h /= 2;
      continue;
    }
    best.set.forEach((i, k) => (x[i] = best!.xs[k]));
    v.set(best.v);
    S = best.s;
    f = best.f;
  }
  const minX = Math.min(...x);
  for (let i = 0; i < m; i++) factors[i] = Math.exp(x[i] - minX);
  const levelsAfter = priorityLevels(
    b,
    baseWeights.map((w, i) => w * factors[i]),
  );
  return { factors, levelsBefore, levelsAfter };
}
