import { h, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { hasDeprioritizedWarning, median } from '../../src/shared/report-facts.js';

const formatP = (p: number): string => (p >= 0.01 ? p.toFixed(2) : p.toPrecision(1));
import type { BehaviorReport, Ctx, Section } from '../types.js';

const COLUMNS: { label: string; title: string; numeric?: boolean }[] = [
  { label: '#', title: 'Rank by distinguishability', numeric: true },
  { label: 'Behavior', title: 'Behavior (click to open its file)' },
  { label: 'n+', title: 'Positive examples (the behavior-matching side)', numeric: true },
  { label: 'n−', title: 'Negative examples', numeric: true },
  {
    label: 'Distinguishability',
    title:
      '‖m+ − m−‖ (the reference estimate), the unbiased estimate in parentheses, and the bias-corrected 95% bootstrap interval (it contains the unbiased estimate)',
    numeric: true,
  },
  {
    label: 'p (adj.)',
    title:
      'Permutation-test p-value (labels shuffled within the behavior; paired rows: chosen and rejected swapped within pairs), Benjamini–Hochberg adjusted across the behaviors; at or above the significance setting the behavior is indistinguishable from noise',
    numeric: true,
  },
  {
    label: 'Rank 95%',
    title: '95% interval of its rank by distinguishability over the bootstrap replicates',
    numeric: true,
  },
  { label: 'Normalized', title: 'Distinguishability / √trace', numeric: true },
  { label: 'Concentration', title: 'max spectral norm of the class covariances', numeric: true },
  { label: 'Trace', title: 'max trace of the class covariances', numeric: true },
  { label: 'Priority', title: 'Priority level in the mixture (eq. 5)', numeric: true },
  { label: 'Warnings', title: 'What DPO is likely to do to this behavior' },
];

/**
 * The distinguishability cell's bar on a shared axis 0..the largest interval bound, with the
 * bootstrap interval as a whisker and the low-distinguishability threshold as a tick. With one
 * behavior there is nothing to compare, so no bar (a lone bar would fill the track).
 */
function distBar(
  ctx: Ctx,
  b: BehaviorReport,
  axisMax: number,
  threshold: number,
): HTMLElement | null {
  if (ctx.report.behaviors.length < 2 || !(axisMax > 0)) return null;
  const pct = (v: number): string => `${Math.max(0, Math.min(100, (100 * v) / axisMax))}%`;
  const bar = h('span', { class: 'bar' });
  bar.style.width = pct(b.distinguishability);
  bar.style.background = ctx.palette.color(b.name);
  const ci = h('span', { class: 'bar-ci' });
  ci.style.left = pct(b.distinguishabilityCI[0]);
  ci.style.width = `calc(${pct(b.distinguishabilityCI[1])} - ${pct(b.distinguishabilityCI[0])})`;
  const track = h('span', { class: 'bar-track' }, bar, ci);
  if (Number.isFinite(threshold)) {
    const tick = h('span', {
      class: 'bar-threshold',
      title: `low below ${formatNumber(threshold)}`,
    });
    tick.style.left = pct(threshold);
    track.append(tick);
  }
  return track;
}

function row(
  ctx: Ctx,
  b: BehaviorReport,
  rank: number,
  axisMax: number,
  distThreshold: number,
  withPhi: boolean,
): HTMLTableRowElement {
  const low = hasDeprioritizedWarning(b);
  const meaningless = b.priorityMeaningful === false;
  const swatch = h('span', { class: 'swatch', data: { color: ctx.palette.color(b.name) } });
  swatch.style.background = ctx.palette.color(b.name);
  const warnings = h('td', { class: 'warnings' });
  for (const w of b.warnings) {
    warnings.append(h('span', { class: `badge ${w.kind}`, title: w.message, text: w.kind }));
  }
  const tr = h(
    'tr',
    {
      data: { behavior: b.name },
      class: b.warnings.length ? 'has-warning' : undefined,
      attrs: { tabindex: '0' },
      title: b.files[0] ? `${b.files[0].file}:${b.files[0].firstLine}` : undefined,
    },
    h('td', { class: 'num', text: String(rank) }),
    h('td', { class: 'name' }, swatch, b.name),
    h('td', { class: 'num', text: String(b.nPositive) }),
    h('td', { class: 'num', text: String(b.nNegative) }),
    h(
      'td',
      { class: 'num dist' },
      distBar(ctx, b, axisMax, distThreshold),
      h('span', { text: formatNumber(b.distinguishability) }),
      h('span', {
        class: 'ci',
        text: `${b.distinguishabilityUnbiased === undefined ? '' : ` (${formatNumber(b.distinguishabilityUnbiased)})`} [${formatNumber(b.distinguishabilityCI[0])}, ${formatNumber(b.distinguishabilityCI[1])}]`,
      }),
    ),
    h('td', {
      class: `num${meaningless ? ' not-significant' : ''}`,
      text: b.pValueAdjusted === undefined ? '–' : formatP(b.pValueAdjusted),
      title:
        b.pValue === undefined
          ? undefined
          : `p = ${formatP(b.pValue)} (${b.permutations ?? 0} permutations)`,
    }),
    h('td', { class: 'num', text: b.rankCI ? `${b.rankCI[0]}–${b.rankCI[1]}` : '–' }),
    h('td', { class: 'num', text: formatNumber(b.normalizedDistinguishability) }),
    h('td', { class: 'num', text: formatNumber(b.concentration) }),
    h('td', { class: 'num', text: formatNumber(b.trace) }),
    withPhi ? h('td', { class: 'num', text: formatNumber(b.phi) }) : null,
    h('td', {
      class: `num${low ? ' low' : ''}${meaningless ? ' not-meaningful' : ''}`,
      text: meaningless ? `n/a (${formatNumber(b.priorityLevel)})` : formatNumber(b.priorityLevel),
      title: meaningless
        ? 'Not meaningful: the behavior is indistinguishable from shuffled labels, or the mixture has one behavior'
        : undefined,
    }),
    warnings,
  );
  const activate = (): void => {
    ctx.select(b.name);
    const f = b.files[0];
    if (f) ctx.host.post({ type: 'reveal', file: f.file, line: f.firstLine });
  };
  tr.addEventListener('click', activate);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      activate();
    }
  });
  return tr;
}

