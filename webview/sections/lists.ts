import { h, section } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { shownPosition } from '../../src/shared/position.js';
import type { Ctx, Section } from '../types.js';

const MAX_SKIPPED_ROWS = 200;

function revealRow(ctx: Ctx, tr: HTMLTableRowElement, file: string, line: number): void {
  tr.setAttribute('tabindex', '0');
  tr.classList.add('clickable');
  const go = (): void => ctx.host.post({ type: 'reveal', file, line });
  tr.addEventListener('click', go);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') go();
  });
}

/** The label hints of the selected behavior (out-of-sample, least confident first). */
export function suspectsSection(ctx: Ctx): Section {
  const el = section(
    'suspects',
    'Possible label errors',
    'Information, not warnings: examples whose label a logistic regression fitted on the rest of their behavior (out of sample) gives a low probability. Click one to open it.',
  );
  const title = h('h3', {});
  const body = h('tbody', {});
  // Shown for behaviors whose records carry UltraFeedback-style score fields only.
  const marginHeader = h('th', { class: 'num', text: 'Score margin' });
  const margins = h('p', { id: 'score-margins' });
  el.append(
    title,
    margins,
    h(
      'div',
      { class: 'table-scroll short' },
      h(
        'table',
        { id: 'suspects-table', class: 'data compact' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { text: 'Location' }),
            h('th', { text: 'Label' }),
            h('th', { class: 'num', text: 'P(label)' }),
            h('th', { class: 'num', text: 'Projection' }),
            marginHeader,
            h('th', { text: 'Text' }),
            h('th', {}),
          ),
        ),
        body,
      ),
    ),
  );
  const show = (name: string | undefined): void => {
    const b = ctx.report.behaviors.find((x) => x.name === name) ?? ctx.ranked[0];
    body.replaceChildren();
    if (!b) return;
    const total = b.suspectCount ?? b.wrongSideCount ?? b.suspects.length;
    title.textContent =
      total > b.suspects.length
        ? `${b.name}: ${total} possible label errors, the ${b.suspects.length} least confident listed`
        : `${b.name}: ${total} possible label error${total === 1 ? '' : 's'}`;
    const m = b.scoreMargin;
    marginHeader.hidden = !m;
    margins.hidden = !m;
    margins.textContent = m
      ? `Score margins (score_chosen − score_rejected) of its ${m.pairs} pairs: mean ${formatNumber(m.mean)}, median ${formatNumber(m.median)}, min ${formatNumber(m.min)}; ${m.nonPositive} at or below 0.`
      : '';
    for (const x of b.suspects) {
      const similar = h('button', { class: 'button secondary small', text: 'Similar' });
      similar.addEventListener('click', (e) => {
        e.stopPropagation();
        ctx.host.post({ type: 'openSimilar', behavior: b.name, file: x.file, line: x.line });
      });
      const tr = h(
        'tr',
        { data: { file: x.file, line: String(x.line) } },
        h('td', { class: 'mono', text: shownPosition(x.file, x.line), title: x.file }),
        h('td', { text: x.label === 1 ? 'positive' : 'negative' }),
        h('td', {
          class: 'num',
          text: x.confidence === undefined ? '' : formatNumber(x.confidence),
        }),
        h('td', { class: 'num', text: formatNumber(x.projection) }),
        ...(m
          ? [
              h('td', {
                class: 'num',
                text: x.scoreMargin === undefined ? '' : formatNumber(x.scoreMargin),
              }),
            ]
          : []),
        h('td', { class: 'example-text', text: x.text }),
        h('td', {}, similar),
      );
      revealRow(ctx, tr, x.file, x.line);
      body.append(tr);
    }
  };
  return { el, draw: () => show(ctx.ui.curveBehavior), onSelect: show };
}

export function skippedSection(ctx: Ctx): Section {
  const sk = ctx.report.skipped;
  const el = section(
    'skipped',
    'Skipped lines',
    'Lines left out of the analysis, with the reason. Nothing is dropped silently.',
  );
  const reasons = Object.entries(sk.byReason).filter(([, n]) => (n ?? 0) > 0);
  el.append(
    h('p', {
      id: 'skipped-summary',
      text: sk.total
        ? `${sk.total} line${sk.total === 1 ? '' : 's'} skipped: ${reasons.map(([r, n]) => `${n} ${r}`).join(', ')}.`
        : 'No lines were skipped.',
    }),
  );
  if (sk.lines.length) {
    const body = h('tbody', {});
    for (const l of sk.lines.slice(0, MAX_SKIPPED_ROWS)) {
      const tr = h(
        'tr',
        {},
        h('td', { class: 'mono', text: shownPosition(l.file, l.line), title: l.file }),
        h('td', { text: l.reason }),
        h('td', { text: l.message }),
      );
      revealRow(ctx, tr, l.file, l.line);
      body.append(tr);
    }
    el.append(
      h(
        'div',
        { class: 'table-scroll short' },
        h(
          'table',
          { id: 'skipped-table', class: 'data compact' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { text: 'Location' }),
              h('th', { text: 'Reason' }),
              h('th', { text: 'Message' }),
            ),
          ),
          body,
        ),
      ),
    );
    if (sk.lines.length > MAX_SKIPPED_ROWS) {
      el.append(
        h('p', {
          class: 'meta',
          text: `Showing the first ${MAX_SKIPPED_ROWS} of ${sk.lines.length}.`,
        }),
      );
    }
  }
  const inputs = h(
    'ul',
    { id: 'inputs' },
    ...ctx.report.inputs.map((i) =>
      h('li', { class: 'mono', text: `${i.file} (${i.schema}, ${i.rows} rows)` }),
    ),
  );
  el.append(h('h3', { text: 'Inputs' }), inputs);
  return { el, draw: () => undefined };
}
