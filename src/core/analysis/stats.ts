import { asRows, rowDots, rowSquaredDeviations, withRowBlock } from './linalg.js';
import { cosine, dot, type Matrix, norm, rowDot } from './matrix.js';
import { DEFAULT_LABEL_HINTS, labelHints, type LabelHintOptions } from './label-hints.js';
import { median, quantile } from './quantile.js';
import { Rng } from './rng.js';
import {
  type ClassGram,
  type CovarianceSummary,
  covarianceSummary,
  covarianceSummaryFromGram,
  gramApplies,
  type SpectralOptions,
} from './spectral.js';
import {
  biasCorrectedInterval,
  DEFAULT_PERMUTATIONS,
  type PermutationInput,
  type PermutationResult,
  permutationTest,
  permutationTestWith,
  unbiasedDistinguishability,
} from './significance.js';

// The quantile lives in its own import-free module so the faces can share it.
export { median, quantile };

export interface StatsOptions {
  /** Bootstrap replicates for the distinguishability interval (0 disables it). */
  bootstrapReps?: number;
  /** Two-sided level of the percentile bootstrap interval. */
  confidence?: number;
  seed?: number;
  /** Initial answer rows of a real LM head: enables phi. */
  head?: { yes: ArrayLike<number>; no: ArrayLike<number> };
  /** Label hints listed per behavior (suspectCount counts them all). */
  maxSuspects?: number;
  /** The out-of-sample label hints' options (label-hints.ts), or false: none (suspects stay empty). */
  labelHints?: Partial<LabelHintOptions> | false;
  /** An example at least this many half mean-differences past the midpoint counts as a likely label error. */
  labelErrorDepth?: number;
  spectral?: SpectralOptions;
  /** Draws of the permutation test (significance.ts; default 999; 0 skips it and reports pValue 1). */
  permutations?: number;
  /** Keep each bootstrap replicate's mean difference (replicateVectors; for the flag stability). */
  replicateVectors?: boolean;
}

export const DEFAULT_STATS_OPTIONS = {
  bootstrapReps: 200,
  confidence: 0.95,
  seed: 1234,
  maxSuspects: 20,
} as const;

export interface Suspect {
  /** Row of the embedding matrix. */
  row: number;
  label: 1 | -1;
  /** (g - (mu+ + mu-)/2) . (mu+ - mu-)/||mu+ - mu-||: signed position on the mean-difference axis. */
  projection: number;
  /** Out-of-sample probability of the given label (label-hints.ts): lower is more suspicious. */
  confidence: number;
}

export interface BehaviorStats {
  nPositive: number;
  nNegative: number;
  muPositive: Float64Array;
  muNegative: Float64Array;
  /** b = mu+ - mu-. */
  meanDiff: Float64Array;
  distinguishability: number;
  /** Bias-corrected bootstrap interval (biasCorrectedInterval); contains distinguishabilityUnbiased. */
  distinguishabilityCI: [number, number];
  /** sqrt(max(0, ||m+ - m-||^2 - tr S+/n+ - tr S-/n-)) (unbiasedDistinguishability). */
  distinguishabilityUnbiased: number;
  /** Permutation-test p-value (labels shuffled within the behavior; significance.ts); 1 when disabled. */
  pValue: number;
  /** Permutation draws made for pValue. */
  permutations: number;
  /** The bootstrap replicates of ||m+* - m-*|| in draw order (empty without a bootstrap). */
  replicates: Float64Array;
  /** With StatsOptions.replicateVectors: the replicates' m+* - m-* as [R, d] float32 (else empty). */
  replicateVectors: Float32Array;
  /**
   * ||mu+ - mu-|| / sqrt(trace): the mean difference in units of the per-example spread around the
   * class means. It does not change when every embedding is scaled and, unlike the raw norm, can
   * be compared across models of different dimension.
   */
  normalizedDistinguishability: number;
  concentration: number;
  trace: number;
  /** tr S+ and tr S- (n - 1 divisor), each class's own. */
  tracePositive: number;
  traceNegative: number;
  phi?: number;
  /** Label hints (label-hints.ts), least confident first, capped at maxSuspects. */
  suspects: Suspect[];
  /** How many examples the label hints flag in total (before the cap). */
  suspectCount: number;
  /** Every label hint's row of the matrix (suspectCount of them), for the report's per-row flags. */
  suspectRows: number[];
  /** How many examples are on the wrong side of the midpoint (descriptive, not a hint). */
  wrongSideCount: number;
  /** How many lie at least labelErrorDepth * ||mu+ - mu-|| / 2 past the midpoint (past the other class mean for depth 1). */
  pastOppositeMeanCount: number;
}

