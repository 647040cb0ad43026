import type { RowData } from '../io/half.js';
import type {
  BehaviorCounts,
  BehaviorScience,
  JointRun,
  MisalignmentRun,
  MixtureWarning,
  PriorityResult,
  Rebalancing,
  SimulationOptions,
  SimulationResult,
  TwoModelComparison,
} from './types.js';

export type { TwoModelComparison } from './types.js';
import { dpoLoss, firstStepWeight } from './losses.js';
import type { Matrix } from './matrix.js';
import { priorityGaps, priorityLevels } from './priority.js';
import { exclusionReason } from './requirements.js';
import { suggestUpsampling } from './rebalance.js';
import {
  candidateWeightings,
  chooseWeighting,
  type CandidateOutcome,
  DEFAULT_REBALANCE_TOLERANCE,
  finalAccuracy as smoothedAccuracy,
  MAX_REFINEMENTS,
  milderCandidate,
} from './rebalance-search.js';
import {
  type BehaviorRows,
  headBoundary,
  jointRun,
  misalignmentRun,
  splitBehavior,
  toJointRun,
  toMisalignmentRun,
} from './runs.js';
import { FAST_PREVIEW, REFERENCE_SIMULATION, runToCompletion } from './simulate.js';
import { GemmWorker } from './gemm-client.js';
import { stepJointRun } from './joint-steps.js';
import { DEFAULT_ANALYSIS_THREADS } from './worker-pool.js';
import {
  behaviorStats,
  DEFAULT_STATS_OPTIONS,
  median,
  percentileInterval,
  type Suspect,
} from './stats.js';
import { behaviorRunSteps } from './behavior-runs.js';
import { behaviorRunsAll, behaviorStatsAll } from './parallel.js';
import {
  behaviorWarnings,
  DEFAULT_THRESHOLDS,
  isDeprioritized,
  type Thresholds,
} from './warnings.js';
import { correctedReplicates, flagStability, rankIntervals } from './stability.js';
import { benjaminiHochberg } from './significance.js';
import { completePairs, pairedStatistics } from './paired.js';
import { priorityConflicts } from './conflicts.js';
import { boundCheck } from './bound-check.js';
import {
  applyVerdicts,
  DEFAULT_VERDICT_THRESHOLDS,
  isSignificant,
  SINGLE_BEHAVIOR_NOTE,
  type VerdictThresholds,
} from './verdicts.js';

export interface AnswerRows {
  yes: ArrayLike<number>;
  no: ArrayLike<number>;
  /** The vocabulary entries of the two answers (e.g. "ĠYes"), for the report. */
  yesToken?: string;
  noToken?: string;
}

export interface AnalysisInput {
  /** Embeddings [rows, dim] in C order. */
  data: RowData;
  dim: number;
  /** Per row: +1 when the preferred answer is yes (statement matches the behavior), -1 otherwise. */
  labels: ArrayLike<number>;
  /** Per row: index into behaviorNames. */
  behaviorIndex: ArrayLike<number>;
  behaviorNames: readonly string[];
  /** Initial answer rows of a real LM head (causal LMs): enables phi and starts the runs from W_B. */
  head?: AnswerRows;
  /** Per behavior sampling weight w_i (default 1): the mixture weight of behavior i is n_i * w_i. */
  samplingWeights?: readonly number[];
  /**
   * Per row: the pair id shared by the chosen and rejected rows of one pairwise record (negative:
   * none). Behaviors with paired rows are tested, estimated and bootstrapped on their pairs'
   * differences (paired.ts; see docs/science.md).
   */
  pairs?: ArrayLike<number>;
  /** Name of the model that made `data` (goes into misalignment runs). */
  model?: string;
  /** Two-model misalignment: the same rows embedded by an aligned checkpoint. */
  aligned?: { data: RowData; model: string; head?: AnswerRows };
}

