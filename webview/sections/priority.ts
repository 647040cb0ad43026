import type { ChartConfiguration } from 'chart.js';
import { baseOptions, canvasIn, chartBox, clippedTicks, thresholdPlugin } from '../charts.js';
import { h, s, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { hasDeprioritizedWarning, median, priorityOrder } from '../../src/shared/report-facts.js';
import { diverging } from '../theme.js';
import type { Ctx, Section } from '../types.js';

function levelsChart(ctx: Ctx, canvas: HTMLCanvasElement): void {
  const { names, levels } = ctx.report.priority;
  const order = priorityOrder(ctx.report.priority);
  const flagged = new Set(ctx.report.behaviors.filter(hasDeprioritizedWarning).map((b) => b.name));
  const threshold = ctx.report.thresholds.priorityLevel * median(levels);
  // Indistinguishable behaviors (and a lone behavior) have a level that means nothing: grey.
  const meaningless = new Set(
    ctx.report.behaviors.filter((b) => b.priorityMeaningful === false).map((b) => b.name),
  );
  const t = ctx.theme;
  const base = baseOptions(t);
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: order.map((i) => names[i]),
      datasets: [
        {
          label: 'priority level',
          data: order.map((i) => levels[i]),
          // The behavior's own color (grey when its level is not meaningful); a deprioritized one
          // gets a red outline (and the threshold line).
          backgroundColor: order.map((i) =>
            meaningless.has(names[i]) ? t.muted : ctx.palette.color(names[i]),
          ),
          borderColor: order.map((i) => (flagged.has(names[i]) ? t.danger : 'transparent')),
          borderWidth: order.map((i) => (flagged.has(names[i]) ? 3 : 0)),
          borderRadius: 2,
          barPercentage: 0.8,
        },
      ],
    },
    options: {
      ...base,
      indexAxis: 'y',
      layout: { padding: { top: 16 } },
      plugins: {
        ...base.plugins,
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) =>
              meaningless.has(names[order[item.dataIndex]])
                ? `priority level ${formatNumber(item.parsed.x)} (not meaningful)`
                : `priority level ${formatNumber(item.parsed.x)}`,
          },
        },
      },
      scales: {
        x: {
          title: {
            display: true,
            text: Number.isFinite(threshold)
              ? `priority level (eq. 5, unitless; red outline: deprioritized, below ${formatNumber(threshold)} = ${formatNumber(ctx.report.thresholds.priorityLevel, 2)} × median${ctx.report.thresholds.priorityLevelAbsolute === undefined ? '' : ` or below ${formatNumber(ctx.report.thresholds.priorityLevelAbsolute, 2)}`}; grey: not meaningful)`
              : 'priority level (eq. 5, unitless)',
            color: t.muted,
          },
          ticks: { color: t.muted },
          grid: { color: t.grid },
          border: { color: t.border },
        },
        y: {
          ticks: clippedTicks(t.fg),
          grid: { display: false },
          border: { color: t.border },
        },
      },
    },
    plugins: [
      thresholdPlugin([
        {
          value: threshold,
          label: `threshold ${formatNumber(threshold)}`,
          color: t.danger,
          axis: 'x',
        },
        { value: 0, label: '', color: t.muted, axis: 'x' },
      ]),
    ],
  };
  ctx.charts.draw(canvas, config as ChartConfiguration);
}

const clip = (name: string, n: number): string =>
  name.length > n ? `${name.slice(0, n - 1)}…` : name;