/**
 * Reference statistics of one behavior (docs/reference.md, "Per-behavior statistics"). `positives` and
 * `negatives` are row indices of `m`. Both classes need at least one row; covariances need two.
 */
export function behaviorStats(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  options: StatsOptions = {},
): BehaviorStats {
  const seed = options.seed ?? DEFAULT_STATS_OPTIONS.seed;
  const spectral = { seed, ...options.spectral };
  // Each class's rows are copied into the SIMD module once for its mean, trace and spectral norm.
  const positive = covarianceSummary(m, positives, spectral);
  const negative = covarianceSummary(m, negatives, spectral);
  const reps = options.bootstrapReps ?? DEFAULT_STATS_OPTIONS.bootstrapReps;
  const confidence = options.confidence ?? DEFAULT_STATS_OPTIONS.confidence;
  const vectors = reps > 0 && options.replicateVectors ? new Float32Array(reps * m.dim) : null;
  const replicates =
    reps > 0
      ? bootstrapReplicates(m, positives, negatives, reps, seed, vectors ?? undefined)
      : null;
  return assembleStats(
    m,
    positives,
    negatives,
    positive,
    negative,
    { replicates, vectors },
    confidence,
    options,
  );
}

/** What behaviorStatsWith asks of the linear-algebra worker for one behavior. */
export interface BehaviorProductsRequest {
  positives: Int32Array;
  negatives: Int32Array;
  /** Which classes' Gram matrices (positives, negatives) to compute. */
  grams: [boolean, boolean];
  /**
   * The bootstrap's replicates (bootstrapCoefficients with this seed), or null: no bootstrap.
   * vectors: also each replicate's mean difference.
   */
  bootstrap: { reps: number; seed: number; vectors?: boolean } | null;
  /** Rows of coefficients C [r, n] (positives, then negatives): norms = ||C (X - mean X)||^2. */
  coefficients?: Float32Array;
}

export interface BehaviorProducts {
  grams: [ClassGram | null, ClassGram | null];
  /** ||mean difference|| of each bootstrap replicate (null without a bootstrap). */
  replicates: Float64Array | null;
  /** The replicates' mean differences [R, d], float32, when asked (else null). */
  replicateVectors?: Float32Array | null;
  /** With coefficients: the squared norms of the rows of their product (else absent). */
  norms?: Float64Array | null;
}

/**
 * The general products behind BehaviorProductsRequest, as an engine computes them (the
 * linear-algebra worker, gemm-service.ts): for each coefficient block C [r, n] over the positives
 * then the negatives, whose rows each add up to 0, norms[i] = ||C_i X||^2, and with `vectors` the
 * product C X itself [r, d] (float32). Such rows give the same product on X centred on its mean.
 * The engine knows nothing of a bootstrap: centredProductsRequest and fromCentredProducts turn
 * the request into these products and back.
 */
export interface CentredProductsRequest {
  positives: Int32Array;
  negatives: Int32Array;
  grams: [boolean, boolean];
  products: { coefficients: Float32Array; vectors: boolean }[];
}

export interface CentredProducts {
  grams: [ClassGram | null, ClassGram | null];
  products: { norms: Float64Array; vectors: Float32Array | null }[];
}

/** The block of bootstrapCoefficients [reps, np + nn] last built on this thread. */
let bootstrapBlock: { key: string; values: Float32Array } | null = null;