export interface AnalysisOptions {
  /** Overrides of the preset (the reference preset unless `preset: 'fast-preview'`). */
  simulation?: Partial<SimulationOptions>;
  thresholds?: Partial<Thresholds & VerdictThresholds>;
  maxSuspects?: number;
  /** Permutation-test draws per behavior (default 999; 0 skips the test: every p-value is 1, so every behavior is indistinguishable). */
  permutations?: number;
  bootstrapReps?: number;
  /** Seed of the statistics (bootstrap, Lanczos start); the simulation has its own. */
  seed?: number;
  /** Behaviors trained jointly: all of them (default, when there are at least two), a list, or none. */
  joint?: boolean | readonly string[];
  /** Flipped-label runs from the base and the aligned head (default true). */
  misalignment?: boolean;
  /** Suggest upsampling factors and simulate the rebalanced joint run (default true, needs >= 2 behaviors). */
  rebalance?: boolean;
  /** Largest upsampling factor (default 10). */
  rebalanceCap?: number;
  /** Largest simulated test-accuracy loss a rebalancing may cost any behavior (default 0.02). */
  rebalanceTolerance?: number;
  /**
   * Worker threads for the per-behavior statistics and each behavior's own runs (default: the
   * machine's parallelism, at most 8; 1 keeps them on the calling thread). The results do not
   * depend on it.
   */
  threads?: number;
}

export interface AnalysisProgress {
  stage: 'statistics' | 'simulate' | 'rebalance' | 'done';
  /** 0..1 within the stage. */
  fraction: number;
  message: string;
}

/**
 * A behavior as the analysis leaves it: its figures (BehaviorScience, BehaviorCounts; the report's
 * BehaviorReport extends the same) and the rows behind its label hints.
 */
export interface AnalysisBehavior extends BehaviorScience, BehaviorCounts {
  /** Index into the input's behaviorNames. */
  index: number;
  priorityMeaningful: boolean;
  suspects: Suspect[];
  /** Rows of every label hint (suspectCount of them), for the sidecar's per-row flags. */
  suspectRows: number[];
  wrongSideCount: number;
  pastOppositeMeanCount: number;
  /** Suggested upsampling factor, when a rebalancing was computed. */
  upsampling?: number;
}

export interface AnalysisResult {
  behaviors: AnalysisBehavior[];
  priority: PriorityResult;
  simulation: SimulationResult;
  rebalancing: Rebalancing | null;
  thresholds: Thresholds & VerdictThresholds;
  /** About the mixture as a whole (a single behavior: no priority claim). */
  warnings: MixtureWarning[];
  /** Behaviors left out: fewer than two examples in a class. */
  excluded: { name: string; reason: string }[];
  twoModel: TwoModelComparison[];
}

/** The preset named by `overrides.preset` (reference by default) with the overrides applied; 'custom' if any differs. */
export function resolveSimulationOptions(
  overrides: Partial<SimulationOptions> = {},
): SimulationOptions {
  const base = overrides.preset === 'fast-preview' ? FAST_PREVIEW : REFERENCE_SIMULATION;
  const merged: SimulationOptions = { ...base, ...overrides, preset: base.preset };
  const keys = ['beta', 'lr', 'steps', 'batchSize', 'testFraction', 'seed'] as const;
  const changed = keys.some((k) => merged[k] !== base[k]);
  return { ...merged, preset: overrides.preset === 'custom' || changed ? 'custom' : base.preset };
}

/** Rows of each behavior, in input order. */
export function groupRows(
  input: Pick<AnalysisInput, 'labels' | 'behaviorIndex' | 'behaviorNames'>,
): BehaviorRows[] {
  const m = input.behaviorNames.length;
  const counts = new Array<number>(m).fill(0);
  const n = input.behaviorIndex.length;
  for (let r = 0; r < n; r++) counts[input.behaviorIndex[r]]++;
  const out = input.behaviorNames.map((name, i) => ({
    name,
    rows: new Int32Array(counts[i]),
    labels: new Int8Array(counts[i]),
  }));
  const fill = new Array<number>(m).fill(0);
  for (let r = 0; r < n; r++) {
    const b = input.behaviorIndex[r];
    out[b].rows[fill[b]] = r;
    out[b].labels[fill[b]] = input.labels[r] > 0 ? 1 : -1;
    fill[b]++;
  }
  return out;
}

/** Largest number of float32 replicate-vector entries an analysis keeps (flagStability). */
export const MAX_REPLICATE_FLOATS = 2 ** 26;

function classRows(b: BehaviorRows): { pos: Int32Array; neg: Int32Array } {
  const pos: number[] = [];
  const neg: number[] = [];
  b.rows.forEach((r, i) => (b.labels[i] > 0 ? pos : neg).push(r));
  return { pos: Int32Array.from(pos), neg: Int32Array.from(neg) };
}

