import { asRows, dotF64, type GramBlock, OrthogonalBasis, withGramBlock } from './linalg.js';
import { type Matrix } from './matrix.js';
import { Rng } from './rng.js';

/**
 * Convergence target of the Lanczos iteration, relative to the eigenvalue. With r = ||C y - theta y||
 * = beta_k |s_k| the residual of the top Ritz pair and gap = theta_1 - theta_2 the distance to the
 * next Ritz value, the error of theta_1 is at most min(r, r^2 / gap) (the usual a-posteriori
 * estimate); the iteration stops when that is <= SPECTRAL_TOLERANCE * theta_1, when the Krylov
 * space is exhausted (then theta_1 is exact) or after maxIterations.
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
 * costs one pass over the rows (2 n d multiply-adds) and the Krylov space never needs more
 * than rank(Xc) + 1 <= n vectors, after which the answer is exact.
 */
export function covarianceSpectralNorm(
  m: Matrix,
  rows: ArrayLike<number>,
  mean: Float64Array,
  options: SpectralOptions = {},
): number {
  if (rows.length < 2) return 0;
  // The class's rows go into the SIMD module's memory once for all the iterations.
  return withGramBlock(m.data, m.dim, asRows(rows), (block) =>
    spectralNormOfBlock(block, m.dim, mean, options),
  );
}

export interface CovarianceSummary {
  /** Mean of the rows (the numbers of meanOfRows). */
  mean: Float64Array;
  /** tr Cov, unbiased (n - 1), from the centred values (no cancellation). */
  trace: number;
  /** As covarianceSpectralNorm. */
  spectralNorm: number;
}

/**
 * Mean, trace and spectral norm of the covariance of one class, from a single copy of its rows
 * into the SIMD module (at d = 4096 the rows are not cache-resident, and every pass reads them
 * from memory).
 */
export function covarianceSummary(
  m: Matrix,
  rows: ArrayLike<number>,
  options: SpectralOptions = {},
): CovarianceSummary {
  const d = m.dim;
  return withGramBlock(m.data, d, asRows(rows), (block) => {
    const { mean, trace } = momentsOfBlock(block, d);
    const spectralNorm = block.n < 2 ? 0 : spectralNormOfBlock(block, d, mean, options);
    return { mean, trace, spectralNorm };
  });
}

/** Which Gram matrix of the centred rows Xc [n, d]: Xc Xc^T [n, n] or Xc^T Xc [d, d]. */
export type GramSide = 'rows' | 'dims';

/** A Gram matrix of a class's centred rows, in float32 (GemmService.gram computes it with BLAS). */
export interface ClassGram {
  /** [size, size], row-major. */
  values: Float32Array;
  size: number;
  side: GramSide;
}

/**
 * Classes whose Gram matrix (the smaller side) is at most this wide start from it when a
 * linear-algebra worker is there (covarianceSummaryFromGram): its float32 block stays within 16 MiB.
 */
const GRAM_MAX_SIZE = 2048;

/** Whether covarianceSummaryFromGram can start from a Gram matrix of n rows of dimension d. */
export const gramApplies = (n: number, d: number): boolean =>
  n >= 2 && Math.min(n, d) <= GRAM_MAX_SIZE;

/**
 * covarianceSummary with the float32 Gram matrix of the centred rows in place of the float32
 * Lanczos phase: its top eigenvector (lifted to R^d through Xc^T when the Gram matrix is [n, n]:
 * both share the nonzero spectrum) is within float32 rounding of the covariance's, and the
 * float64 Lanczos from it decides by the unchanged SPECTRAL_TOLERANCE rule, usually after two
 * passes over the rows. The Gram matrix costs n^2 d multiply-adds, but in BLAS: one product
 * instead of dozens of memory-bound passes. Without one (null) this is covarianceSummary.
 */
export function covarianceSummaryFromGram(
  m: Matrix,
  rows: ArrayLike<number>,
  gram: ClassGram | null,
  options: SpectralOptions = {},
): CovarianceSummary {
  if (!gram) return covarianceSummary(m, rows, options);
  const d = m.dim;
  const top = topEigenvector(gram, options.seed ?? 1234);
  return withGramBlock(m.data, d, asRows(rows), (block) => {
    const { mean, trace } = momentsOfBlock(block, d);
    if (block.n < 2) return { mean, trace, spectralNorm: 0 };
    let start = top;
    if (gram.side === 'rows') {
      // Xc^T u = sum_i u_i g_i - (sum_i u_i) mu.
      start = new Float64Array(d);
      block.addTo(top, start);
      let su = 0;
      for (let i = 0; i < top.length; i++) su += top[i];
      for (let k = 0; k < d; k++) start[k] -= su * mean[k];
    }
    return { mean, trace, spectralNorm: spectralNormOfBlock(block, d, mean, options, start) };
  });
}