/**
 * bootstrapCoefficients as one float32 block [reps, np + nn]. It depends only on the class sizes
 * and the seed, so behaviors of the same sizes (most of a persona mixture) share one draw.
 */
export function bootstrapCoefficientBlock(
  np: number,
  nn: number,
  reps: number,
  seed: number,
): Float32Array {
  const key = `${np},${nn},${reps},${seed}`;
  if (bootstrapBlock?.key !== key) {
    const n = np + nn;
    const values = new Float32Array(reps * n);
    bootstrapCoefficients(np, nn, reps, seed, (r, coef) => values.set(coef, r * n));
    bootstrapBlock = { key, values };
  }
  return bootstrapBlock.values;
}

/** The products a BehaviorProductsRequest needs: the bootstrap's block first, then `coefficients`. */
export function centredProductsRequest(request: BehaviorProductsRequest): CentredProductsRequest {
  const { positives, negatives, grams, bootstrap, coefficients } = request;
  const products: CentredProductsRequest['products'] = [];
  if (bootstrap)
    products.push({
      coefficients: bootstrapCoefficientBlock(
        positives.length,
        negatives.length,
        bootstrap.reps,
        bootstrap.seed,
      ),
      vectors: bootstrap.vectors === true,
    });
  if (coefficients) products.push({ coefficients, vectors: false });
  return { positives, negatives, grams, products };
}

/**
 * The answer to `request` from its centred products: replicate r = ||m+*_r - m-*_r|| = sqrt(norms[r])
 * of the bootstrap's block (the definition of bootstrapReplicates), and the norms of `coefficients`.
 */
export function fromCentredProducts(
  request: BehaviorProductsRequest,
  reply: CentredProducts,
): BehaviorProducts {
  const out: BehaviorProducts = {
    grams: reply.grams,
    replicates: null,
    replicateVectors: null,
    norms: null,
  };
  let next = 0;
  if (request.bootstrap) {
    const { norms, vectors } = reply.products[next++];
    for (let r = 0; r < norms.length; r++) norms[r] = Math.sqrt(norms[r]);
    out.replicates = norms;
    out.replicateVectors = vectors;
  }
  if (request.coefficients) out.norms = reply.products[next].norms;
  return out;
}

/** The linear-algebra worker as behaviorStatsWith uses it (GemmChannel). */
export interface StatsProducts {
  behavior(request: BehaviorProductsRequest): Promise<BehaviorProducts>;
}

/**
 * behaviorStats with the linear-algebra worker's products, one request per behavior: each class's
 * Gram matrix, from which its spectral norm starts (covarianceSummaryFromGram), and the bootstrap
 * replicates as one float32 product (GemmService.behavior, which reads the rows from the shared
 * matrix). This thread computes the means, traces and float64 Lanczos passes.
 */
export async function behaviorStatsWith(
  m: Matrix,
  positives: Int32Array,
  negatives: Int32Array,
  products: StatsProducts,
  options: StatsOptions = {},
): Promise<BehaviorStats> {
  const seed = options.seed ?? DEFAULT_STATS_OPTIONS.seed;
  const spectral = { seed, ...options.spectral };
  const reps = options.bootstrapReps ?? DEFAULT_STATS_OPTIONS.bootstrapReps;
  const confidence = options.confidence ?? DEFAULT_STATS_OPTIONS.confidence;
  const np = positives.length;
  const { grams, replicates, replicateVectors } = await products.behavior({
    positives,
    negatives,
    grams: [gramApplies(np, m.dim), gramApplies(negatives.length, m.dim)],
    bootstrap: reps > 0 ? { reps, seed, vectors: options.replicateVectors === true } : null,
  });
  const positive = covarianceSummaryFromGram(m, positives, grams[0], spectral);
  const negative = covarianceSummaryFromGram(m, negatives, grams[1], spectral);
  const draws = options.permutations ?? DEFAULT_PERMUTATIONS;
  // The permutation test's draws as float32 products in the same worker (the same result as
  // permutationTest's, significance.ts).
  const test =
    draws > 0
      ? await permutationTestWith(
          m,
          positives,
          negatives,
          permutationInput(positive, negative, m.dim),
          {
            centredNorms: async (pos, neg, c) =>
              (
                await products.behavior({
                  positives: pos,
                  negatives: neg,
                  grams: [false, false],
                  bootstrap: null,
                  coefficients: c,
                })
              ).norms ?? new Float64Array(0),
          },
          { permutations: draws, seed },
        )
      : undefined;
  return assembleStats(
    m,
    positives,
    negatives,
    positive,
    negative,
    { replicates, vectors: replicateVectors ?? null },
    confidence,
    options,
    test,
  );
}