/**
 * The whole analysis of an embedded mixture: statistics, priority, simulated DPO (alone, joint,
 * misalignment), rebalancing and warnings. Pure computation; long parts yield to the event loop,
 * report progress and stop when `signal` aborts.
 */
export async function analyzeEmbeddings(
  input: AnalysisInput,
  options: AnalysisOptions = {},
  signal?: AbortSignal,
  onProgress?: (p: AnalysisProgress) => void,
): Promise<AnalysisResult> {
  const matrix: Matrix = { data: input.data, rows: input.labels.length, dim: input.dim };
  if (input.data.length !== matrix.rows * matrix.dim)
    throw new Error(
      `embeddings hold ${input.data.length} numbers, expected ${matrix.rows} rows × ${matrix.dim}`,
    );
  const threads = options.threads ?? DEFAULT_ANALYSIS_THREADS;
  // The statistics start while the linear-algebra worker loads onnxruntime.
  const starting = GemmWorker.start(matrix, threads);
  try {
    return await analyzeMatrix(matrix, input, options, {
      gemm: starting,
      threads,
      signal,
      onProgress,
    });
  } finally {
    void starting.then((g) => g?.dispose());
  }
}

async function analyzeMatrix(
  matrix: Matrix,
  input: AnalysisInput,
  options: AnalysisOptions,
  context: {
    gemm: Promise<GemmWorker | null>;
    threads: number;
    signal?: AbortSignal;
    onProgress?: (p: AnalysisProgress) => void;
  },
): Promise<AnalysisResult> {
  const { threads, signal, onProgress } = context;
  const thresholds: Thresholds & VerdictThresholds = {
    ...DEFAULT_THRESHOLDS,
    ...DEFAULT_VERDICT_THRESHOLDS,
    ...options.thresholds,
  };
  const sim = resolveSimulationOptions(options.simulation);
  // Checked here, before any run starts: an unknown loss or eps outside [0, 0.5) throws.
  const loss = dpoLoss(sim.loss ?? 'sigmoid', sim.beta, sim.labelSmoothing ?? 0);
  const seed = options.seed ?? DEFAULT_STATS_OPTIONS.seed;
  const grouped = groupRows(input);
  const excluded: AnalysisResult['excluded'] = [];
  const kept: { rows: BehaviorRows; index: number; pos: Int32Array; neg: Int32Array }[] = [];
  grouped.forEach((rows, index) => {
    const { pos, neg } = classRows(rows);
    const reason = exclusionReason(pos.length, neg.length);
    if (reason !== null) excluded.push({ name: rows.name, reason });
    else kept.push({ rows, index, pos, neg });
  });

  // The statistics, and beside them the joint run: the statistics' threads wait for the
  // linear-algebra worker much of the time, which leaves room for the joint run's steps and the
  // gathering of its rows on this thread. Then each behavior's own runs, on the worker threads.
  // A failure of any part stops the others. Progress reports the statistics, then the runs' steps.
  const inner = new AbortController();
  const relay = (): void => inner.abort(signal?.reason);
  if (signal?.aborted) relay();
  else signal?.addEventListener('abort', relay, { once: true });
  const stopOnFailure = (error: unknown): never => {
    inner.abort(error);
    throw error;
  };
  // Awaited below; handled here too, so that a part that fails while another is awaited is not
  // reported as an unhandled rejection.
  const started = <T>(p: Promise<T>): Promise<T> => {
    const q = p.catch(stopOnFailure);
    q.catch(() => undefined);
    return q;
  };
  // The flag stability resamples the behaviors' rows (pairs) when every replicate's mean difference
  // can be kept: m R d float32 numbers, at most MAX_REPLICATE_FLOATS (256 MiB).
  const reps = options.bootstrapReps ?? DEFAULT_STATS_OPTIONS.bootstrapReps;
  const replicateVectors =
    kept.length >= 2 && kept.length * reps * matrix.dim <= MAX_REPLICATE_FLOATS;
  try {
    onProgress?.({ stage: 'statistics', fraction: 0, message: 'statistics' });
    const statsDone = started(
      behaviorStatsAll(
        matrix,
        kept.map((k) => ({ name: k.rows.name, positives: k.pos, negatives: k.neg })),
        {
          bootstrapReps: options.bootstrapReps,
          seed,
          head: input.head,
          maxSuspects: options.maxSuspects,
          labelErrorDepth: thresholds.labelErrorDepth,
          permutations: options.permutations,
          labelHints: { cutoff: thresholds.labelHintCutoff },
          replicateVectors,
        },
        {
          threads,
          gemm: context.gemm,
          signal: inner.signal,
          onProgress: (done, total, name) =>
            onProgress?.({
              stage: 'statistics',
              fraction: done / total,
              message: `statistics: ${done}/${total} (${name})`,
            }),
        },
      ),
    );
    // The runs' train/test splits while the worker threads start on the statistics. Salted by the
    // input's behavior index, so excluding or adding another behavior leaves this one's split alone.
    const splits = kept.map((k) =>
      splitBehavior(matrix, k.rows, k.index, sim.testFraction, sim.seed),
    );
    const names = kept.map((k) => k.rows.name);
    const sampling = kept.map((k) => input.samplingWeights?.[k.index] ?? 1);
    const mixtureWeights = kept.map((k, i) => k.rows.rows.length * sampling[i]);
    const gemm = await context.gemm;
    const start = input.head ? headBoundary(matrix.dim, input.head) : undefined;
    const position = new Map(splits.map((s, i) => [s.name, i]));
    const jointNames =
      options.joint === false
        ? []
        : Array.isArray(options.joint)
          ? names.filter((n) => (options.joint as readonly string[]).includes(n))
          : names;
    const jointSplits = splits.filter((s) => jointNames.includes(s.name));
    const jointWeights = jointSplits.map((s) => sampling[position.get(s.name)!]);
    const joint =
      jointSplits.length >= 2 ? jointRun(matrix, jointSplits, sim, start, jointWeights) : null;
    const model = input.model ?? 'model';
    const jobs = splits.map((split) => ({
      split,
      params: sim,
      start,
      misalignment: options.misalignment !== false,
      model,
    }));
    const totalSteps = jobs.reduce((s, j) => s + behaviorRunSteps(j), joint ? joint.steps : 0);
    let stepsDone = 0;
    let statsFinished = false;
    const reportSteps = (): void =>
      onProgress?.({
        stage: 'simulate',
        fraction: totalSteps ? stepsDone / totalSteps : 1,
        message: `simulated DPO: ${stepsDone}/${totalSteps} steps`,
      });
    const addSteps = (n: number): void => {
      stepsDone += n;
      if (statsFinished) reportSteps();
    };
    const jointDone = joint
      ? started(
          stepJointRun(matrix, joint, {
            gemm,
            threads,
            signal: inner.signal,
            onSteps: addSteps,
          }),
        )
      : undefined;
    const stats = await statsDone;
    statsFinished = true;
    reportSteps();
    const b = stats.map((s) => s.meanDiff);
    const levels = priorityLevels(b, mixtureWeights);
    const gaps = priorityGaps(b, mixtureWeights);
    const [own] = await Promise.all([
      started(
        behaviorRunsAll(matrix, jobs, { threads, gemm, signal: inner.signal, onSteps: addSteps }),
      ),
      jointDone,
    ]);
    const misalignment: MisalignmentRun[] = own.flatMap((r) => r.misalignment);
    const twoModel: TwoModelComparison[] = [];
    if (input.aligned) {
      const comparisons = await compareModels(
        { matrix, model, head: input.head },
        {
          matrix: { data: input.aligned.data, rows: matrix.rows, dim: matrix.dim },
          model: input.aligned.model,
          head: input.aligned.head,
        },
        kept.map((k) => ({ ...k.rows, index: k.index })),
        sim,
        { seed, bootstrapReps: 0 },
        signal,
      );
      twoModel.push(...comparisons);
      for (const c of comparisons) misalignment.push(c.base.run, c.aligned.run);
    }

    // Rebalancing: candidate weightings, each simulated as a joint run (rebalance-search.ts).
    let rebalancing: Rebalancing | null = null;
    let upsampling: number[] | undefined;
    if (options.rebalance !== false && joint && jointSplits.length >= 2) {
      onProgress?.({ stage: 'rebalance', fraction: 0, message: 'rebalancing' });
      const idx = jointSplits.map((s) => position.get(s.name)!);
      const jointNamesOrdered = jointSplits.map((s) => s.name);
      const jointBefore = toJointRun(joint, jointNamesOrdered);
      const finalAccuracy = (run: JointRun): number[] =>
        jointNamesOrdered.map((n) => smoothedAccuracy(run.perBehavior[n].testAccuracy));
      const accuracyBefore = finalAccuracy(jointBefore);
      const up = suggestUpsampling(
        idx.map((i) => b[i]),
        idx.map((i) => mixtureWeights[i]),
        { cap: options.rebalanceCap, relativeTarget: thresholds.priorityLevel },
      );
      const candidates = candidateWeightings(up.factors, accuracyBefore);
      const tolerance = options.rebalanceTolerance ?? DEFAULT_REBALANCE_TOLERANCE;
      const runs: JointRun[] = [];
      const outcomes: CandidateOutcome[] = [];
      const budget = candidates.length + MAX_REFINEMENTS;
      const simulate = async (factors: number[]): Promise<void> => {
        const c = runs.length;
        const after = jointRun(
          matrix,
          jointSplits,
          sim,
          start,
          jointWeights.map((w, j) => w * factors[j]),
        );
        await stepJointRun(matrix, after, {
          gemm,
          threads,
          signal,
          onProgress: (p) =>
            onProgress?.({
              stage: 'rebalance',
              fraction: Math.min(1, (c + (p.total ? p.done / p.total : 1)) / budget),
              message: `simulating rebalanced mixture ${c + 1}`,
            }),
        });
        const run = toJointRun(after, jointNamesOrdered);
        runs.push(run);
        outcomes.push({ factors, accuracy: finalAccuracy(run) });
      };
      for (const factors of candidates) await simulate(factors);
      for (let k = 0; k < MAX_REFINEMENTS; k++) {
        if (chooseWeighting(accuracyBefore, outcomes, tolerance) !== null) break;
        const milder = milderCandidate(accuracyBefore, outcomes);
        if (!milder) break;
        candidates.push(milder);
        await simulate(milder);
      }
      const chosen = chooseWeighting(accuracyBefore, outcomes, tolerance);
      const factors = chosen === null ? jointSplits.map(() => 1) : candidates[chosen];
      const levelsAfter =
        chosen === null
          ? up.levelsBefore
          : priorityLevels(
              idx.map((i) => b[i]),
              idx.map((i, j) => mixtureWeights[i] * factors[j]),
            );
      const jointAfter = chosen === null ? jointBefore : runs[chosen];
      const accuracyAfter = finalAccuracy(jointAfter);
      const record = (values: readonly number[]): Record<string, number> =>
        Object.fromEntries(jointNamesOrdered.map((n, j) => [n, values[j]]));
      const worst = accuracyBefore.indexOf(Math.min(...accuracyBefore));
      rebalancing = {
        suggested: chosen !== null,
        note:
          chosen === null
            ? `No rebalancing suggested: none of ${candidates.length} simulated weightings raised the worst behavior's accuracy (${jointNamesOrdered[worst]}, ${accuracyBefore[worst].toFixed(2)}) without costing another behavior more than ${tolerance} accuracy.`
            : `Upsampling raises the worst simulated accuracy from ${Math.min(...accuracyBefore).toFixed(2)} to ${Math.min(...accuracyAfter).toFixed(2)}; no behavior loses more than ${tolerance} (best of ${candidates.length} simulated weightings).`,
        tolerance,
        candidates: candidates.length,
        tried: runs.map((r, c) => {
          const acc = finalAccuracy(r);
          return {
            weights: record(candidates[c]),
            worstAccuracy: Math.min(...acc),
            largestLoss: Math.max(...acc.map((a, j) => accuracyBefore[j] - a)),
          };
        }),
        perBehavior: Object.fromEntries(
          jointNamesOrdered.map((n, j) => [
            n,
            {
              weight: factors[j],
              levelBefore: up.levelsBefore[j],
              levelAfter: levelsAfter[j],
              accuracyBefore: accuracyBefore[j],
              accuracyAfter: accuracyAfter[j],
            },
          ]),
        ),
        weights: record(factors),
        levelsBefore: record(up.levelsBefore),
        levelsAfter: record(levelsAfter),
        jointBefore,
        jointAfter,
      };
      if (chosen !== null) upsampling = names.map((n) => rebalancing!.weights[n] ?? 1);
    }

    const warnings = behaviorWarnings(
      {
        names,
        levels,
        distinguishability: stats.map((s) => s.distinguishability),
        upsampling,
        labelErrors: stats.map((s) => ({
          count: s.suspectCount,
          lowest: s.suspects.length ? s.suspects[0].confidence : 1,
          total: s.nPositive + s.nNegative,
        })),
      },
      thresholds,
    );
    // Paired rows (pairwise, HH-RLHF: a chosen and a rejected response to one prompt) are not
    // independent classes: the label shuffle and the trace correction of the unpaired statistics
    // would call a paired behavior noise (its pairs share most of their text, so the plain mean
    // difference is smaller than a shuffle's). Its test, estimate, interval and replicates come
    // from the pair differences instead (paired.ts); a behavior with fewer than two complete
    // pairs keeps the percentile interval and gets no p-value.
    const pairIds = input.pairs;
    const paired = kept.map((k) => (pairIds ? k.rows.rows.some((r) => pairIds[r] >= 0) : false));
    const pairedStats = kept.map((k, i) => {
      if (!paired[i] || !pairIds) return null;
      const { chosen, rejected } = completePairs(k.rows.rows, k.rows.labels, pairIds);
      if (chosen.length < 2) return null;
      return pairedStatistics(matrix, chosen, rejected, {
        permutations: options.permutations,
        bootstrapReps: reps,
        seed,
        replicateVectors,
      });
    });
    // Untested: paired rows without two complete pairs.
    const untested = paired.map((p, i) => p && pairedStats[i] === null);
    const replicates = stats.map((s, i) => pairedStats[i]?.replicates ?? s.replicates);
    const corrected = stats.map((s, i) => {
      const ps = pairedStats[i];
      if (ps) return correctedReplicates(ps.replicates, ps.unbiasedSquare);
      if (paired[i]) return s.replicates;
      return correctedReplicates(
        s.replicates,
        s.distinguishability ** 2 - s.tracePositive / s.nPositive - s.traceNegative / s.nNegative,
      );
    });
    const rankCI = rankIntervals(corrected);
    const deprioritizedRule = (lv: readonly number[]): boolean[] => {
      const med = median(lv);
      return lv.map(
        (p) => isDeprioritized(p, med, thresholds) || p < thresholds.priorityLevelAbsolute,
      );
    };
    const stability = flagStability(
      b,
      mixtureWeights,
      replicates,
      deprioritizedRule,
      replicateVectors
        ? stats.map((s, i) => pairedStats[i]?.replicateVectors ?? s.replicateVectors)
        : undefined,
    );
    const significance = stats.map((s, i) => {
      const ps = pairedStats[i];
      return ps
        ? {
            pValue: ps.pValue,
            permutations: ps.permutations,
            distinguishabilityUnbiased: ps.distinguishabilityUnbiased,
            distinguishabilityCI: ps.distinguishabilityCI,
          }
        : {
            pValue: s.pValue,
            permutations: s.permutations,
            distinguishabilityUnbiased: s.distinguishabilityUnbiased,
            distinguishabilityCI: s.distinguishabilityCI,
          };
    });
    const tested = stats.flatMap((_, i) => (untested[i] ? [] : [i]));
    const adjusted = benjaminiHochberg(tested.map((i) => significance[i].pValue));
    const pValues = significance.map((s, i) => (untested[i] ? 0 : s.pValue));
    // An untested behavior makes no significance claim: it counts as significant for the verdicts.
    const pAdjusted = stats.map(() => 0);
    tested.forEach((i, j) => (pAdjusted[i] = adjusted[j]));
    const verdicts = applyVerdicts(
      {
        names,
        levels,
        distinguishability: stats.map((s) => s.distinguishability),
        pValues,
        pAdjusted,
        warnings,
        conflicts: (n, i) => priorityConflicts(n, b, mixtureWeights, i),
        ...(stability ? { flagStability: stability } : {}),
      },
      thresholds,
    );
    const behaviors: AnalysisBehavior[] = stats.map((s, i) => ({
      name: names[i],
      index: kept[i].index,
      nPositive: s.nPositive,
      nNegative: s.nNegative,
      distinguishability: s.distinguishability,
      ...(untested[i]
        ? {
            distinguishabilityCI: s.replicates.length
              ? percentileInterval(Float64Array.from(s.replicates), 0.95)
              : s.distinguishabilityCI,
          }
        : {
            distinguishabilityCI: significance[i].distinguishabilityCI,
            distinguishabilityUnbiased: significance[i].distinguishabilityUnbiased,
            pValue: significance[i].pValue,
            pValueAdjusted: pAdjusted[i],
            permutations: significance[i].permutations,
          }),
      normalizedDistinguishability: s.normalizedDistinguishability,
      concentration: s.concentration,
      trace: s.trace,
      ...(s.phi === undefined ? {} : { phi: s.phi }),
      priorityLevel: levels[i],
      priorityMeaningful: verdicts.priorityMeaningful[i],
      warnings: verdicts.warnings[i],
      ...(verdicts.deprioritized[i] ? { conflicts: verdicts.conflicts[i] } : {}),
      ...(verdicts.deprioritized[i] && stability ? { flagStability: stability[i] } : {}),
      ...(rankCI[i] ? { rankCI: rankCI[i]! } : {}),
      // An indistinguishable behavior makes no label claim: no hints either.
      suspects: isSignificant(pAdjusted[i], thresholds) ? s.suspects : [],
      suspectCount: isSignificant(pAdjusted[i], thresholds) ? s.suspectCount : 0,
      suspectRows: isSignificant(pAdjusted[i], thresholds) ? s.suspectRows : [],
      wrongSideCount: s.wrongSideCount,
      pastOppositeMeanCount: s.pastOppositeMeanCount,
      ...(upsampling ? { upsampling: upsampling[i] } : {}),
    }));
    onProgress?.({ stage: 'done', fraction: 1, message: 'analysis done' });
    return {
      behaviors,
      priority: { names, gaps, levels },
      simulation: {
        options: sim,
        head: input.head ? 'model' : 'zero',
        ...(input.head?.yesToken && input.head.noToken
          ? { headTokens: [input.head.yesToken, input.head.noToken] as [string, string] }
          : {}),
        loss: loss.name,
        labelSmoothing: loss.labelSmoothing,
        firstStepWeight: firstStepWeight(loss, sim.beta),
        perBehavior: Object.fromEntries(own.map((r, i) => [names[i], r.alone])),
        joint: joint
          ? toJointRun(
              joint,
              jointSplits.map((s) => s.name),
            )
          : null,
        misalignment,
        boundCheck: boundCheck(
          sim.beta,
          sim.lr,
          stats.map((s, i) => ({ ...s, name: names[i] })),
        ),
      },
      rebalancing,
      thresholds,
      warnings:
        names.length === 1 ? [{ kind: 'single-behavior', message: SINGLE_BEHAVIOR_NOTE }] : [],
      excluded,
      twoModel,
    };
  } finally {
    signal?.removeEventListener('abort', relay);
  }
}

