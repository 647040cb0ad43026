import { canvasIn, chartBox, lineConfig, type LineSeries } from '../charts.js';
import { h, last, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import type { Ctx, MisalignmentRun, Section } from '../types.js';
import { behaviorSelect } from './curves.js';
import { MISALIGNMENT_NOTE, stepsToBelowHalfText } from '../../src/shared/report-notes.js';

const steps = stepsToBelowHalfText;

const finalAccuracy = (r: MisalignmentRun | undefined): string =>
  formatNumber(last(r?.originalAccuracy ?? []));

/** Base vs aligned start side by side, one row per behavior (and model). */
function runsTable(runs: MisalignmentRun[], multiModel: boolean): HTMLTableElement {
  const keys = [...new Set(runs.map((r) => `${r.behavior}\u0000${r.model}`))];
  return h(
    'table',
    { id: 'misalignment-table', class: 'data compact' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { text: 'Behavior' }),
        h('th', { class: 'num', text: 'Steps to < 50%, base', title: 'from the base head' }),
        h('th', { class: 'num', text: 'aligned', title: 'from the head after aligned DPO' }),
        h('th', { class: 'num', text: 'Final acc., base', title: 'on the original labels' }),
        h('th', { class: 'num', text: 'aligned', title: 'on the original labels' }),
      ),
    ),
    h(
      'tbody',
      {},
      ...keys.map((key) => {
        const [behavior, model] = key.split('\u0000');
        const of = (start: 'base' | 'aligned'): MisalignmentRun | undefined =>
          runs.find((r) => r.behavior === behavior && r.model === model && r.start === start);
        return h(
          'tr',
          { data: { behavior } },
          h('td', { text: multiModel ? `${behavior} (${model})` : behavior }),
          h('td', { class: 'num', text: steps(of('base')) }),
          h('td', { class: 'num', text: steps(of('aligned')) }),
          h('td', { class: 'num', text: finalAccuracy(of('base')) }),
          h('td', { class: 'num', text: finalAccuracy(of('aligned')) }),
        );
      }),
    ),
  );
}

/** Two checkpoints of one model: how the statistics moved and how fast each is misaligned. */
function twoModelTable(ctx: Ctx): HTMLElement | null {
  const rows = ctx.report.twoModel ?? [];
  if (!rows.length) return null;
  return h(
    'div',
    {},
    h('h3', { text: 'Base vs aligned checkpoint' }),
    h(
      'div',
      { class: 'table-scroll short' },
      h(
        'table',
        { id: 'two-model-table', class: 'data compact' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { text: 'Behavior' }),
            h('th', { class: 'num', text: 'Distinguishability base → aligned' }),
            h('th', { class: 'num', text: 'Concentration base → aligned' }),
            h('th', { class: 'num', text: 'Trace base → aligned' }),
            h('th', { class: 'num', text: 'Steps to < 50% base / aligned' }),
          ),
        ),
        h(
          'tbody',
          {},
          ...rows.map((r) =>
            h(
              'tr',
              { data: { behavior: r.behavior } },
              h('td', { text: r.behavior }),
              h('td', {
                class: 'num',
                text: `${formatNumber(r.base.distinguishability)} → ${formatNumber(r.aligned.distinguishability)}`,
              }),
              h('td', {
                class: 'num',
                text: `${formatNumber(r.base.concentration)} → ${formatNumber(r.aligned.concentration)}`,
              }),
              h('td', {
                class: 'num',
                text: `${formatNumber(r.base.trace)} → ${formatNumber(r.aligned.trace)}`,
              }),
              h('td', { class: 'num', text: `${steps(r.base.run)} / ${steps(r.aligned.run)}` }),
            ),
          ),
        ),
      ),
    ),
  );
}

export function misalignmentSection(ctx: Ctx): Section {
  const runs = ctx.report.simulation.misalignment;
  const el = section('misalignment', 'Misalignment (flipped labels)', MISALIGNMENT_NOTE);
  if (!runs.length) {
    el.append(h('p', { text: 'No misalignment runs in this report.' }));
    return { el, draw: () => undefined };
  }
  const names = [...new Set(runs.map((r) => r.behavior))];
  const multiModel = new Set(runs.map((r) => r.model)).size > 1;
  let current = names.includes(ctx.ui.curveBehavior ?? '')
    ? (ctx.ui.curveBehavior as string)
    : names[0];
  const box = chartBox('chart-misalignment', 280, 'Test accuracy under misalignment training');
  const select = behaviorSelect('misalignment-behavior', names, current, (n) => {
    current = n;
    draw();
  });
  el.append(
    h(
      'div',
      { class: 'grid-2' },
      h(
        'div',
        {},
        h(
          'div',
          { class: 'toolbar' },
          h('label', { text: 'Behavior ', attrs: { for: 'misalignment-behavior' } }),
          select,
        ),
        box,
      ),
      h(
        'div',
        {},
        h('h3', { text: 'Steps until accuracy on the original labels falls below 50%' }),
        h('div', { class: 'table-scroll short' }, runsTable(runs, multiModel)),
      ),
    ),
  );
  const two = twoModelTable(ctx);
  if (two) el.append(two);
  function draw(): void {
    const t = ctx.theme;
    const series: LineSeries[] = runs
      .filter((r) => r.behavior === current)
      .map((r, i) => ({
        label: `${r.start} start${multiModel ? ` (${r.model})` : ''}`,
        x: r.curve.step,
        y: r.originalAccuracy ?? r.curve.testAccuracy,
        // The behavior's own color; the start by line style (base dashed, aligned solid), and a
        // second model by the series palette.
        color: multiModel ? t.series[i % t.series.length] : ctx.palette.color(r.behavior),
        dashed: r.start === 'base',
      }));
    const xs = series[0]?.x ?? [];
    if (xs.length) {
      series.push({
        label: '50%',
        x: [xs[0], xs[xs.length - 1]],
        y: [0.5, 0.5],
        color: t.muted,
        dashed: true,
        width: 1,
      });
    }
    ctx.charts.draw(
      canvasIn(box),
      lineConfig(t, series, {
        xTitle: 'step (SGD updates of the head)',
        yTitle: runs.some((r) => r.originalAccuracy)
          ? 'test accuracy, original labels'
          : 'test accuracy, flipped objective',
        yMin: 0,
        yMax: 1,
      }),
    );
  }
  return {
    el,
    draw,
    onSelect: (name) => {
      if (names.includes(name)) {
        current = name;
        select.value = name;
        draw();
      }
    },
  };
}
