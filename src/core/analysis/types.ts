/**
 * The science's result types: what the analysis computes (statistics, priority levels, the
 * simulated DPO runs, rebalancing, warnings). The report's types (src/core/report/types.ts) are
 * built from these and re-export them; nothing here knows of files, lines or texts.
 */
import type { DpoLossName } from './losses.js';

export type WarningKind =
  | 'deprioritized'
  /** A deprioritized flag that does not hold in enough bootstrap replicates: information, not a warning. */
  | 'borderline'
  /** Not distinguishable from shuffled labels (adjusted permutation p-value at or above the setting). */
  | 'indistinguishable'
  | 'low-distinguishability'
  | 'possible-label-error';

/** Warnings about the mixture as a whole (report.warnings). */
export type MixtureWarningKind =
  | 'single-behavior'
  | 'mixed-schemas'
  /** The pair checks (src/core/analysis/pair-checks.ts; docs/datasets.md, "Pair checks"). */
  | PairCheckKind;

/** The pair checks' warning kinds, in the order the faces list them. */
export const PAIR_CHECK_KINDS = [
  'identical-pairs',
  'near-identical-pairs',
  'truncated-texts',
  'length-bias',
  'duplicate-prompts',
  'near-duplicate-prompts',
  'shared-prompts',
] as const;

export type PairCheckKind = (typeof PAIR_CHECK_KINDS)[number];

export interface MixtureWarning {
  kind: MixtureWarningKind;
  message: string;
  /** Pair checks: how many pairs, texts, records, behaviors or prompts the warning is about. */
  count?: number;
  /** Pair checks: where some of them are (at most 20, in reading order). */
  examples?: { file: string; line: number }[];
}

/** Length against label, for one behavior or the mixture (pair-checks.ts). */
export interface LengthBias {
  /** Pairs (pairwise and HH-RLHF rows); 0 for unpaired (evals) rows. */
  pairs: number;
  /** Pairs whose chosen response is longer (characters), and pairs of equal lengths. */
  chosenLonger?: number;
  ties?: number;
  fractionChosenLonger?: number;
  /** Unpaired rows counted. */
  rows?: number;
  /**
   * Pearson correlation of the length with the label: for pairs, of the length difference
   * len(chosen) − len(rejected) with the label (mean(d) / rms(d)); for unpaired rows, of the
   * question's length with its label.
   */
  correlation: number;
}

/** The pair checks' figures (report.pairChecks). */
export interface PairChecksReport {
  pairs: number;
  /** Pairs whose two sides have identical vectors, and (not identical) cosine ≥ the threshold. */
  identicalPairs: number;
  nearIdenticalPairs: number;
  truncation: {
    maxTokens?: number;
    /** false: the embedder did not measure (precomputed embeddings). */
    measured: boolean;
    truncatedRows: number;
    /** Cut only at the start of their prompt (the compared response whole). */
    promptCutRows: number;
    /** Cut where the compared part may be lost. */
    responseCutRows: number;
  };
  lengthBias: { overall: LengthBias; perBehavior: Record<string, LengthBias> };
  /** Records repeating a prompt of their behavior (exactly / normalized), prompts in ≥ 2 behaviors. */
  prompts: { duplicate: number; nearDuplicate: number; sharedAcrossBehaviors: number };
  thresholds: {
    nearIdenticalCosine: number;
    lengthBiasFraction: number;
    lengthBiasCorrelation: number;
  };
  /** Time the checks took (the prompts' read-back included in timings.checksMs). */
  ms: number;
}

export interface BehaviorWarning {
  kind: WarningKind;
  /** One plain-language sentence that names the numbers. */
  message: string;
}

/**
 * A behavior's figures as the analysis computes them: the report's behavior entry less what only
 * the reader knows (its files, the label hints' lines and texts, annotator margins). Optional
 * fields are absent in reports written before they existed.
 */
