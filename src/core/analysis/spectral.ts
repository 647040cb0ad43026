import { type Matrix } from './matrix.js';
import { Rng } from './rng.js';

/**
 * Convergence target of the Lanczos iteration: stop when the residual of the top Ritz pair,
 * ||C y - theta y|| = beta_k |s_k|, is at most SPECTRAL_TOLERANCE * theta. The Ritz value is
 * then within SPECTRAL_TOLERANCE relative of the largest eigenvalue (in practice within
 * residual^2 / gap, far below that).
 */
export const SPECTRAL_TOLERANCE = 1e-10;

export interface SpectralOptions {
  tolerance?: number;
  maxIterations?: number;
  seed?: number;
}

/**
 * Largest eigenvalue of the unbiased sample covariance of the given rows (= its spectral norm,
 * the covariance being positive semi-definite), without forming the d x d matrix: Lanczos with
 * full reorthogonalisation on v -> Xc^T (Xc v) / (n - 1), Xc the centred rows. Each iteration
 * costs two passes over the rows (2 n d multiply-adds) and the Krylov space never needs more
 * than rank(Xc) + 1 <= n vectors, after which the answer is exact.
 */
export function covarianceSpectralNorm(
  m: Matrix,
  rows: ArrayLike<number>,
  mean: Float64Array,
  options: SpectralOptions = {},
): number {
  const n = rows.length;
  const d = m.dim;
  if (n < 2) return 0;
  const tol = options.tolerance ?? SPECTRAL_TOLERANCE;
  // rank(Xc) <= n - 1, plus one direction for the start vector's null-space part.
  const maxIter = Math.min(options.maxIterations ?? 300, d, n);
  const { data } = m;
  const inv = 1 / (n - 1);
  const u = new Float64Array(n);

  const apply = (v: Float64Array, out: Float64Array): void => {
    const muv = dotF64(mean, v, d);
    let su = 0;
    for (let i = 0; i < n; i++) {
      const off = rows[i] * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += data[off + k] * v[k];
      u[i] = s - muv;
      su += u[i];
    }
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const off = rows[i] * d;
      const a = u[i];
      for (let k = 0; k < d; k++) out[k] += a * data[off + k];
    }
    for (let k = 0; k < d; k++) out[k] = (out[k] - su * mean[k]) * inv;
  };

  const rng = new Rng(options.seed ?? 1234, 0x5eed);
  const basis: Float64Array[] = [];
  let q = new Float64Array(d);
  for (let k = 0; k < d; k++) q[k] = rng.normal();
  scale(q, 1 / Math.sqrt(dotF64(q, q, d)));
  const alpha: number[] = [];
  const beta: number[] = [];
  const w = new Float64Array(d);
  let theta = 0;
  for (let j = 0; j < maxIter; j++) {
    basis.push(q);
    apply(q, w);
    const a = dotF64(q, w, d);
    alpha.push(a);
    // Full reorthogonalisation, twice ("twice is enough"), keeps the Ritz values clean of ghosts.
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dotF64(b, w, d);
        for (let k = 0; k < d; k++) w[k] -= c * b[k];
      }
    }
    const bj = Math.sqrt(dotF64(w, w, d));
    const { value, lastComponent } = topEigenOfTridiagonal(alpha, beta);
    theta = value;
    const scaleRef = Math.max(Math.abs(theta), Number.MIN_VALUE);
    if (bj * Math.abs(lastComponent) <= tol * scaleRef || bj <= 1e-14 * scaleRef) break;
    beta.push(bj);
    q = new Float64Array(d);
    for (let k = 0; k < d; k++) q[k] = w[k] / bj;
  }
  return Math.max(theta, 0);
}

function dotF64(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

function scale(a: Float64Array, c: number): void {
  for (let k = 0; k < a.length; k++) a[k] *= c;
}

/** Largest eigenvalue of the tridiagonal T (diagonal alpha, off-diagonal beta) and the last component of its unit eigenvector. */
function topEigenOfTridiagonal(
  alpha: number[],
  beta: number[],
): { value: number; lastComponent: number } {
  const k = alpha.length;
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    a[i * k + i] = alpha[i];
    if (i + 1 < k) {
      a[i * k + i + 1] = beta[i];
      a[(i + 1) * k + i] = beta[i];
    }
  }
  const { values, vectors } = jacobiEigen(a, k);
  let best = 0;
  for (let i = 1; i < k; i++) if (values[i] > values[best]) best = i;
  return { value: values[best], lastComponent: vectors[(k - 1) * k + best] };
}

/**
 * Cyclic Jacobi eigen-decomposition of a small dense symmetric matrix (row-major, k x k).
 * Returns eigenvalues and eigenvectors (column j of `vectors` belongs to values[j]).
 * Jacobi is slow for big k but accurate to working precision, which is what the tolerance needs.
 */
export function jacobiEigen(
  input: Float64Array,
  k: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        const x = a[i * k + j] * a[i * k + j];
        total += x;
        if (i !== j) off += x;
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (apq === 0) continue;
        const app = a[p * k + p];
        const aqq = a[q * k + q];
        const tau = (aqq - app) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p];
          const arq = a[r * k + q];
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r];
          const aqr = a[q * k + r];
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = a[i * k + i];
  return { values, vectors: v };
}
