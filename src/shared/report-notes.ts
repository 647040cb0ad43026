/**
 * Sentences every face shows the same way (Markdown, the webview and the standalone HTML, the CLI):
 * what the head-only misalignment runs can and cannot show, and what the Theorem 4.1 bound is.
 */
import type { BoundCheck, MisalignmentRun, Report } from '../core/report/types.js';

export const MISALIGNMENT_NOTE =
  'DPO with chosen and rejected swapped, on the output head only, from the base head and from the head after the aligned run. "Steps to < 50%" counts steps until accuracy on the original labels falls below 50% (a tie counts 1/2); a start without preference (the zero base head of a sentence model: every example a tie, accuracy 0.5) has nothing to undo and shows "no preference at start". With the start as its reference policy the flipped run retraces the aligned one, so it comes back to no preference after about as many steps as the alignment took ("never" when that is the last step). The paper finds aligned models are misaligned faster because DPO changes the embeddings (more separated, more concentrated); a head-only run on one model’s embeddings cannot show that: compare two checkpoints with --aligned-model.';

/** The steps-to-below-50% cell of a misalignment run. */
export const stepsToBelowHalfText = (r: MisalignmentRun | undefined): string =>
  !r
    ? '–'
    : r.preferenceAtStart === false
      ? 'no preference at start'
      : r.stepsToBelowHalf === null
        ? 'never'
        : String(r.stepsToBelowHalf);

const f3 = (x: number): string => (Math.abs(x) >= 1e-3 ? x.toFixed(3) : x.toExponential(2));

/** One sentence on whether the drawn bound is the theorem's guarantee. */
export const boundNote = (b: BoundCheck | undefined): string =>
  !b
    ? 'The step-size condition of Theorem 4.1 was not checked for this report.'
    : b.status === 'guaranteed'
      ? `Theorem 4.1 bound: guaranteed. Its step-size condition β′²ηc_n² ≤ 1/4 holds for every behavior (largest ${f3(b.stepSizeProduct)}), so the bound holds with high probability.`
      : `Theorem 4.1 bound: empirical. Its step-size condition β′²ηc_n² ≤ 1/4 fails under these hyperparameters (largest ${f3(b.stepSizeProduct)} > 0.25), so the drawn bound is a reference line the run may or may not stay under, not a guarantee.`;

/**
 * One sentence on a non-default DPO loss (losses.ts, docs/science.md): which loss, its first-step
 * weight, that the priority levels are unchanged, and what becomes of the Theorem 4.1 line.
 * Undefined for the paper's sigmoid loss without label smoothing (and for reports without a loss).
 */
export const lossNote = (sim: Report['simulation']): string | undefined => {
  const loss = sim.loss ?? 'sigmoid';
  const eps = sim.labelSmoothing ?? 0;
  if (loss === 'sigmoid' && eps === 0) return undefined;
  const beta = sim.options.beta;
  const named = eps > 0 ? `${loss} with label smoothing ε = ${eps}` : loss;
  const weight = sim.firstStepWeight;
  const first =
    weight === undefined
      ? ''
      : ` Its first step weighs every example by |dℓ/dz| at z = 0 = ${f3(weight)} (the sigmoid loss: β/2 = ${f3(beta / 2)}), the same for every example, so the first step points the same way and the priority levels are those of the sigmoid loss; only its length differs.`;
  const bound =
    loss === 'ipo'
      ? ` The presets' learning rates are tuned for the sigmoid loss: ipo's first step is ${f3(2 / (beta * beta))}× as long (2/β²), so a preset's rate may diverge; lower the learning rate by about that factor. The Theorem 4.1 line and its step-size check are for the sigmoid loss: the ipo gradient is not bounded, so they bound nothing here.`
      : loss === 'robust'
        ? ` The Theorem 4.1 line and its step-size check are for the sigmoid loss; robust weights reach (1 − ε)/(1 − 2ε) = ${f3((1 - eps) / (1 - 2 * eps))}, not 1, so the line is low by up to that factor.`
        : ' Its per-example weight stays at most 1, as the sigmoid loss’s, so the Theorem 4.1 line still bounds the head change.';
  return `DPO loss: ${named} (TRL's loss_type; the loss curves are this loss).${first}${bound}`;
};

/** Which head the simulated runs started from: recorded, or inferred for older reports (phi exists only with a model head). */
export const simulationHead = (
  report: Pick<Report, 'simulation' | 'behaviors'>,
): 'model' | 'zero' =>
  report.simulation.head ?? (report.behaviors.some((b) => b.phi !== undefined) ? 'model' : 'zero');

/** One sentence every face shows: which head the simulation starts from, and under which preset. */
export const headNote = (report: Pick<Report, 'simulation' | 'behaviors'>): string => {
  const sim = report.simulation;
  const tokens = sim.headTokens
    ? ` (the LM head rows of ${sim.headTokens[0]} and ${sim.headTokens[1]})`
    : '';
  const preset = `${sim.options.preset} preset`;
  return simulationHead(report) === 'model'
    ? `Simulated head: model${tokens}, the runs start from the model's own answer head; ${preset}.`
    : `Simulated head: zero (a sentence model, or an LM head that could not be read), the runs start with no preference; ${preset}.`;
};