/** The class's mean and unbiased trace from its rows in the SIMD module. */
function momentsOfBlock(block: GramBlock, d: number): { mean: Float64Array; trace: number } {
  const n = block.n;
  const mean = new Float64Array(d);
  block.sumRows(mean);
  const inv = n > 0 ? 1 / n : 0;
  for (let k = 0; k < d; k++) mean[k] *= inv;
  return { mean, trace: n < 2 ? 0 : block.squaredDeviations(mean) / (n - 1) };
}

/** The top eigenvector of the Gram matrix, by float64 Lanczos on it (its rows are the block). */
function topEigenvector(gram: ClassGram, seed: number): Float64Array {
  const k = gram.size;
  const all = Int32Array.from({ length: k }, (_, i) => i);
  return withGramBlock(
    gram.values,
    k,
    all,
    (g) => lanczosTop((v, out) => g.dots(v, out), k, k, GRAM_TOLERANCE, seed).vector,
  );
}

/**
 * Where the Lanczos iteration on the Gram matrix stops. Looser does not save much there and costs
 * float64 passes over the rows: measured at d = 4096 on 500 rows per class (synthetic bench data),
 * 40 to 62 iterations on the Gram matrix, then 2 float64 iterations on the rows.
 */
const GRAM_TOLERANCE = 1e-10;

function spectralNormOfBlock(
  block: GramBlock,
  d: number,
  mean: Float64Array,
  options: SpectralOptions,
  /** The first Lanczos vector (covarianceSummaryFromGram): no float32 phase. */
  start?: Float64Array,
): number {
  const n = block.n;
  const tol = options.tolerance ?? SPECTRAL_TOLERANCE;
  // rank(Xc) <= n - 1, plus one direction for the start vector's null-space part.
  const maxIter = Math.min(options.maxIterations ?? 300, d, n);
  const inv = 1 / (n - 1);
  const proj = new Float64Array(n);
  // Xc^T (Xc v) without forming Xc: proj_i = g_i . v - mu . v, then sum proj_i g_i - (sum proj_i) mu.
  const operator =
    (single: boolean) =>
    (v: Float64Array, out: Float64Array): void => {
      const muv = dotF64(mean, v, d);
      out.fill(0);
      if (single) block.gram32(v, Math.fround(muv), proj, out);
      else block.gram(v, muv, proj, out);
      let su = 0;
      for (let i = 0; i < n; i++) su += proj[i];
      for (let k = 0; k < d; k++) out[k] = (out[k] - su * mean[k]) * inv;
    };
  const seed = options.seed ?? 1234;
  // Two phases: float32 passes (twice as fast) bring the top Ritz vector close; float64 Lanczos
  // from that vector then converges in a few iterations and decides, by the same rule, when
  // theta is within the tolerance. The result has the float64 run's accuracy. A start from the
  // Gram matrix replaces the first phase.
  const rough =
    start ??
    lanczosTop(operator(true), d, maxIter, Math.max(tol, ROUGH_TOLERANCE), seed, {
      passes: 1,
    }).vector;
  return lanczosTop(operator(false), d, maxIter, tol, seed, { start: rough }).value;
}

/**
 * Where the float32 phase stops: the float32 products carry relative errors near 1e-7, below
 * which its Ritz values stop improving. Measured at d = 4096 on 500 rows per class: 42 float32
 * then 14 float64 iterations, against 54 float64 ones from a random start.
 */
const ROUGH_TOLERANCE = 1e-6;

interface LanczosStart {
  /** First Lanczos vector (default: a seeded random vector). */
  start?: Float64Array;
  /** Reorthogonalisation passes per step: 2 for the result, 1 is enough for a start vector. */
  passes?: number;
}

/** Top eigenvalue of the symmetric PSD operator `apply` (see covarianceSpectralNorm) and its Ritz vector. */
function lanczosTop(
  apply: (v: Float64Array, out: Float64Array) => void,
  d: number,
  maxIter: number,
  tol: number,
  seed: number,
  from: LanczosStart = {},
): { value: number; vector: Float64Array } {
  const basis = OrthogonalBasis.create(d);
  try {
    return lanczosIterations(apply, basis, d, maxIter, tol, seed, from);
  } finally {
    basis.dispose();
  }
}