export function rankingSection(ctx: Ctx): Section {
  const el = section(
    'ranking',
    'Behaviors ranked by distinguishability',
    'DPO learns the most distinguishable behaviors first. Click a row to open its data file; the selection drives the charts below.',
  );
  const axisMax = Math.max(0, ...ctx.ranked.map((b) => b.distinguishabilityCI[1]));
  const distThreshold =
    ctx.report.thresholds.relativeDistinguishability *
    median(ctx.report.behaviors.map((b) => b.distinguishability));
  // φ exists only for a causal LM with a readable head.
  const withPhi = ctx.ranked.some((b) => b.phi !== undefined);
  const columns = withPhi
    ? [
        ...COLUMNS.slice(0, 10),
        { label: 'φ', title: 'cos(W_B, μ+ − μ−): initial alignment of the LM head', numeric: true },
        ...COLUMNS.slice(10),
      ]
    : COLUMNS;
  const table = h(
    'table',
    { id: 'ranking-table', class: 'data' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...columns.map((c) =>
          h('th', { text: c.label, title: c.title, class: c.numeric ? 'num' : undefined }),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...ctx.ranked.map((b, i) => row(ctx, b, i + 1, axisMax, distThreshold, withPhi)),
    ),
  );
  el.append(h('div', { class: 'table-scroll' }, table));
  // Both thresholds are fractions of the mixture's median (see the analysis warnings).
  const t = ctx.report.thresholds;
  const medLevel = median(ctx.report.behaviors.map((b) => b.priorityLevel));
  const medDist = median(ctx.report.behaviors.map((b) => b.distinguishability));
  const rules = [
    Number.isFinite(t.priorityLevel)
      ? `a priority level below ${formatNumber(t.priorityLevel, 2)} × the median level (${formatNumber(medLevel)}), or not positive, is flagged as deprioritized`
      : '',
    Number.isFinite(t.relativeDistinguishability)
      ? `a distinguishability below ${formatNumber(t.relativeDistinguishability, 2)} × the median (${formatNumber(medDist)}) is flagged as low`
      : '',
    t.priorityLevelAbsolute !== undefined
      ? `so is any level below ${formatNumber(t.priorityLevelAbsolute, 2)}`
      : '',
    t.significance !== undefined
      ? `a behavior whose adjusted permutation p-value is not below ${formatNumber(t.significance, 2)} is indistinguishable (no priority or label claim)`
      : '',
    t.flagStability !== undefined
      ? `a deprioritized flag that holds in fewer than ${Math.round(100 * t.flagStability)}% of the bootstrap replicates is borderline`
      : '',
  ].filter(Boolean);
  if (ctx.report.behaviors.length < 2) {
    el.append(
      h('p', {
        id: 'ranking-not-meaningful',
        class: 'not-meaningful',
        text: 'One behavior: nothing to rank it against, and the thresholds (fractions of the mixture median) do not apply.',
      }),
    );
  } else if (rules.length)
    el.append(
      h('p', {
        class: 'meta',
        text: `Thresholds: ${rules.join('; ')} (the tick on each bar; the thin band is the 95% bootstrap interval).`,
      }),
    );
  const highlight = (behavior: string): void => {
    for (const tr of table.querySelectorAll('tbody tr')) {
      tr.classList.toggle('selected', tr.getAttribute('data-behavior') === behavior);
    }
  };
  return {
    el,
    draw: () => {
      if (ctx.ui.curveBehavior) highlight(ctx.ui.curveBehavior);
    },
    onSelect: highlight,
  };
}