/** The permutation test's input from the two classes' summaries. */
function permutationInput(
  positive: CovarianceSummary,
  negative: CovarianceSummary,
  d: number,
): PermutationInput {
  const meanDiff = new Float64Array(d);
  for (let k = 0; k < d; k++) meanDiff[k] = positive.mean[k] - negative.mean[k];
  return {
    meanDiff,
    spectralNorms: [positive.spectralNorm, negative.spectralNorm],
    means: [positive.mean, negative.mean],
  };
}

/** The statistics from both classes' summaries and the bootstrap interval (null: none asked). */
function assembleStats(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  positive: CovarianceSummary,
  negative: CovarianceSummary,
  bootstrap: { replicates: Float64Array | null; vectors: Float32Array | null },
  confidence: number,
  options: StatsOptions,
  precomputed?: PermutationResult,
): BehaviorStats {
  const { replicates } = bootstrap;
  const d = m.dim;
  const muPositive = positive.mean;
  const muNegative = negative.mean;
  const meanDiff = new Float64Array(d);
  for (let k = 0; k < d; k++) meanDiff[k] = muPositive[k] - muNegative[k];
  const distinguishability = norm(meanDiff, d);
  const concentration = Math.max(positive.spectralNorm, negative.spectralNorm);
  const trace = Math.max(positive.trace, negative.trace);
  const sizes: [number, number] = [positives.length, negatives.length];
  const distinguishabilityUnbiased = unbiasedDistinguishability(
    distinguishability,
    [positive.trace, negative.trace],
    sizes,
  );
  const unbiasedSquare =
    distinguishability * distinguishability - positive.trace / sizes[0] - negative.trace / sizes[1];
  const kept = replicates ? Float64Array.from(replicates) : new Float64Array(0);
  const distinguishabilityCI: [number, number] = replicates
    ? biasCorrectedInterval(replicates, distinguishabilityUnbiased, unbiasedSquare, confidence)
    : [distinguishabilityUnbiased, distinguishabilityUnbiased];
  const draws = options.permutations ?? DEFAULT_PERMUTATIONS;
  const test =
    precomputed ??
    (draws > 0
      ? permutationTest(
          m,
          positives,
          negatives,
          {
            meanDiff,
            spectralNorms: [positive.spectralNorm, negative.spectralNorm],
            means: [muPositive, muNegative],
          },
          { permutations: draws, seed: options.seed ?? DEFAULT_STATS_OPTIONS.seed },
        )
      : { pValue: 1, permutations: 0 });
  let phi: number | undefined;
  if (options.head) {
    const wb = new Float64Array(d);
    for (let k = 0; k < d; k++) wb[k] = options.head.yes[k] - options.head.no[k];
    phi = cosine(wb, meanDiff, d);
  }
  const { wrongSideCount, pastOppositeMeanCount } = wrongSideCounts(
    m,
    positives,
    negatives,
    muPositive,
    muNegative,
    meanDiff,
    options.labelErrorDepth ?? 1,
  );
  const { suspects, suspectCount, suspectRows } = labelSuspects(
    m,
    positives,
    negatives,
    { muPositive, muNegative, meanDiff },
    options,
  );
  return {
    nPositive: positives.length,
    nNegative: negatives.length,
    muPositive,
    muNegative,
    meanDiff,
    distinguishability,
    distinguishabilityCI,
    distinguishabilityUnbiased,
    pValue: test.pValue,
    permutations: test.permutations,
    replicates: kept,
    replicateVectors: bootstrap.vectors ?? new Float32Array(0),
    normalizedDistinguishability: trace > 0 ? distinguishability / Math.sqrt(trace) : 0,
    concentration,
    trace,
    tracePositive: positive.trace,
    traceNegative: negative.trace,
    ...(phi === undefined ? {} : { phi }),
    suspects,
    suspectCount,
    suspectRows,
    wrongSideCount,
    pastOppositeMeanCount,
  };
}

