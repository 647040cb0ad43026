/**
 * Sentences every face shows the same way (Markdown, the webview and the standalone HTML, the CLI):
 * what the head-only misalignment runs can and cannot show, and what the Theorem 4.1 bound is.
 */
import type { BoundCheck, MisalignmentRun } from '../core/report/types.js';

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
