import { InvalidArgumentError } from 'commander';
import { type DpoLossName, labelSmoothingApplies } from '../core/analysis/losses.js';
import type { SchemaName } from '../core/dataset/types.js';
import type { DeviceRequest, Pooling, Precision } from '../core/embed/types.js';
import type { AnalyzeOptions } from '../core/pipeline.js';
import type { SimulationOptions } from '../core/report/types.js';
import type { GateKind } from './gate.js';
import {
  MAX_DISCOVERED,
  parseDiscoverMode,
  type DiscoverMode,
} from '../core/discovery/discover-mode.js';

/** Raw option values as commander parses them from `preference-lens analyze`. */
export interface CliOptions {
  model?: string;
  allowDownload?: boolean;
  device: DeviceRequest;
  pooling?: Pooling;
  precision?: Precision;
  /** false with --no-chat-template. */
  chatTemplate?: boolean;
  batchSize?: number;
  threads?: number;
  analysisThreads?: number;
  cache: boolean;
  cacheDir?: string;
  schema?: SchemaName;
  behaviorField?: string;
  field: Record<string, string>;
  /** Absent: chosen by the head (reference for a real LM head, fast-preview for a zero head). */
  preset?: SimulationOptions['preset'];
  steps?: number;
  lr?: number;
  beta?: number;
  loss?: DpoLossName;
  labelSmoothing?: number;
  batch?: number | 'full';
  testFraction?: number;
  seed?: number;
  priorityThreshold?: number;
  distinguishabilityThreshold?: number;
  significance?: number;
  flagStability?: number;
  /** Infinity for `all`. */
  maxSuspects: number;
  labelHintCutoff?: number;
  mcMode?: 'auto' | 'answer-token' | 'option-text';
  nearIdenticalCosine?: number;
  lengthBiasFraction?: number;
  lengthBiasCorrelation?: number;
  alignedModel?: string;
  discoverBehaviors?: DiscoverMode;
  rebalance: boolean;
  rebalanceOut?: string;
  rebalanceTolerance?: number;
  json?: string;
  markdown?: string;
  html?: string;
  saveEmbeddings?: string;
  /** The gated finding kinds (gate.ts); empty: never fails. */
  failOn: GateKind[];
  progress: boolean;
  /** Precomputed embeddings (analyze --embeddings DIR --rows FILE [--answer-rows FILE]). */
  embeddings?: string;
  rows?: string;
  answerRows?: string;
  /** analyze --embeddings: how the matrix is stored (MatrixStorage). */
  matrixStorage?: 'auto' | 'float32' | 'float16';
  verbose?: boolean;
}

// Option values are parsed strictly: Number() alone takes '' as 0, '0x10' as 16 and 'NaN' as
// NaN, and a NaN threshold silently turns its warnings off.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^\+?\d+$/;

const decimal = (value: string): number => {
  const n = DECIMAL.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a finite number');
  return n;
};

/** An integer in [min, max], written in decimal digits. */
export const parseIntInRange =
  (min: number, max: number) =>
  (value: string): number => {
    const n = INTEGER.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };

