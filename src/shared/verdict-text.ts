/**
 * The verdict in sentences, the same in every face (the report's header, the Markdown report):
 * the predicted learning order with its uncertainty, the deprioritized behaviors and what pulls
 * against them, the misalignment comparison and what the rebalancing changes. `name` writes a
 * behavior name for the face (Markdown escapes it; the webview sets text, never markup).
 */
import type { Report } from '../core/report/types.js';
import { formatNumber } from './format.js';
import { hasDeprioritizedWarning, median } from './report-facts.js';

type Behavior = Report['behaviors'][number];

/** Consecutive behaviors (in ranked order) whose intervals overlap: the order between them is not resolved. */
export function overlappingRuns(ci: [number, number][]): [number, number][] {
  const runs: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= ci.length; i++) {
    // Ranked highest first: i is below i-1; they overlap when i's upper bound reaches i-1's lower.
    const overlaps = i < ci.length && ci[i][1] >= ci[i - 1][0];
    if (!overlaps) {
      if (i - 1 > start) runs.push([start, i - 1]);
      start = i;
    }
  }
  return runs;
}

const last = (xs: readonly number[]): number | undefined => xs[xs.length - 1];

/** A deprioritized behavior with the behaviors that pull against its level (largest first). */
function pulledBy(b: Behavior, name: (n: string) => string): string {
  const against = [...(b.conflicts ?? [])]
    .sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution))
    .slice(0, 3);
  return against.length
    ? `${name(b.name)} (pulled down by ${against.map((c) => `${name(c.name)}, cos ${formatNumber(c.cosine, 2)}`).join('; ')})`
    : name(b.name);
}

/**
 * The misalignment claim in one sentence: with two checkpoints (--aligned-model), whether the
 * aligned one is misaligned faster; with one model, what its head-only runs show and that they
 * cannot test the claim.
 */
function misalignmentLine(report: Report): string | null {
  const two = report.twoModel ?? [];
  if (two.length) {
    const faster = two.filter(
      (t) =>
        t.aligned.run.stepsToBelowHalf !== null &&
        (t.base.run.stepsToBelowHalf === null ||
          t.aligned.run.stepsToBelowHalf < t.base.run.stepsToBelowHalf),
    ).length;
    const separated = two.filter(
      (t) => t.aligned.distinguishability > t.base.distinguishability,
    ).length;
    return `Misalignment, base vs aligned checkpoint: the aligned checkpoint is misaligned faster (flipped labels, accuracy on the original labels below 50% sooner) in ${faster} of ${two.length} behaviors, and separates the labels more in ${separated} of ${two.length} (the paper: aligned models are easier to misalign).`;
  }
  const aligned = report.simulation.misalignment.filter((r) => r.start === 'aligned');
  if (!aligned.length) return null;
  const steps = aligned.map((r) => r.stepsToBelowHalf).filter((x): x is number => x !== null);
  return `Misalignment (flipped labels, head only): from the aligned head, accuracy on the original labels falls below 50% in ${steps.length} of ${aligned.length} behaviors${steps.length ? ` (median ${Math.round(median(steps))} steps)` : ''}; comparing checkpoints, the paper's claim, needs --aligned-model.`;
}

/** The verdict's sentences; `ranked` is the behaviors by distinguishability, highest first. */
export function verdictLines(
  report: Report,
  ranked: readonly Behavior[],
  name: (n: string) => string = (n) => n,
): string[] {
  const n = ranked.length;
  const lines: string[] = [];
  if (n === 0) return lines;
  const deprioritized = ranked.filter(hasDeprioritizedWarning);
  const rb = report.rebalancing;
  if (n === 1) {
    lines.push(
      `One behavior: no learning order or priority to predict (those compare behaviors in a mixture).`,
    );
  } else {
    const runs = overlappingRuns(ranked.map((b) => b.distinguishabilityCI));
    const tied = runs.reduce((a, [i, j]) => a + j - i + 1, 0);
    lines.push(
      `Predicted learning order (most distinguishable first): ${
        n <= 5
          ? ranked.map((b) => name(b.name)).join(', ')
          : `${ranked
              .slice(0, 3)
              .map((b) => name(b.name))
              .join(', ')}, …, last ${name(ranked[n - 1].name)}`
      }.` +
        (tied
          ? ` ${tied} of ${n} behaviors have overlapping 95% intervals with a neighbour: their relative order is uncertain (brackets).`
          : ' Every neighbouring pair is separated by its 95% interval.'),
    );
    lines.push(
      deprioritized.length
        ? `Deprioritized by DPO on this mixture: ${deprioritized.map((b) => pulledBy(b, name)).join('; ')}.`
        : 'No behavior is deprioritized.',
    );
  }
  const misalignment = misalignmentLine(report);
  if (misalignment) lines.push(misalignment);
  if (rb) {
    const changed = Object.entries(rb.weights).filter(([, w]) => w !== 1);
    if (changed.length) {
      const jb = last(rb.jointBefore.curve.testLoss);
      const ja = last(rb.jointAfter.curve.testLoss);
      lines.push(
        `Rebalancing: ${changed
          .map(
            ([b, w]) =>
              `${name(b)} ×${formatNumber(w, 2)} (level ${formatNumber(rb.levelsBefore[b])} → ${formatNumber(rb.levelsAfter[b])})`,
          )
          .join('; ')}; joint test loss ${formatNumber(jb)} → ${formatNumber(ja)}.`,
      );
    }
  }
  return lines;
}
