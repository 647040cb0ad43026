// The science (reference: docs/reference.md): pure math on an embedding matrix [N, d]
// with labels +1/-1 and behavior indices. Entry point: analyzeEmbeddings. No I/O, no ONNX.
export {
  analyzeEmbeddings,
  compareModels,
  groupRows,
  resolveSimulationOptions,
} from './analyze.js';
export type {
  AnalysisBehavior,
  AnalysisInput,
  AnalysisOptions,
  AnalysisProgress,
  AnalysisResult,
  AnswerRows,
  TwoModelComparison,
} from './analyze.js';
// The result types the report is built from (report/types.ts re-exports and extends them).
export { PAIR_CHECK_KINDS } from './types.js';
export type * from './types.js';
export type { Matrix } from './matrix.js';
export { priorityGaps, priorityLevels } from './priority.js';
export { DEFAULT_REBALANCE, suggestUpsampling } from './rebalance.js';
export type { RebalanceOptions, Upsampling } from './rebalance.js';
export {
  aloneRun,
  headBoundary,
  jointRun,
  meanDifference,
  misalignmentRun,
  splitBehavior,
  toJointRun,
  toMisalignmentRun,
} from './runs.js';
export type { BehaviorRows, BehaviorSplit } from './runs.js';
export { DpoSimulation, FAST_PREVIEW, REFERENCE_SIMULATION, runToCompletion } from './simulate.js';
export type { RunSpec, RowSet, SimulationParams, StepProgress } from './simulate.js';
export { SPECTRAL_TOLERANCE, covarianceSpectralNorm } from './spectral.js';
export {
  behaviorStats,
  bootstrapDistinguishability,
  covarianceTrace,
  DEFAULT_STATS_OPTIONS,
  meanDiffProjections,
  median,
  quantile,
} from './stats.js';
export type { BehaviorStats, StatsOptions, Suspect } from './stats.js';
export { behaviorWarnings, DEFAULT_THRESHOLDS } from './warnings.js';
export type { Thresholds } from './warnings.js';