export interface BehaviorScience {
  name: string;
  nPositive: number;
  nNegative: number;
  distinguishability: number;
  /**
   * [low, high] seeded 95% bias-corrected bootstrap interval for ||mu+ - mu-|| (it contains
   * distinguishabilityUnbiased; see docs/science.md).
   */
  distinguishabilityCI: [number, number];
  /**
   * sqrt(max(0, ||m+ - m-||^2 - tr S+/n+ - tr S-/n-)): from the unbiased estimate of ||mu+ - mu-||^2;
   * for paired rows sqrt(max(0, ||mean d||^2 - tr S_d/n)) over the n pair differences d.
   */
  distinguishabilityUnbiased?: number;
  /**
   * Seeded permutation-test p-value (labels shuffled within the behavior; paired rows: chosen and
   * rejected swapped within pairs, a sign-flip test), and its draws.
   */
  pValue?: number;
  permutations?: number;
  /** Benjamini-Hochberg adjusted pValue across the behaviors of the mixture. */
  pValueAdjusted?: number;
  /** false: the level means nothing (indistinguishable behavior, or a single behavior). */
  priorityMeaningful?: boolean;
  /** For a deprioritized (or borderline) behavior: the behaviors that pull against its level. */
  conflicts?: { name: string; cosine: number; contribution: number }[];
  /** 95% interval of its rank by distinguishability (1 = most distinguishable) over the bootstrap replicates. */
  rankCI?: [number, number];
  /** For a deprioritized or borderline behavior: the fraction of bootstrap replicates in which the flag holds. */
  flagStability?: number;
  /** distinguishability / sqrt(trace): comparable across models and dimensions. */
  normalizedDistinguishability: number;
  concentration: number;
  trace: number;
  /** cos(W_B, mu+ - mu-), only for a model with a real LM head. */
  phi?: number;
  priorityLevel: number;
  warnings: BehaviorWarning[];
  /** Label hints in total (suspects lists the first maxSuspects of them; the one count every face shows). */
  suspectCount?: number;
}

/** Descriptive counts of a behavior (the report lists them after its files). */
export interface BehaviorCounts {
  /** Examples whose projection falls on the other class's side of the midpoint (descriptive). */
  wrongSideCount?: number;
  /** Examples past the other class's mean (descriptive: the classes' overlap, not label hints). */
  pastOppositeMeanCount?: number;
  /** Suggested upsampling factor when a rebalancing was computed. */
  upsampling?: number;
}

/** The mixture's priority levels (report.priority). */
export interface PriorityResult {
  names: string[];
  /**
   * gaps[i][j] = gap(names[i], names[j]): the reference pairwise gap with the example-weighted
   * b_bar = (n_i b_i + n_j b_j)/(n_i + n_j) (the reference's own for equal sizes).
   */
  gaps: number[][];
  /** Example-weighted eq. (5) levels for the whole mixture, aligned with names. */
  levels: number[];
}

/** The simulated runs (report.simulation). */
export interface SimulationResult {
  options: SimulationOptions;
  /**
   * The head the runs start from: 'model', the LM's own answer rows W_B = W_U[y+] - W_U[y-] (a
   * causal LM whose head could be read, float or exactly dequantized); 'zero', a head starting at
   * zero (sentence-embedding models, or a head that could not be read). Absent in reports
   * written before it was recorded: 'zero' unless a behavior has phi.
   */
  head?: 'model' | 'zero';
  /** The answer tokens whose rows make the model head, e.g. ["ĠYes", "ĠNo"]. */
  headTokens?: [string, string];
  /** The loss the runs trained with (absent in reports written before it could be chosen: sigmoid). */
  loss?: DpoLossName;
  /** Its label smoothing eps (absent: 0). */
  labelSmoothing?: number;
  /**
   * |dl/dz| at z = 0, the weight of every example in the first step (losses.ts): sigmoid
   * beta (1 - 2 eps) / 2, ipo 1 / beta, hinge beta, robust beta / (2 (1 - 2 eps)).
   */
  firstStepWeight?: number;
  perBehavior: Record<string, Curve>;
  joint: JointRun | null;
  misalignment: MisalignmentRun[];
  /** Whether Theorem 4.1's step-size condition holds for these runs (bound-check.ts). */
  boundCheck?: BoundCheck;
}

export interface Curve {
  step: number[];
  trainLoss: number[];
  testLoss: number[];
  testAccuracy: number[];
  headChange: number[];
  bound: number[];
  /** cos(w(t) - w(0) + W_B, mu+ - mu-): alignment of the boundary with the mean difference. */
  cosine: number[];
}