/** The label hints of one behavior with their mean-difference projections, capped for listing. */
function labelSuspects(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  means: Pick<BehaviorStats, 'muPositive' | 'muNegative' | 'meanDiff'>,
  options: StatsOptions,
): { suspects: Suspect[]; suspectCount: number; suspectRows: number[] } {
  if (options.labelHints === false) return { suspects: [], suspectCount: 0, suspectRows: [] };
  const np = positives.length;
  const rows = new Int32Array(np + negatives.length);
  const labels = new Int8Array(rows.length);
  for (let i = 0; i < np; i++) [rows[i], labels[i]] = [positives[i], 1];
  for (let i = 0; i < negatives.length; i++) [rows[np + i], labels[np + i]] = [negatives[i], -1];
  const { hints } = labelHints(m, rows, labels, {
    seed: options.seed ?? DEFAULT_LABEL_HINTS.seed,
    ...options.labelHints,
  });
  const listed = hints.slice(
    0,
    Math.max(0, options.maxSuspects ?? DEFAULT_STATS_OPTIONS.maxSuspects),
  );
  const projections = meanDiffProjections(
    m,
    listed.map((h) => h.row),
    means,
  );
  return {
    suspects: listed.map((h, i) => ({ ...h, projection: projections[i] })),
    suspectCount: hints.length,
    suspectRows: hints.map((h) => h.row),
  };
}

/** tr Cov with the unbiased (n - 1) divisor, by a second pass over the rows (no cancellation). */
export function covarianceTrace(m: Matrix, rows: ArrayLike<number>, mean: Float64Array): number {
  const n = rows.length;
  if (n < 2) return 0;
  return rowSquaredDeviations(m.data, m.dim, asRows(rows), n, mean) / (n - 1);
}

/**
 * Percentile bootstrap: each replicate resamples n+ rows from D+ and n- rows from D- with
 * replacement (classes stay separate, so both sizes are preserved) and recomputes ||mu+ - mu-||.
 * The interval uses linear interpolation between order statistics (numpy's default percentile).
 */
export function bootstrapDistinguishability(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  reps: number,
  confidence: number,
  seed: number,
): [number, number] {
  return percentileInterval(bootstrapReplicates(m, positives, negatives, reps, seed), confidence);
}

/** The replicates of bootstrapDistinguishability, in draw order; `vectors` [reps, d]: their mean differences. */
export function bootstrapReplicates(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  reps: number,
  seed: number,
  vectors?: Float32Array,
): Float64Array {
  const d = m.dim;
  const np = positives.length;
  const nn = negatives.length;
  const values = new Float64Array(reps);
  const both = new Int32Array(np + nn);
  both.set(asRows(positives));
  both.set(asRows(negatives), np);
  // Per replicate, one weighted sum over both classes' rows, each row once, times its count (about
  // 37% of the counts are 0 and those rows are skipped). The rows stay in the SIMD module's memory
  // for all replicates.
  const diff = new Float64Array(d);
  withRowBlock(m.data, d, both, (block) => {
    bootstrapCoefficients(np, nn, reps, seed, (r, coef) => {
      diff.fill(0);
      block.addTo(coef, diff);
      values[r] = Math.sqrt(dot(diff, diff, d));
      vectors?.set(diff, r * d);
    });
  });
  return values;
}

