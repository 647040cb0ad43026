// The analysis (definitions: docs/reference.md) of an embedding matrix [N, d] with labels +1/-1
// and behavior indices. Entry point: analyzeEmbeddings. No file or network I/O. It is not only
// plain math: besides the float64 definitions (stats, significance, priority, losses, simulate,
// runs, rebalance, warnings) it holds the engines behind their row products (most definitions
// reach them through linalg.ts's LinearAlgebra interface) — kernels.ts and the
// general WebAssembly SIMD kernels of simd.ts on this thread, worker threads (worker-pool.ts,
// threads.ts) and one linear-algebra worker that loads onnxruntime (gemm-client.ts, gemm-worker.ts,
// gemm-service.ts). The DPO step and each loss's coefficient are written only in simulate.ts and
// losses.ts; the engines compute dot products and weighted row sums, never a loss.
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
