/**
 * The header's verdict, for a reader who opens nothing else: the predicted learning order (by
 * distinguishability, with its 95% bootstrap interval; behaviors whose intervals overlap are
 * bracketed as "order uncertain"), the deprioritized behaviors, and what rebalancing changes.
 */
import { h, last, s } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { isDeprioritized, median } from '../../src/shared/report-facts.js';
import type { Ctx } from '../types.js';

const ROW = 20;
const LABEL_W = 260;
const PLOT_W = 420;

const clip = (name: string, n: number): string =>
  name.length > n ? `${name.slice(0, n - 1)}…` : name;

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

/** A deprioritized behavior with the behaviors that pull against its level (largest first). */
function pulledBy(b: Ctx['ranked'][number]): string {
  const against = [...(b.conflicts ?? [])]
    .sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution))
    .slice(0, 3);
  return against.length
    ? `${b.name} (pulled down by ${against.map((c) => `${c.name}, cos ${formatNumber(c.cosine, 2)}`).join('; ')})`
    : b.name;
}

/**
 * The misalignment claim in one sentence: with two checkpoints (--aligned-model), whether the
 * aligned one is misaligned faster; with one model, what its head-only runs show and that they
 * cannot test the claim.
 */
function misalignmentLine(ctx: Ctx): string | null {
  const two = ctx.report.twoModel ?? [];
  const reached = (steps: (number | null)[]): number[] =>
    steps.filter((x): x is number => x !== null);
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
  const aligned = ctx.report.simulation.misalignment.filter((r) => r.start === 'aligned');
  if (!aligned.length) return null;
  const steps = reached(aligned.map((r) => r.stepsToBelowHalf));
  return `Misalignment (flipped labels, head only): from the aligned head, accuracy on the original labels falls below 50% in ${steps.length} of ${aligned.length} behaviors${steps.length ? ` (median ${Math.round(median(steps))} steps)` : ''}; comparing checkpoints, the paper's claim, needs --aligned-model.`;
}

export function verdictFigure(ctx: Ctx): HTMLElement {
  const ranked = ctx.ranked;
  const n = ranked.length;
  const box = h('div', { class: 'verdict', id: 'verdict' });
  if (n === 0) return box;
  const deprioritized = ranked.filter(isDeprioritized);
  const rb = ctx.report.rebalancing;
  const lines: string[] = [];
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
          ? ranked.map((b) => b.name).join(', ')
          : `${ranked
              .slice(0, 3)
              .map((b) => b.name)
              .join(', ')}, …, last ${ranked[n - 1].name}`
      }.` +
        (tied
          ? ` ${tied} of ${n} behaviors have overlapping 95% intervals with a neighbour: their relative order is uncertain (brackets).`
          : ' Every neighbouring pair is separated by its 95% interval.'),
    );
    lines.push(
      deprioritized.length
        ? `Deprioritized by DPO on this mixture: ${deprioritized.map(pulledBy).join('; ')}.`
        : 'No behavior is deprioritized.',
    );
  }
  const misalignment = misalignmentLine(ctx);
  if (misalignment) lines.push(misalignment);
  if (rb) {
    const changed = Object.entries(rb.weights).filter(([, w]) => w !== 1);
    if (changed.length) {
      const jb = last(rb.jointBefore.curve.testLoss);
      const ja = last(rb.jointAfter.curve.testLoss);
      lines.push(
        `Rebalancing: ${changed
          .map(
            ([name, w]) =>
              `${name} ×${formatNumber(w, 2)} (level ${formatNumber(rb.levelsBefore[name])} → ${formatNumber(rb.levelsAfter[name])})`,
          )
          .join('; ')}; joint test loss ${formatNumber(jb)} → ${formatNumber(ja)}.`,
      );
    }
  }
  box.append(
    h('h3', { text: 'Verdict' }),
    ...lines.map((t) => h('p', { class: 'verdict-line', text: t })),
  );
  if (n < 2) return box;

  // The order as a dot plot: distinguishability with its interval, one row per behavior.
  const shown = ranked.slice(0, 40);
  const max = Math.max(...shown.map((b) => b.distinguishabilityCI[1])) || 1;
  const height = shown.length * ROW + 50;
  const x = (v: number): number => LABEL_W + (v / max) * PLOT_W;
  const svg = s('svg', {
    id: 'verdict-order',
    viewBox: `0 0 ${LABEL_W + PLOT_W + 40} ${height}`,
    width: LABEL_W + PLOT_W + 40,
    height,
    role: 'img',
    'aria-label': 'Predicted learning order with 95% bootstrap intervals',
  });
  const t = ctx.theme;
  shown.forEach((b, i) => {
    const y = 10 + i * ROW + ROW / 2;
    const color = ctx.palette.color(b.name);
    const flagged = isDeprioritized(b);
    svg.append(
      s(
        'text',
        {
          x: LABEL_W - 8,
          y: y + 4,
          'text-anchor': 'end',
          class: 'axis-label',
          fill: flagged ? t.danger : t.fg,
        },
        `${i + 1}. ${clip(b.name, 34)}${flagged ? ' ▼' : ''}`,
      ),
      s('line', {
        x1: x(b.distinguishabilityCI[0]),
        x2: x(b.distinguishabilityCI[1]),
        y1: y,
        y2: y,
        stroke: color,
        'stroke-width': 2,
      }),
      s('circle', {
        cx: x(b.distinguishability),
        cy: y,
        r: 5,
        fill: color,
        class: 'verdict-dot',
        'data-behavior': b.name,
      }),
    );
  });
  for (const [i, j] of overlappingRuns(shown.map((b) => b.distinguishabilityCI))) {
    const y1 = 10 + i * ROW + 4;
    const y2 = 10 + (j + 1) * ROW - 4;
    const bx = LABEL_W + PLOT_W + 16;
    svg.append(
      s('path', {
        d: `M ${bx - 6} ${y1} H ${bx} V ${y2} H ${bx - 6}`,
        fill: 'none',
        stroke: t.muted,
        'stroke-width': 1.5,
        class: 'tie',
      }),
    );
  }
  const axisY = 10 + shown.length * ROW + 4;
  svg.append(
    s('line', { x1: LABEL_W, x2: LABEL_W + PLOT_W, y1: axisY, y2: axisY, stroke: t.border }),
    s('text', { x: LABEL_W, y: axisY + 14, class: 'axis-label' }, '0'),
    s(
      'text',
      { x: LABEL_W + PLOT_W, y: axisY + 14, 'text-anchor': 'end', class: 'axis-label' },
      formatNumber(max),
    ),
    s(
      'text',
      { x: LABEL_W + PLOT_W / 2, y: axisY + 30, 'text-anchor': 'middle', class: 'axis-label' },
      'distinguishability ‖μ+ − μ−‖ (embedding units); line: 95% interval; ▼ deprioritized',
    ),
  );
  box.append(svg);
  if (ranked.length > shown.length)
    box.append(
      h('p', {
        class: 'meta',
        text: `The first ${shown.length} of ${n} behaviors; the ranking table lists all.`,
      }),
    );
  return box;
}
