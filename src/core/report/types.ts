import type { SchemaName, SkipReason, SkippedLine } from '../dataset/types.js';
import type {
  BehaviorCounts,
  BehaviorScience,
  MixtureWarning,
  PairChecksReport,
  PriorityResult,
  Rebalancing,
  SimulationResult,
  TwoModelComparison,
} from '../analysis/types.js';
import type { ModelInfo } from '../embed/types.js';
import type { ScoreMarginSummary } from './score-margins.js';

// The science's types are the analysis's (src/core/analysis/types.ts); the report builds on them.
export { PAIR_CHECK_KINDS } from '../analysis/types.js';
export type {
  WarningKind,
  MixtureWarningKind,
  PairCheckKind,
  MixtureWarning,
  LengthBias,
  PairChecksReport,
  BehaviorWarning,
  BehaviorScience,
  BehaviorCounts,
  PriorityResult,
  SimulationResult,
  Curve,
  SimulationOptions,
  JointRun,
  MisalignmentRun,
  TwoModelSide,
  TwoModelComparison,
  BoundCheck,
  RebalancedBehavior,
  Rebalancing,
} from '../analysis/types.js';

/** Bumped only on breaking changes to the JSON report; documented in the README. */
export const REPORT_VERSION = 1;

/** A behavior in the report: the analysis's figures, and where its rows and label hints are. */
export interface BehaviorReport extends BehaviorScience, BehaviorCounts {
  /** Files (and first line) this behavior's examples came from, for diagnostics. */
  files: { file: string; firstLine: number }[];
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
  priority: PriorityResult;
  simulation: SimulationResult;
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
