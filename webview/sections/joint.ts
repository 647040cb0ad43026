import { canvasIn, chartBox, lineConfig, type LineSeries } from '../charts.js';
import { h, last, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import type { Ctx, JointRun, Section } from '../types.js';

/** Each behavior's own curve inside a joint run, plus the joint curve (dashed). */
export function jointSeries(
  ctx: Ctx,
  run: JointRun,
  metric: 'testLoss' | 'testAccuracy',
  suffix = '',
): LineSeries[] {
  const small = run.behaviors.length <= 8;
  const series: LineSeries[] = run.behaviors
    .filter((b) => run.perBehavior[b])
    .map((b) => ({
      label: `${b}${suffix}`,
      x: run.perBehavior[b].step,
      y: run.perBehavior[b][metric],
      color: ctx.palette.color(b),
      width: small ? 2 : 1.5,
    }));
  series.push({
    label: `joint${suffix}`,
    x: run.curve.step,
    y: run.curve[metric],
    color: ctx.theme.fg,
    dashed: true,
    width: 2,
  });
  return series;
}

export function jointSection(ctx: Ctx): Section {
  const run = ctx.report.simulation.joint;
  const el = section(
    'joint',
    'Joint training',
    'All behaviors trained together on the concatenated data; each line is a behavior evaluated on its own test set. Higher priority levels learn first.',
  );
  if (!run) {
    el.append(h('p', { text: 'No joint run in this report.' }));
    return { el, draw: () => undefined };
  }
  const lossBox = chartBox('chart-joint-loss', 280, 'Per-behavior test loss in the joint run');
  const accBox = chartBox(
    'chart-joint-accuracy',
    280,
    'Per-behavior test accuracy in the joint run',
  );
  el.append(
    h(
      'div',
      { class: 'grid-2' },
      h('div', {}, h('h3', { text: 'Test loss' }), lossBox),
      h('div', {}, h('h3', { text: 'Test accuracy' }), accBox),
    ),
    h('p', {
      class: 'meta',
      text: `Joint run over ${run.behaviors.length} behaviors: final test loss ${formatNumber(last(run.curve.testLoss))}, test accuracy ${formatNumber(last(run.curve.testAccuracy))}.`,
    }),
  );
  const legend = run.behaviors.length <= 8;
  return {
    el,
    draw: () => {
      ctx.charts.draw(
        canvasIn(lossBox),
        lineConfig(ctx.theme, jointSeries(ctx, run, 'testLoss'), {
          xTitle: 'step (SGD updates of the head)',
          yTitle: 'test loss (nats)',
          legend,
        }),
      );
      ctx.charts.draw(
        canvasIn(accBox),
        lineConfig(ctx.theme, jointSeries(ctx, run, 'testAccuracy'), {
          xTitle: 'step (SGD updates of the head)',
          yTitle: 'test accuracy (fraction of pairs)',
          yMin: 0,
          yMax: 1,
          legend,
        }),
      );
    },
  };
}
