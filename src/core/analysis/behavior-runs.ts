import type { Curve, MisalignmentRun } from './types.js';
import type { Matrix } from './matrix.js';
import { aloneRun, type BehaviorSplit, misalignmentRun, toMisalignmentRun } from './runs.js';
import type { DpoSimulation, SimulationParams } from './simulate.js';
import type { StateScorer } from './state-scoring.js';

export interface BehaviorRunsJob {
  split: BehaviorSplit;
  params: SimulationParams;
  /** The base head's boundary (zero head when absent). */
  start?: Float64Array;
  /** Also the flipped-label runs from the base head and from the aligned one. */
  misalignment: boolean;
  /** The model's name in the misalignment entries. */
  model: string;
}

export interface BehaviorRunsResult {
  alone: Curve;
  /** Base then aligned start, when asked for. */
  misalignment: (MisalignmentRun & { originalAccuracy: number[] })[];
}

/** Steps every given run to its end (synchronously, or yielding between slices). */
export type StepRuns = (sims: DpoSimulation[]) => Promise<void> | void;

/** Total SGD steps of one behavior's runs. */
export const behaviorRunSteps = (job: BehaviorRunsJob): number =>
  job.params.steps * (job.misalignment ? 3 : 1);

/**
 * One behavior's own runs: trained alone from the base head, then (optionally) with flipped labels
 * from the base head and from the head the aligned run ended with. Each run draws from a stream
 * keyed by the behavior's index, so the result does not depend on which thread runs it or when.
 */
export async function runBehavior(
  m: Matrix,
  job: BehaviorRunsJob,
  step: StepRuns,
  /** Scores the states of a run's rows after its steps (the linear-algebra worker's scorer). */
  scorerFor?: (rows: Int32Array) => StateScorer,
): Promise<BehaviorRunsResult> {
  const { split, params, start } = job;
  const run = async (sims: DpoSimulation[]): Promise<void> => {
    // Minibatch runs hand their states to `scorerFor` after the steps (full-batch ones cannot).
    const deferred = scorerFor
      ? sims.flatMap((sim) => {
          const rows = sim.scoredRows();
          return rows ? [{ sim, rows }] : [];
        })
      : [];
    for (const { sim } of deferred) sim.deferScoring();
    await step(sims);
    for (const { sim, rows } of deferred) await sim.flushWith(scorerFor!(rows));
  };
  const alone = aloneRun(m, split, params, start);
  await run([alone]);
  const misalignment: BehaviorRunsResult['misalignment'] = [];
  if (job.misalignment) {
    const base = misalignmentRun(m, split, params, start);
    const aligned = misalignmentRun(m, split, params, alone.boundary());
    await run([base, aligned]);
    misalignment.push(
      toMisalignmentRun(base, split.name, 'base', job.model),
      toMisalignmentRun(aligned, split.name, 'aligned', job.model),
    );
  }
  return { alone: alone.curve(), misalignment };
}