/**
 * Two-model form: the same rows embedded by a base model and by an aligned model. For each
 * behavior, both models' statistics and a flipped-label run from each model's own initial head,
 * side by side (the paper's finding 4: misalignment is faster from the aligned model).
 */
export async function compareModels(
  base: { matrix: Matrix; model: string; head?: AnswerRows },
  aligned: { matrix: Matrix; model: string; head?: AnswerRows },
  /** index: the behavior's position in the mixture (salts its split, as in analyzeEmbeddings); default its position here. */
  behaviors: readonly (BehaviorRows & { index?: number })[],
  simulation: SimulationOptions,
  statsOptions: { seed?: number; bootstrapReps?: number } = {},
  signal?: AbortSignal,
): Promise<TwoModelComparison[]> {
  const out: TwoModelComparison[] = [];
  for (let i = 0; i < behaviors.length; i++) {
    signal?.throwIfAborted();
    const { pos, neg } = classRows(behaviors[i]);
    const side = async (
      x: typeof base,
      start: 'base' | 'aligned',
    ): Promise<TwoModelComparison['base']> => {
      const s = behaviorStats(x.matrix, pos, neg, {
        ...statsOptions,
        bootstrapReps: statsOptions.bootstrapReps ?? 0,
        maxSuspects: 0,
        labelHints: false,
      });
      const split = splitBehavior(
        x.matrix,
        behaviors[i],
        behaviors[i].index ?? i,
        simulation.testFraction,
        simulation.seed,
      );
      const sim = misalignmentRun(
        x.matrix,
        split,
        simulation,
        x.head ? headBoundary(x.matrix.dim, x.head) : undefined,
      );
      await runToCompletion([sim], { signal });
      return {
        distinguishability: s.distinguishability,
        concentration: s.concentration,
        trace: s.trace,
        run: toMisalignmentRun(sim, behaviors[i].name, start, x.model),
      };
    };
    out.push({
      behavior: behaviors[i].name,
      base: await side(base, 'base'),
      aligned: await side(aligned, 'aligned'),
    });
  }
  return out;
}
