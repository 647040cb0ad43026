import type { ReadOptions, Example, SkippedLine } from './dataset/types.js';
import type { Embedder, EmbedderOptions, Embeddings, EmbedProgress } from './embed/types.js';
import type { Report, SimulationOptions } from './report/types.js';

export interface AnalyzeOptions {
  read?: Omit<ReadOptions, 'signal'>;
  embed?: EmbedderOptions;
  /** An already running embedder (the extension keeps one child process warm). */
  embedder?: Embedder;
  simulation?: Partial<SimulationOptions>;
  thresholds?: { priorityLevel?: number; relativeDistinguishability?: number };
  /** Max possible-label-error suspects kept per behavior. */
  maxSuspects?: number;
  rebalance?: boolean;
  /** Two-model misalignment: the aligned checkpoint (the main model is the base). */
  alignedModel?: EmbedderOptions;
}

export type PipelineStage = 'read' | 'embed' | 'analyze' | 'simulate' | 'done';

export interface PipelineProgress {
  stage: PipelineStage;
  message: string;
  /** 0..1 within the stage, when known. */
  fraction: number | null;
  embed?: EmbedProgress;
}

export interface AnalyzeResult {
  report: Report;
  examples: Example[];
  embeddings: Embeddings;
  skipped: SkippedLine[];
}