/** names × names gap matrix as an SVG of <rect>s (presentation attributes only: CSP-safe). */
function heatmap(ctx: Ctx): SVGSVGElement {
  // Rows and columns by level, highest first (as in the Markdown report): the upper triangle
  // reads "prioritized over".
  const p = ctx.report.priority;
  const order = priorityOrder(p);
  const names = order.map((i) => p.names[i]);
  const gaps = order.map((i) => order.map((j) => p.gaps[i][j]));
  const n = names.length;
  const cell = n > 16 ? 18 : n > 8 ? 26 : 40;
  const labelW = 230;
  const top = 26;
  // The legend has its own fixed width: its end labels never meet, however few the behaviors.
  const legendW = 220;
  const width = Math.max(labelW + n * cell + 8, labelW + legendW + 60);
  const height = top + n * cell + 62;
  const maxAbs = Math.max(1e-12, ...gaps.flat().map((g) => Math.abs(g)));
  const t = ctx.theme;
  const svg = s('svg', {
    id: 'gap-heatmap',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': 'Pairwise priority gap heatmap',
  });
  for (let j = 0; j < n; j++) {
    svg.append(
      s(
        'text',
        {
          x: labelW + j * cell + cell / 2,
          y: top - 8,
          'text-anchor': 'middle',
          class: 'axis-label',
        },
        String(j + 1),
      ),
    );
  }
  for (let i = 0; i < n; i++) {
    const y = top + i * cell;
    svg.append(
      s(
        'text',
        { x: labelW - 6, y: y + cell / 2 + 4, 'text-anchor': 'end', class: 'axis-label' },
        `${clip(names[i], 30)}  ${i + 1}`,
      ),
    );
    for (let j = 0; j < n; j++) {
      const g = gaps[i][j];
      svg.append(
        s(
          'rect',
          {
            x: labelW + j * cell,
            y,
            width: cell - 1,
            height: cell - 1,
            fill: diverging(t, g / maxAbs),
            'data-row': names[i],
            'data-col': names[j],
            'data-gap': g,
            class: 'cell',
          },
          s('title', {}, `gap(${names[i]}, ${names[j]}) = ${formatNumber(g)}`),
        ),
      );
      if (cell >= 40) {
        svg.append(
          s(
            'text',
            {
              x: labelW + j * cell + cell / 2,
              y: y + cell / 2 + 4,
              'text-anchor': 'middle',
              class: Math.abs(g / maxAbs) > 0.55 ? 'cell-label strong' : 'cell-label',
            },
            formatNumber(g, 2),
          ),
        );
      }
    }
  }
  // Color legend: -max … 0 … +max.
  const ly = top + n * cell + 14;
  const steps = 40;
  const lw = legendW;
  for (let k = 0; k < steps; k++) {
    svg.append(
      s('rect', {
        x: labelW + (k * lw) / steps,
        y: ly,
        width: lw / steps + 0.5,
        height: 10,
        fill: diverging(t, -1 + (2 * k) / (steps - 1)),
      }),
    );
  }
  svg.append(s('text', { x: labelW, y: ly + 24, class: 'axis-label' }, formatNumber(-maxAbs, 2)));
  svg.append(
    s(
      'text',
      { x: labelW + lw, y: ly + 24, 'text-anchor': 'end', class: 'axis-label' },
      `+${formatNumber(maxAbs, 2)}`,
    ),
  );
  svg.append(
    s(
      'text',
      { x: labelW + lw / 2, y: ly + 24, 'text-anchor': 'middle', class: 'axis-label' },
      '0',
    ),
  );
  svg.append(
    s(
      'text',
      { x: labelW - 6, y: ly + 9, 'text-anchor': 'end', class: 'axis-label' },
      'gap (priority-level units)',
    ),
  );
  svg.append(
    s(
      'text',
      { x: labelW + lw / 2, y: ly + 40, 'text-anchor': 'middle', class: 'axis-label' },
      '← column first · row first →',
    ),
  );
  return svg;
}

export function prioritySection(ctx: Ctx): Section {
  const el = section(
    'priority',
    'Priority levels',
    'How much the first DPO step on the whole mixture helps each behavior (Im & Li, eq. 5). Low levels are learned last; the heatmap shows the pairwise gap (row minus column).',
  );
  const n = ctx.report.priority.names.length;
  if (n < 2) {
    // Priority compares behaviors in one mixture: with one there is nothing to compare.
    el.append(
      h('p', {
        id: 'priority-not-meaningful',
        class: 'not-meaningful',
        text: `Not meaningful with ${n === 1 ? 'one behavior' : 'no behaviors'}: priority levels and gaps compare behaviors trained together. Analyze a mixture of several behaviors.`,
      }),
    );
    return { el, draw: () => undefined };
  }
  const box = chartBox('chart-priority', Math.max(180, 22 * n + 60), 'Priority level per behavior');
  el.append(
    h(
      'div',
      { class: 'grid-2' },
      h('div', {}, h('h3', { text: 'Levels in the mixture' }), box),
      h(
        'div',
        { class: 'heatmap-wrap' },
        h('h3', { text: 'Pairwise gap' }),
        n ? heatmap(ctx) : h('p', { text: 'No behaviors.' }),
      ),
    ),
  );
  return { el, draw: () => levelsChart(ctx, canvasIn(box)) };
}
