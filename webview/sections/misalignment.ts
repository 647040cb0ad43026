import { canvasIn, chartBox, lineConfig, type LineSeries } from '../charts.js';
import { fmt, h, last, section } from '../dom.js';
import type { Ctx, Section } from '../types.js';
import { behaviorSelect } from './curves.js';

export function misalignmentSection(ctx: Ctx): Section {
  const runs = ctx.report.simulation.misalignment;
  const el = section(
    'misalignment',
    'Misalignment (flipped labels)',
    'DPO with chosen and rejected swapped, from the base head and from the aligned head. The paper finds the aligned start is undone faster.',
  );
  if (!runs.length) {
    el.append(h('p', { text: 'No misalignment runs in this report.' }));
    return { el, draw: () => undefined };
  }
  const names = [...new Set(runs.map((r) => r.behavior))];
  let current = names.includes(ctx.ui.curveBehavior ?? '')
    ? (ctx.ui.curveBehavior as string)
    : names[0];
  const box = chartBox('chart-misalignment', 260, 'Test accuracy under misalignment training');
  const select = behaviorSelect('misalignment-behavior', names, current, (n) => {
    current = n;
    draw();
  });
  const table = h(
    'table',
    { id: 'misalignment-table', class: 'data compact' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { text: 'Behavior' }),
        h('th', { text: 'Model' }),
        h('th', { text: 'Start' }),
        h('th', { class: 'num', text: 'Steps to < 50%' }),
        h('th', { class: 'num', text: 'Final accuracy (original labels)' }),
      ),
    ),
    h(
      'tbody',
      {},
      ...runs.map((r) =>
        h(
          'tr',
          { data: { behavior: r.behavior, start: r.start } },
          h('td', { text: r.behavior }),
          h('td', { text: r.model }),
          h('td', { text: r.start }),
          h('td', {
            class: 'num',
            text: r.stepsToBelowHalf === null ? 'never' : String(r.stepsToBelowHalf),
          }),
          h('td', {
            class: 'num',
            text: r.originalAccuracy ? fmt(last(r.originalAccuracy)) : '–',
          }),
        ),
      ),
    ),
  );
  el.append(
    h(
      'div',
      { class: 'toolbar' },
      h('label', { text: 'Behavior ', attrs: { for: 'misalignment-behavior' } }),
      select,
    ),
    h('div', { class: 'grid-2' }, box, h('div', { class: 'table-scroll short' }, table)),
  );
  function draw(): void {
    const t = ctx.theme;
    const series: LineSeries[] = runs
      .filter((r) => r.behavior === current)
      .map((r, i) => ({
        label: `${r.start} start${names.length && runs.some((x) => x.model !== r.model) ? ` (${r.model})` : ''}`,
        x: r.curve.step,
        y: r.originalAccuracy ?? r.curve.testAccuracy,
        color: r.start === 'aligned' ? t.danger : t.series[i % t.series.length],
        dashed: r.start === 'base',
      }));
    const steps = series[0]?.x ?? [];
    if (steps.length) {
      series.push({
        label: '50%',
        x: [steps[0], steps[steps.length - 1]],
        y: [0.5, 0.5],
        color: t.muted,
        dashed: true,
        width: 1,
      });
    }
    ctx.charts.draw(
      canvasIn(box),
      lineConfig(t, series, {
        xTitle: 'step',
        yTitle: runs.some((r) => r.originalAccuracy)
          ? 'test accuracy on the original labels'
          : 'test accuracy (flipped objective)',
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
