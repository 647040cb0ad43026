import type { ChartConfiguration } from 'chart.js';
import {
  baseOptions,
  canvasIn,
  chartBox,
  clippedTicks,
  lineConfig,
  type LineSeries,
} from '../charts.js';
import { h, last, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import type { Ctx, Section } from '../types.js';

export function rebalancingSection(ctx: Ctx): Section {
  const rb = ctx.report.rebalancing;
  const el = section(
    'rebalancing',
    'Rebalancing suggestion',
    'Upsampling factors chosen by simulating the joint run: the worst behavior gains and no behavior loses more than the tolerance. The joint run before and after applying them.',
  );
  if (!rb) {
    el.append(
      h('p', {
        text: 'No rebalancing suggestion in this report (none was requested or none was needed).',
      }),
    );
    return { el, draw: () => undefined };
  }
  if (rb.note) el.append(h('p', { id: 'rebalance-note', text: rb.note }));
  if (rb.suggested === false) return { el, draw: () => undefined };
  const per = rb.perBehavior;
  const names = Object.keys(rb.weights).sort(
    (a, b) => (rb.levelsBefore[a] ?? 0) - (rb.levelsBefore[b] ?? 0),
  );
  const table = h(
    'table',
    { id: 'rebalance-table', class: 'data compact' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { text: 'Behavior' }),
        h('th', { class: 'num', text: 'Weight' }),
        h('th', { class: 'num', text: 'Level before' }),
        h('th', { class: 'num', text: 'Level after' }),
        ...(per
          ? [
              h('th', { class: 'num', text: 'Accuracy before' }),
              h('th', { class: 'num', text: 'Accuracy after' }),
            ]
          : []),
      ),
    ),
    h(
      'tbody',
      {},
      ...names.map((n) =>
        h(
          'tr',
          { data: { behavior: n }, class: rb.weights[n] !== 1 ? 'changed' : undefined },
          h('td', { text: n }),
          h('td', { class: 'num', text: `×${formatNumber(rb.weights[n], 2)}` }),
          h('td', { class: 'num', text: formatNumber(rb.levelsBefore[n]) }),
          h('td', { class: 'num', text: formatNumber(rb.levelsAfter[n]) }),
          ...(per
            ? [
                h('td', { class: 'num', text: per[n] ? formatNumber(per[n].accuracyBefore) : '' }),
                h('td', { class: 'num', text: per[n] ? formatNumber(per[n].accuracyAfter) : '' }),
              ]
            : []),
        ),
      ),
    ),
  );
  const levelsBox = chartBox(
    'chart-rebalance-levels',
    Math.max(180, 26 * names.length + 70),
    'Priority levels before and after',
  );
  const jointBox = chartBox('chart-rebalance-joint', 280, 'Joint run before and after rebalancing');
  const worst = names[0];
  el.append(
    h(
      'div',
      { class: 'grid-2' },
      h('div', { class: 'table-scroll short' }, table),
      h('div', {}, h('h3', { text: 'Priority levels' }), levelsBox),
    ),
    h('h3', {
      text: `Joint run before (dashed) and after (solid)${worst ? `, with ${worst}` : ''}`,
    }),
    jointBox,
    h('p', {
      class: 'meta',
      text: `Joint test loss ${formatNumber(last(rb.jointBefore.curve.testLoss))} → ${formatNumber(last(rb.jointAfter.curve.testLoss))}; joint test accuracy ${formatNumber(last(rb.jointBefore.curve.testAccuracy))} → ${formatNumber(last(rb.jointAfter.curve.testAccuracy))}.`,
    }),
  );
  const draw = (): void => {
    const t = ctx.theme;
    const base = baseOptions(t);
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          // The behavior's color: lighter before, full after (one hue per behavior everywhere).
          {
            label: 'before (lighter)',
            data: names.map((n) => rb.levelsBefore[n]),
            backgroundColor: names.map((n) => ctx.palette.negative(n)),
          },
          {
            label: 'after',
            data: names.map((n) => rb.levelsAfter[n]),
            backgroundColor: names.map((n) => ctx.palette.color(n)),
          },
        ],
      },
      options: {
        ...base,
        indexAxis: 'y',
        scales: {
          x: {
            title: { display: true, text: 'priority level (eq. 5, unitless)', color: t.muted },
            ticks: { color: t.muted },
            grid: { color: t.grid },
            border: { color: t.border },
          },
          y: {
            ticks: clippedTicks(t.fg),
            grid: { display: false },
          },
        },
      },
    };
    ctx.charts.draw(canvasIn(levelsBox), config as ChartConfiguration);
    const series: LineSeries[] = [
      {
        label: 'joint, before',
        x: rb.jointBefore.curve.step,
        y: rb.jointBefore.curve.testLoss,
        color: t.fg,
        dashed: true,
      },
      {
        label: 'joint, after',
        x: rb.jointAfter.curve.step,
        y: rb.jointAfter.curve.testLoss,
        color: t.fg,
      },
    ];
    const before = worst ? rb.jointBefore.perBehavior[worst] : undefined;
    const after = worst ? rb.jointAfter.perBehavior[worst] : undefined;
    if (before && after) {
      series.push(
        {
          label: `${worst}, before`,
          x: before.step,
          y: before.testLoss,
          color: ctx.palette.color(worst),
          dashed: true,
        },
        {
          label: `${worst}, after`,
          x: after.step,
          y: after.testLoss,
          color: ctx.palette.color(worst),
        },
      );
    }
    ctx.charts.draw(
      canvasIn(jointBox),
      lineConfig(t, series, {
        xTitle: 'step (SGD updates of the head)',
        yTitle: 'test loss (nats)',
      }),
    );
  };
  return { el, draw };
}