/**
 * The replicates' resampling as coefficients over positives then negatives: replicate r's mean
 * difference is sum_i coef[i] g_i with coef = count_i / n+ (positives) and -count_j / n-
 * (negatives). `coef` is reused between calls.
 */
export function bootstrapCoefficients(
  np: number,
  nn: number,
  reps: number,
  seed: number,
  each: (replicate: number, coef: Float64Array) => void,
): void {
  const rng = new Rng(seed, 0xb007);
  const cp = new Int32Array(np);
  const cn = new Int32Array(nn);
  const coef = new Float64Array(np + nn);
  for (let r = 0; r < reps; r++) {
    cp.fill(0);
    cn.fill(0);
    for (let i = 0; i < np; i++) cp[rng.int(np)]++;
    for (let i = 0; i < nn; i++) cn[rng.int(nn)]++;
    for (let i = 0; i < np; i++) coef[i] = cp[i] / np;
    for (let j = 0; j < nn; j++) coef[np + j] = -cn[j] / nn;
    each(r, coef);
  }
}

/** The two-sided percentile interval of the replicates' values (sorts them in place). */
export function percentileInterval(values: Float64Array, confidence: number): [number, number] {
  values.sort();
  const alpha = (1 - confidence) / 2;
  return [quantile(values, alpha), quantile(values, 1 - alpha)];
}

/**
 * Signed position of each given row on the unit mean-difference axis, measured from the midpoint
 * (mu+ + mu-)/2: positive on the mu+ side. A row whose sign disagrees with its label (or is 0) is
 * on the wrong side. All zeros when mu+ = mu-.
 */
export function meanDiffProjections(
  m: Matrix,
  rows: ArrayLike<number>,
  s: Pick<BehaviorStats, 'muPositive' | 'muNegative' | 'meanDiff'>,
): Float64Array {
  const d = m.dim;
  const out = new Float64Array(rows.length);
  const len = norm(s.meanDiff, d);
  if (len === 0) return out;
  const unit = s.meanDiff.map((x) => x / len);
  let offset = 0;
  for (let k = 0; k < d; k++) offset += ((s.muPositive[k] + s.muNegative[k]) / 2) * unit[k];
  for (let i = 0; i < rows.length; i++) out[i] = rowDot(m, rows[i], unit) - offset;
  return out;
}

/**
 * Each example's signed position on the unit mean-difference axis, measured from the midpoint of
 * the class means: how many examples sit on the other class's side (label * projection <= 0),
 * and how many lie at least depth * ||mu+ - mu-|| / 2 past the midpoint (past the other class's
 * mean for depth 1). Descriptive counts of the classes' overlap; the label hints are
 * label-hints.ts's out-of-sample rule. With mu+ = mu- there is no axis and both are 0.
 */
function wrongSideCounts(
  m: Matrix,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  muPositive: Float64Array,
  muNegative: Float64Array,
  meanDiff: Float64Array,
  depth: number,
): { wrongSideCount: number; pastOppositeMeanCount: number } {
  const d = m.dim;
  const len = norm(meanDiff, d);
  if (len === 0) return { wrongSideCount: 0, pastOppositeMeanCount: 0 };
  const unit = new Float64Array(d);
  const mid = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    unit[k] = meanDiff[k] / len;
    mid[k] = (muPositive[k] + muNegative[k]) / 2;
  }
  const offset = dot(mid, unit, d);
  let wrongSideCount = 0;
  let pastOppositeMeanCount = 0;
  const visit = (rows: ArrayLike<number>, label: 1 | -1): void => {
    const dots = new Float64Array(rows.length);
    rowDots(m.data, d, asRows(rows), rows.length, unit, dots);
    for (let i = 0; i < rows.length; i++) {
      const projection = dots[i] - offset;
      if (label * projection <= 0) wrongSideCount++;
      if (-label * projection >= (depth * len) / 2) pastOppositeMeanCount++;
    }
  };
  visit(positives, 1);
  visit(negatives, -1);
  return { wrongSideCount, pastOppositeMeanCount };
}