export interface SimulationOptions {
  beta: number;
  lr: number;
  steps: number;
  batchSize: number | 'full';
  testFraction: number;
  seed: number;
  preset: 'reference' | 'fast-preview' | 'custom';
  /** The DPO-family loss (losses.ts); absent: 'sigmoid', the paper's. */
  loss?: DpoLossName;
  /** Label smoothing eps of the sigmoid and robust losses, 0 <= eps < 0.5; absent: 0. */
  labelSmoothing?: number;
}

export interface JointRun {
  behaviors: string[];
  /** The joint curve over the concatenated training set. */
  curve: Curve;
  /** Each behavior's own loss and accuracy inside the joint run, keyed by behavior name. */
  perBehavior: Record<string, Curve>;
}

export interface MisalignmentRun {
  behavior: string;
  /** 'base': flipped labels from W(0); 'aligned': from the head after the aligned run. */
  start: 'base' | 'aligned';
  /** Which model's embeddings (the second model's name in the two-model form). */
  model: string;
  /** Losses and accuracy of the flipped-label objective the run trains for. */
  curve: Curve;
  /**
   * First step whose test accuracy on the ORIGINAL labels (originalAccuracy) is below 0.5, or null
   * if it never gets there or if the start has no preference to undo (preferenceAtStart false).
   */
  stepsToBelowHalf: number | null;
  /**
   * Whether the start head prefers the original labels (accuracy on them above 0.5 at t = 0; ties
   * count 1/2). false for a zero head, whose every example is a tie.
   */
  preferenceAtStart?: boolean;
  /** Test accuracy on the original (unflipped) labels per step: how much alignment is left. */
  originalAccuracy?: number[];
}

/** One behavior under two checkpoints of one model: statistics and a flipped-label run each. */
export interface TwoModelSide {
  distinguishability: number;
  concentration: number;
  trace: number;
  run: MisalignmentRun;
}

export interface TwoModelComparison {
  behavior: string;
  base: TwoModelSide;
  aligned: TwoModelSide;
}

/**
 * Theorem 4.1's step-size condition beta'^2 eta c_n^2 <= 1/4, with beta' = beta sqrt(d) and
 * c_n sqrt(d) = max over the classes of ||mu|| + tr(Cov)^(1/2): i.e.
 * beta^2 eta (||mu|| + tr(Cov)^(1/2))^2 <= 1/4, per behavior. 'guaranteed': it holds for every
 * behavior (the bound is then the theorem's, which holds with high probability under its
 * covariance condition too); 'empirical': it fails for some, so the drawn bound is a reference
 * line the run happens to stay under or not, not a guarantee.
 */
export interface BoundCheck {
  status: 'guaranteed' | 'empirical';
  /** max over behaviors of beta'^2 eta c_n^2. */
  stepSizeProduct: number;
  perBehavior: Record<string, number>;
}

/** One behavior under the suggested weighting (rebalance-search.ts). */
export interface RebalancedBehavior {
  /** Upsampling factor (1 = unchanged). */
  weight: number;
  levelBefore: number;
  levelAfter: number;
  /** Simulated test accuracy in the joint run before and after the weighting (mean of the last tenth of the steps). */
  accuracyBefore: number;
  accuracyAfter: number;
}

/** Reports before issue #17 lack suggested, note, tolerance, candidates and perBehavior. */
export interface Rebalancing {
  /**
   * True when a weighting was found that raises the worst behavior's simulated accuracy while no
   * behavior loses more than `tolerance`; false: no suggestion (weights all 1, after = before).
   */
  suggested?: boolean;
  /** One sentence: what the suggestion does, or why there is none. */
  note?: string;
  /** Largest simulated test-accuracy loss allowed for any behavior. */
  tolerance?: number;
  /** Candidate weightings simulated (one joint run each). */
  candidates?: number;
  /** Each simulated candidate: its weights, its worst behavior's accuracy, its largest loss. */
  tried?: { weights: Record<string, number>; worstAccuracy: number; largestLoss: number }[];
  perBehavior?: Record<string, RebalancedBehavior>;
  /** Upsampling factor per behavior (1 = unchanged). */
  weights: Record<string, number>;
  levelsBefore: Record<string, number>;
  levelsAfter: Record<string, number>;
  jointBefore: JointRun;
  jointAfter: JointRun;
}
