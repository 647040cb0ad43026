import type { SchemaName, SkipReason, SkippedLine } from '../dataset/types.js';
import type { DpoLossName } from '../analysis/losses.js';
import type { ModelInfo } from '../embed/types.js';
import type { ScoreMarginSummary } from './score-margins.js';

/** Bumped only on breaking changes to the JSON report; documented in the README. */
export const REPORT_VERSION = 1;

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

export interface BehaviorReport {
  name: string;
  /** Files (and first line) this behavior's examples came from, for diagnostics. */
  files: { file: string; firstLine: number }[];
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
  /** Examples whose projection falls on the other class's side of the midpoint (descriptive). */
  wrongSideCount?: number;
  /** Examples past the other class's mean (descriptive: the classes' overlap, not label hints). */
  pastOppositeMeanCount?: number;
  /** Label hints in total (suspects lists the first maxSuspects of them; the one count every face shows). */
  suspectCount?: number;
  /** Suggested upsampling factor when a rebalancing was computed. */
  upsampling?: number;
  /**
   * The pairs' annotator margins (score_chosen − score_rejected), when the records carry
   * UltraFeedback-style score fields.
   */
  scoreMargin?: ScoreMarginSummary;
  /**
   * Label hints, least confident first: examples whose label a logistic regression fitted without
   * them contradicts (confidence: its out-of-sample probability of the given label; projection:
   * the position on the mean-difference axis, for the scatter and the old reports).
   */
  suspects: {
    file: string;
    line: number;
    label: 1 | -1;
    projection: number;
    confidence?: number;
    /** The pair's score_chosen − score_rejected, when the record has both. */
    scoreMargin?: number;
    text: string;
  }[];
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

/** One discovered behavior: a cluster of prompts, named by its most distinctive terms. */
export interface DiscoveredCluster {
  /** The behavior's name in the rest of the report: "#1 gun, rights, firearms (412 pairs)". */
  name: string;
  /** Most distinctive terms first (c-TF-IDF). */
  terms: string[];
  /** Prompts (pairs, or rows for unpaired data) in the cluster. */
  size: number;
  /** Its first prompts in reading order (up to 5): where they are and their text, cut short. */
  examples: { file: string; line: number; text: string }[];
}

/** How the behaviors were discovered, when the input named none (or --discover-behaviors asked). */
export interface DiscoveryReport {
  method: 'spherical-kmeans';
  /** 'unlabeled': the input had no behavior field; 'requested': the option asked for it. */
  reason: 'unlabeled' | 'requested';
  /** Clusters found (non-empty), and the range an automatic k was chosen in. */
  k: number;
  kRange: [number, number];
  /** 'silhouette': best mean cosine silhouette within kRange; 'fixed': k was given. */
  criterion: 'silhouette' | 'fixed';
  /** Mean silhouette per candidate k on the selection sample (empty for a fixed k). */
  scores: { k: number; silhouette: number }[];
  seed: number;
  /** What a prompt is: a pair's shared prompt, or a row's text for unpaired data. */
  unit: 'pair' | 'row';
  prompts: number;
  /** Prompts in the silhouette sample and in the final k-means fit (the rest join the nearest centroid). */
  selectionSample: number;
  fitSample: number;
  /** Embedding the prompts (with the run's model and cache), and clustering plus naming. */
  embedMs: number;
  clusterMs: number;
  /** Largest first. */
  clusters: DiscoveredCluster[];
}

export interface Report {
  version: typeof REPORT_VERSION;
  createdAt: string;
  tool: { name: 'preference-lens'; version: string };
  /** The model as the embedder reported it (the device actually used, and why). */
  model: ModelInfo;
  /** The files that formed the mixture, with their schema. */
  inputs: { file: string; schema: SchemaName; rows: number; skipped?: number }[];
  behaviors: BehaviorReport[];
  /** About the mixture as a whole: a single behavior (no priority claim), inputs of mixed schemas. */
  warnings?: MixtureWarning[];
  /**
   * Lettered multiple-choice questions in the inputs: the mode they were read in
   * (docs/datasets.md, "Multiple-choice evals") and how many records had them.
   */
  multipleChoice?: { mode: 'answer-token' | 'option-text'; records: number };
  /** The pair checks' figures (their findings are in warnings); absent in older reports. */
  pairChecks?: PairChecksReport;
  /** Behaviors left out of the statistics, with why (e.g. fewer than two examples of a class). */
  excluded?: { name: string; reason: string }[];
  /** Two-model misalignment (base vs aligned checkpoint), one entry per behavior. */
  twoModel?: TwoModelComparison[];
  priority: {
    names: string[];
    /**
     * gaps[i][j] = gap(names[i], names[j]): the reference pairwise gap with the example-weighted
     * b_bar = (n_i b_i + n_j b_j)/(n_i + n_j) (the reference's own for equal sizes).
     */
    gaps: number[][];
    /** Example-weighted eq. (5) levels for the whole mixture, aligned with names. */
    levels: number[];
  };
  simulation: {
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
  };
  rebalancing: Rebalancing | null;
  /** Present (non-null) when the behaviors are clusters of the prompts, not named by the input. */
  discovery?: DiscoveryReport | null;
  /** Counts of skipped lines per reason, and the lines themselves. */
  skipped: { total: number; byReason: Partial<Record<SkipReason, number>>; lines: SkippedLine[] };
  thresholds: {
    priorityLevel: number;
    relativeDistinguishability: number;
    labelErrorDepth?: number;
    /** Adjusted p-value at or above which a behavior is indistinguishable. */
    significance?: number;
    /** Levels below this are deprioritized whatever the median. */
    priorityLevelAbsolute?: number;
    /** Deprioritized flags holding in fewer bootstrap replicates than this are borderline. */
    flagStability?: number;
    /** A label hint's out-of-sample probability of its label is below this. */
    labelHintCutoff?: number;
  };
  timings: {
    readMs: number;
    embedMs: number;
    analysisMs: number;
    /** Rows the model had to embed, and rows served from the embedding cache. */
    embeddedRows?: number;
    cachedRows?: number;
    /** Behavior discovery: embedding the prompts, clustering and naming (not in embedMs). */
    discoveryMs?: number;
    /** The pair checks, reading the prompts back included. */
    checksMs?: number;
  };
}
