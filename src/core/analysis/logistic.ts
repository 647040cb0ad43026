import type { RowBlock } from './linalg.js';

/**
 * L2-regularized logistic regression for the label hints (label-hints.ts), fitted by truncated
 * Newton (Newton-CG): each Newton system is solved by conjugate gradients from Hessian-vector
 * products, each of which is one pass of `dots` and one of `addTo` over the behavior's rows (the
 * SIMD kernels of kernels.ts). Why not plain Newton: forming the Hessian costs n·d²/2 per step
 * (59M multiply-adds at d = 384 for 800 rows), while with the penalty below the systems are well
 * conditioned (eigenvalues between lambda and lambda + n·max variance / 4) and CG needs a few
 * dozen passes of n·d. Float64 accumulation throughout.
 *
 * The features are the block's rows standardized, x_i = s (g_i − mu), handled without a copy:
 * x_i · v = s (g_i · v − mu · v) and sum_i r_i x_i = s (sum_i r_i g_i − mu sum_i r_i).
 *
 * Objective over the training rows (mask[i] = 1), targets t_i in {0, 1}, intercept c unpenalized:
 *   sum_i [log(1 + e^{z_i}) − t_i z_i] + (lambda / 2) ||w||²,   z_i = w · x_i + c.
 */
export interface StandardizedRows {
  block: RowBlock;
  dim: number;
  mean: Float64Array;
  scale: number;
}

export interface LogisticOptions {
  lambda: number;
  /** Stop when ||gradient|| <= tol * ||gradient at the zero start||. */
  tol?: number;
  maxNewton?: number;
  maxCg?: number;
}

export interface LogisticFit {
  /** dim weights, then the intercept. */
  coef: Float64Array;
  /** Passes over the rows (dots or addTo) the fit took. */
  passes: number;
}

export const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));

/** log(1 + e^z) without overflow. */
const softplus = (z: number): number =>
  z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));

/** z = X w + c for every row of the block (training or not). */
export function logisticScores(x: StandardizedRows, coef: Float64Array, z: Float64Array): void {
  const d = x.dim;
  x.block.dots(coef, z);
  let muW = 0;
  for (let j = 0; j < d; j++) muW += x.mean[j] * coef[j];
  const c = coef[d];
  for (let i = 0; i < z.length; i++) z[i] = x.scale * (z[i] - muW) + c;
}

/** Fits on the rows with mask[i] = 1, from `start` (d + 1 numbers) or zero. */
export function fitLogistic(
  x: StandardizedRows,
  mask: Uint8Array,
  t: Float64Array,
  options: LogisticOptions,
  start?: Float64Array,
): LogisticFit {
  const d = x.dim;
  const n = x.block.n;
  const p = d + 1;
  const { lambda } = options;
  const tol = options.tol ?? 1e-6;
  const maxNewton = options.maxNewton ?? 30;
  const maxCg = options.maxCg ?? 100;
  const coef = start ? Float64Array.from(start) : new Float64Array(p);
  const z = new Float64Array(n);
  const r = new Float64Array(n);
  const curvature = new Float64Array(n);
  const xv = new Float64Array(n);
  const grad = new Float64Array(p);
  const acc = new Float64Array(d);
  let passes = 0;

  const objective = (zz: Float64Array, c: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < n; i++) if (mask[i]) f += softplus(zz[i]) - t[i] * zz[i];
    for (let j = 0; j < d; j++) f += 0.5 * lambda * c[j] * c[j];
    return f;
  };
  /** out = sum_i coefs_i x_i (masked rows only; coefs already masked). */
  const transposed = (coefs: Float64Array, out: Float64Array): number => {
    acc.fill(0);
    x.block.addTo(coefs, acc);
    passes++;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += coefs[i];
    for (let j = 0; j < d; j++) out[j] = x.scale * (acc[j] - x.mean[j] * sum);
    return sum;
  };
  const gradient = (): number => {
    for (let i = 0; i < n; i++) {
      if (!mask[i]) {
        r[i] = 0;
        curvature[i] = 0;
        continue;
      }
      const q = sigmoid(z[i]);
      r[i] = q - t[i];
      curvature[i] = q * (1 - q);
    }
    grad[d] = transposed(r, grad);
    for (let j = 0; j < d; j++) grad[j] += lambda * coef[j];
    return Math.sqrt(dotP(grad, grad, p));
  };
  /** out = H v (v: d + 1 numbers). */
  const hv = (v: Float64Array, out: Float64Array): void => {
    x.block.dots(v, xv);
    passes++;
    let muV = 0;
    for (let j = 0; j < d; j++) muV += x.mean[j] * v[j];
    for (let i = 0; i < n; i++) xv[i] = curvature[i] * (x.scale * (xv[i] - muV) + v[d]);
    out[d] = transposed(xv, out);
    for (let j = 0; j < d; j++) out[j] += lambda * v[j];
  };

  logisticScores(x, coef, z);
  passes++;
  let f = objective(z, coef);
  let g = gradient();
  // Reference gradient norm: the zero start's (all probabilities 1/2), so the tolerance means the
  // same for a warm start.
  const half = new Float64Array(n);
  for (let i = 0; i < n; i++) half[i] = mask[i] ? 0.5 - t[i] : 0;
  const atZero = new Float64Array(p);
  atZero[d] = transposed(half, atZero);
  const g0 = Math.sqrt(dotP(atZero, atZero, p));
  const step = new Float64Array(p);
  const res = new Float64Array(p);
  const dir = new Float64Array(p);
  const hd = new Float64Array(p);
  const trial = new Float64Array(p);
  const zTrial = new Float64Array(n);
  for (let it = 0; it < maxNewton && g > tol * g0; it++) {
    // CG on H step = grad, to a relative residual that tightens as the gradient shrinks.
    step.fill(0);
    res.set(grad);
    dir.set(grad);
    let rr = dotP(res, res, p);
    const target = Math.min(0.1, Math.sqrt(g / g0)) ** 2 * rr;
    for (let k = 0; k < maxCg && rr > target; k++) {
      hv(dir, hd);
      const alpha = rr / dotP(dir, hd, p);
      for (let j = 0; j < p; j++) {
        step[j] += alpha * dir[j];
        res[j] -= alpha * hd[j];
      }
      const next = dotP(res, res, p);
      const beta = next / rr;
      rr = next;
      for (let j = 0; j < p; j++) dir[j] = res[j] + beta * dir[j];
    }
    // Backtracking: plain Newton can overshoot where the classes are nearly separable.
    let size = 1;
    let accepted = false;
    for (let tries = 0; tries < 20; tries++) {
      for (let j = 0; j < p; j++) trial[j] = coef[j] - size * step[j];
      logisticScores(x, trial, zTrial);
      passes++;
      const ft = objective(zTrial, trial);
      if (ft <= f) {
        f = ft;
        coef.set(trial);
        z.set(zTrial);
        accepted = true;
        break;
      }
      size /= 2;
    }
    if (!accepted) break;
    g = gradient();
  }
  return { coef, passes };
}

function dotP(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