export const parsePositiveInt = (value: string): number => {
  const n = INTEGER.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export const parseNonNegativeInt = (value: string): number => {
  const n = INTEGER.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer >= 0');
  return n;
};

export const parsePositiveNumber = (value: string): number => {
  const n = decimal(value);
  if (n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
};

export const parseNonNegativeNumber = (value: string): number => {
  const n = decimal(value);
  if (n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
};

export const parseFraction = (value: string): number => {
  const n = decimal(value);
  if (n < 0 || n >= 1) throw new InvalidArgumentError('expected 0 <= x < 1');
  return n;
};

/** --discover-behaviors: unlabeled, off, auto or a number of behaviors. */
export const parseDiscoverBehaviors = (value: string): DiscoverMode => {
  const mode = parseDiscoverMode(value);
  if (mode === null)
    throw new InvalidArgumentError(
      `expected unlabeled, off, auto or a number of behaviors from 1 to ${MAX_DISCOVERED}`,
    );
  return mode;
};

/** Label smoothing eps of the sigmoid and robust DPO losses: 0 <= eps < 0.5 (robust divides by 1 - 2 eps). */
export const parseLabelSmoothing = (value: string): number => {
  const n = decimal(value);
  if (n < 0 || n >= 0.5) throw new InvalidArgumentError('expected 0 <= x < 0.5');
  return n;
};

/** Why --label-smoothing does not go with --loss (ipo and hinge have no eps); null when it does. */
export const lossConflict = (o: Pick<CliOptions, 'loss' | 'labelSmoothing'>): string | null =>
  o.labelSmoothing !== undefined &&
  o.labelSmoothing !== 0 &&
  !labelSmoothingApplies(o.loss ?? 'sigmoid')
    ? `--label-smoothing applies to the sigmoid and robust losses only, not to --loss ${o.loss}`
    : null;

/** Why --precision does not go with the other flags (it picks a graph of the bundled model); null when it does. */
export const precisionConflict = (
  o: Pick<CliOptions, 'precision' | 'model' | 'embeddings'>,
): string | null =>
  o.precision === undefined
    ? null
    : o.model
      ? `--precision chooses between the bundled model's graphs; it does not apply to --model ${o.model}`
      : o.embeddings
        ? '--precision does not apply to --embeddings (the vectors are given)'
        : null;

export const parseUnitInterval = (value: string): number => {
  const n = decimal(value);
  if (n < 0 || n > 1) throw new InvalidArgumentError('expected 0 <= x <= 1');
  return n;
};

/** A count of label hints to list, or `all` (Infinity): every flagged example. */
export const parseMaxSuspects = (value: string): number =>
  value === 'all' ? Number.POSITIVE_INFINITY : parseNonNegativeInt(value);

export const parseBatch = (value: string): number | 'full' =>
  value === 'full' ? 'full' : parsePositiveInt(value);

export const parseFieldMapping = (
  value: string,
  previous: Record<string, string>,
): Record<string, string> => {
  const known = ['prompt', 'chosen', 'rejected', 'question', 'matching', 'notMatching'];
  const match = /^(\w+)=(.+)$/.exec(value);
  if (!match || !known.includes(match[1])) {
    throw new InvalidArgumentError(`expected <${known.join('|')}>=<field name>`);
  }
  return { ...previous, [match[1]]: match[2] };
};

/** Maps the flat CLI flags onto the core's nested options; unset flags keep core defaults. */
export const toAnalyzeOptions = (o: CliOptions): AnalyzeOptions => {
  const simulation: Partial<SimulationOptions> = { preset: o.preset };
  if (o.steps !== undefined) simulation.steps = o.steps;
  if (o.lr !== undefined) simulation.lr = o.lr;
  if (o.beta !== undefined) simulation.beta = o.beta;
  if (o.loss !== undefined) simulation.loss = o.loss;
  if (o.labelSmoothing !== undefined) simulation.labelSmoothing = o.labelSmoothing;
  if (o.batch !== undefined) simulation.batchSize = o.batch;
  if (o.testFraction !== undefined) simulation.testFraction = o.testFraction;
  if (o.seed !== undefined) simulation.seed = o.seed;
  return {
    read: {
      schema: o.schema,
      behaviorField: o.behaviorField,
      fields: Object.keys(o.field).length > 0 ? o.field : undefined,
      hub: { allowDownload: o.allowDownload ?? false },
    },
    embed: {
      model: o.model,
      allowDownload: o.allowDownload ?? false,
      device: o.device,
      pooling: o.pooling,
      ...(o.precision === undefined ? {} : { precision: o.precision }),
      batchSize: o.batchSize,
      threads: o.threads,
      cacheDir: o.cache ? o.cacheDir : false,
      ...(o.chatTemplate === false ? { chatTemplate: false } : {}),
    },
    simulation,
    thresholds: {
      priorityLevel: o.priorityThreshold,
      relativeDistinguishability: o.distinguishabilityThreshold,
      significance: o.significance,
      flagStability: o.flagStability,
      labelHintCutoff: o.labelHintCutoff,
    },
    maxSuspects: o.maxSuspects,
    multipleChoice: o.mcMode,
    checks: {
      nearIdenticalCosine: o.nearIdenticalCosine,
      lengthBiasFraction: o.lengthBiasFraction,
      lengthBiasCorrelation: o.lengthBiasCorrelation,
    },
    rebalance: o.rebalance || o.rebalanceOut !== undefined,
    rebalanceTolerance: o.rebalanceTolerance,
    analysisThreads: o.analysisThreads,
    discoverBehaviors: o.discoverBehaviors,
    alignedModel: o.alignedModel
      ? {
          model: o.alignedModel,
          allowDownload: o.allowDownload ?? false,
          device: o.device,
          pooling: o.pooling,
          cacheDir: o.cache ? o.cacheDir : false,
          ...(o.chatTemplate === false ? { chatTemplate: false } : {}),
        }
      : undefined,
  };
};