/** The iterations of lanczosTop, the basis of the Krylov space kept in `basis`. */
function lanczosIterations(
  apply: (v: Float64Array, out: Float64Array) => void,
  basis: OrthogonalBasis,
  d: number,
  maxIter: number,
  tol: number,
  seed: number,
  { start, passes = 2 }: LanczosStart,
): { value: number; vector: Float64Array } {
  const q = new Float64Array(d);
  if (start && dotF64(start, start, d) > 0) q.set(start.subarray(0, d));
  else {
    const rng = new Rng(seed, 0x5eed);
    for (let k = 0; k < d; k++) q[k] = rng.normal();
  }
  scale(q, 1 / Math.sqrt(dotF64(q, q, d)));
  const alpha: number[] = [];
  const beta: number[] = [];
  const w = new Float64Array(d);
  let theta = 0;
  let ritz: Float64Array = Float64Array.of(1);
  for (let j = 0; j < maxIter; j++) {
    basis.push(q);
    apply(q, w);
    const a = dotF64(q, w, d);
    alpha.push(a);
    // Full reorthogonalisation, twice ("twice is enough"), keeps the Ritz values clean of ghosts.
    basis.orthogonalize(w, passes);
    const bj = Math.sqrt(dotF64(w, w, d));
    const { value, second, lastComponent, vector } = topEigenOfTridiagonal(alpha, beta);
    const previous = theta;
    theta = value;
    ritz = vector;
    const scaleRef = Math.max(Math.abs(theta), Number.MIN_VALUE);
    const r = bj * Math.abs(lastComponent);
    const gap = value - second;
    const error = Number.isFinite(gap) && gap > 0 ? Math.min(r, (r * r) / gap) : r;
    // The r^2/gap estimate trusts theta_2; also asking theta_1 to have settled guards early steps.
    const settled = j > 0 && Math.abs(theta - previous) <= tol * scaleRef;
    if ((error <= tol * scaleRef && (settled || error === r)) || bj <= 1e-14 * scaleRef) break;
    beta.push(bj);
    for (let k = 0; k < d; k++) q[k] = w[k] / bj;
  }
  const vector = new Float64Array(d);
  basis.combine(ritz, vector);
  return { value: Math.max(theta, 0), vector };
}

function scale(a: Float64Array, c: number): void {
  for (let k = 0; k < a.length; k++) a[k] *= c;
}

/**
 * Largest and second largest eigenvalue of the symmetric tridiagonal T (diagonal alpha,
 * off-diagonal beta) by Sturm-sequence bisection, and the last component of the top unit
 * eigenvector by inverse iteration just above the top eigenvalue (T - sigma I is then negative
 * definite, so the pivot-free tridiagonal solve is stable). O(k) per bisection step.
 */
function topEigenOfTridiagonal(
  alpha: number[],
  beta: number[],
): { value: number; second: number; lastComponent: number; vector: Float64Array } {
  const k = alpha.length;
  if (k === 1)
    return { value: alpha[0], second: -Infinity, lastComponent: 1, vector: Float64Array.of(1) };
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const r = (i > 0 ? Math.abs(beta[i - 1]) : 0) + (i < k - 1 ? Math.abs(beta[i]) : 0);
    lo = Math.min(lo, alpha[i] - r);
    hi = Math.max(hi, alpha[i] + r);
  }
  const [v1lo, v1hi] = kthEigenvalue(alpha, beta, k, lo, hi);
  const [v2lo, v2hi] = kthEigenvalue(alpha, beta, k - 1, lo, v1hi);
  const value = (v1lo + v1hi) / 2;
  const second = (v2lo + v2hi) / 2;
  const scaleRef = Math.max(Math.abs(hi), Math.abs(lo), Number.MIN_VALUE);
  const sigma = v1hi + 1e-13 * scaleRef;
  let y: Float64Array = new Float64Array(k).fill(1);
  for (let it = 0; it < 3; it++) {
    y = solveShiftedTridiagonal(alpha, beta, sigma, y);
    let nrm = 0;
    for (let i = 0; i < k; i++) nrm += y[i] * y[i];
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < k; i++) y[i] /= nrm;
  }
  return { value, second, lastComponent: y[k - 1], vector: y };
}

/** Number of eigenvalues of T below x (Sturm sequence). */
function countBelow(alpha: number[], beta: number[], x: number): number {
  let count = 0;
  let q = 1;
  for (let i = 0; i < alpha.length; i++) {
    const b2 = i > 0 ? beta[i - 1] * beta[i - 1] : 0;
    q = alpha[i] - x - (i > 0 ? b2 / q : 0);
    if (q === 0) q = -Number.MIN_VALUE;
    if (q < 0) count++;
  }
  return count;
}

/** Bracket [lo, hi] of the k-th smallest eigenvalue (1-based), to machine precision. */
function kthEigenvalue(
  alpha: number[],
  beta: number[],
  k: number,
  lo: number,
  hi: number,
): [number, number] {
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (countBelow(alpha, beta, mid) >= k) hi = mid;
    else lo = mid;
  }
  return [lo, hi];
}

/** Solves (T - sigma I) x = rhs by the Thomas algorithm. */
function solveShiftedTridiagonal(
  alpha: number[],
  beta: number[],
  sigma: number,
  rhs: Float64Array,
): Float64Array {
  const k = alpha.length;
  const c = new Float64Array(k);
  const x = new Float64Array(k);
  let denom = alpha[0] - sigma;
  c[0] = k > 1 ? beta[0] / denom : 0;
  x[0] = rhs[0] / denom;
  for (let i = 1; i < k; i++) {
    denom = alpha[i] - sigma - beta[i - 1] * c[i - 1];
    c[i] = i < k - 1 ? beta[i] / denom : 0;
    x[i] = (rhs[i] - beta[i - 1] * x[i - 1]) / denom;
  }
  for (let i = k - 2; i >= 0; i--) x[i] -= c[i] * x[i + 1];
  return x;
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
