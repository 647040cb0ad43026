import { canvasIn, chartBox, lineConfig, type LineSeries } from '../charts.js';
import { h, last, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { boundNote, lossNote } from '../../src/shared/report-notes.js';
import type { Ctx, Curve, Section } from '../types.js';

export function behaviorSelect(
  id: string,
  names: string[],
  selected: string | undefined,
  onChange: (name: string) => void,
): HTMLSelectElement {
  const select = h('select', { id, attrs: { 'aria-label': 'Behavior' } });
  for (const name of names) {
    const option = h('option', { text: name });
    option.value = name;
    select.append(option);
  }
  if (selected !== undefined && names.includes(selected)) select.value = selected;
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

export function lossSeries(ctx: Ctx, c: Curve, prefix = ''): LineSeries[] {
  const t = ctx.theme;
  return [
    { label: `${prefix}train loss`, x: c.step, y: c.trainLoss, color: t.series[0], width: 1.5 },
    { label: `${prefix}test loss`, x: c.step, y: c.testLoss, color: t.series[1] },
    {
      label: `${prefix}test accuracy`,
      x: c.step,
      y: c.testAccuracy,
      color: t.series[2],
      axis: 'y2',
    },
  ];
}

export function curvesSection(ctx: Ctx): Section {
  const sim = ctx.report.simulation;
  // A non-default DPO loss: which one, and what it does to the first step (docs/science.md).
  const lossLine = lossNote(sim);
  const o = sim.options;
  const el = section(
    'curves',
    'Simulated DPO on the output head',
    `Head-only DPO (β = ${o.beta}, learning rate ${o.lr.toExponential(0)}, ${o.steps} steps, batch ${o.batchSize}, ${Math.round(o.testFraction * 100)}% test, seed ${o.seed}, ${o.preset} preset), one behavior at a time.`,
  );
  const names = ctx.ranked.map((b) => b.name).filter((n) => sim.perBehavior[n]);
  if (!names.length) {
    el.append(h('p', { text: 'No simulation in this report.' }));
    return { el, draw: () => undefined };
  }
  const allBox = chartBox('chart-loss-all', 300, 'Test loss of every behavior');
  const selBox = chartBox('chart-loss-selected', 260, 'Loss and accuracy of the selected behavior');
  const boundBox = chartBox('chart-head-bound', 260, 'Head change and the Theorem 4.1 bound');
  const summary = h('p', { id: 'curve-summary', class: 'meta' });
  const select = behaviorSelect('curve-behavior', names, ctx.ui.curveBehavior, (n) =>
    ctx.select(n),
  );

  el.append(
    h('h3', { text: 'Test loss of every behavior' }),
    h('p', {
      class: 'meta',
      text: 'One color per behavior (the same in every chart and on the map). Loss should fall faster for the more distinguishable behaviors.',
    }),
    allBox,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { text: 'Behavior ', attrs: { for: 'curve-behavior' } }),
      select,
      summary,
    ),
    h(
      'div',
      { class: 'grid-2' },
      h('div', {}, h('h3', { text: 'Loss and accuracy' }), selBox),
      h(
        'div',
        {},
        h('h3', { text: `Head change vs the Theorem 4.1 bound (${boundStatus(ctx)})` }),
        boundBox,
        h('p', {
          id: 'bound-status',
          class: 'meta',
          text: boundNote(ctx.report.simulation.boundCheck),
        }),
        ...(lossLine ? [h('p', { id: 'loss-note', class: 'meta', text: lossLine })] : []),
      ),
    ),
  );

  const drawAll = (): void => {
    const series = names.map((n) => ({
      label: n,
      x: sim.perBehavior[n].step,
      y: sim.perBehavior[n].testLoss,
      color: ctx.palette.color(n),
      width: 1.5,
    }));
    ctx.charts.draw(
      canvasIn(allBox),
      lineConfig(ctx.theme, series, {
        xTitle: 'step (SGD updates of the head)',
        yTitle: 'test loss (nats)',
        legend: names.length <= 8,
      }),
    );
  };
  const drawSelected = (): void => {
    const name = names.includes(ctx.ui.curveBehavior ?? '')
      ? (ctx.ui.curveBehavior as string)
      : names[0];
    select.value = name;
    const c = sim.perBehavior[name];
    ctx.charts.draw(
      canvasIn(selBox),
      lineConfig(ctx.theme, lossSeries(ctx, c), {
        xTitle: 'step',
        yTitle: 'loss',
        y2Title: 'accuracy',
      }),
    );
    ctx.charts.draw(
      canvasIn(boundBox),
      lineConfig(
        ctx.theme,
        [
          { label: '‖W(t) − W(0)‖', x: c.step, y: c.headChange, color: ctx.theme.series[0] },
          {
            label: `6βηt‖μ+ − μ−‖ bound (${boundStatus(ctx)})`,
            x: c.step,
            y: c.bound,
            color: ctx.theme.muted,
            dashed: true,
          },
        ],
        // The bound can sit orders of magnitude above the measured change: then a log axis.
        Math.max(...c.bound) > 20 * Math.max(1e-12, ...c.headChange)
          ? { xTitle: 'step', yTitle: 'head change (log scale)', yLog: true }
          : { xTitle: 'step', yTitle: 'head change', yMin: 0 },
      ),
    );
    summary.textContent = `final train loss ${formatNumber(last(c.trainLoss))} · test loss ${formatNumber(last(c.testLoss))} · test accuracy ${formatNumber(last(c.testAccuracy))} · head change ${formatNumber(last(c.headChange))} (bound ${formatNumber(last(c.bound))})`;
  };
  return {
    el,
    draw: () => {
      drawAll();
      drawSelected();
    },
    onSelect: (name) => {
      if (names.includes(name)) drawSelected();
    },
  };
}

/** 'guaranteed' or 'empirical': whether Theorem 4.1's step-size condition holds (report.simulation.boundCheck). */
function boundStatus(ctx: Ctx): string {
  return ctx.report.simulation.boundCheck?.status ?? 'not checked';
}
