/**
 * The header's verdict, for a reader who opens nothing else: the predicted learning order (by
 * distinguishability, with its 95% bootstrap interval; behaviors whose intervals overlap are
 * bracketed as "order uncertain"), the deprioritized behaviors and what pulls against them, the
 * misalignment comparison and what rebalancing changes (the sentences: src/shared/verdict-text.ts,
 * shared with the Markdown report), and the order as a dot plot.
 */
import { h, s } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { hasDeprioritizedWarning } from '../../src/shared/report-facts.js';
import { overlappingRuns, verdictLines } from '../../src/shared/verdict-text.js';
import type { Ctx } from '../types.js';

export { overlappingRuns };

const ROW = 20;
const LABEL_W = 260;
const PLOT_W = 420;

const clip = (name: string, n: number): string =>
  name.length > n ? `${name.slice(0, n - 1)}…` : name;

export function verdictFigure(ctx: Ctx): HTMLElement {
  const ranked = ctx.ranked;
  const n = ranked.length;
  const box = h('div', { class: 'verdict', id: 'verdict' });
  if (n === 0) return box;
  const lines = verdictLines(ctx.report, ranked);
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
    const flagged = hasDeprioritizedWarning(b);
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
