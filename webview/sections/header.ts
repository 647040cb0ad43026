import { h } from '../dom.js';
import { formatNumber } from '../../src/shared/format.js';
import { shownPosition } from '../../src/shared/position.js';
import type { Ctx, Section } from '../types.js';
import { verdictFigure } from './verdict.js';
import { discoverySummary } from '../../src/shared/discovery-note.js';
import { headNote } from '../../src/shared/report-notes.js';
import { truncationNote } from '../../src/shared/pair-check-notes.js';

function stat(label: string, value: string, tone?: string): HTMLElement {
  return h(
    'div',
    { class: `stat${tone ? ` ${tone}` : ''}` },
    h('div', { class: 'stat-value', text: value }),
    h('div', { class: 'stat-label', text: label }),
  );
}

export function headerSection(ctx: Ctx): Section {
  const r = ctx.report;
  const m = r.model;
  const exportHtml = h('button', { id: 'export-html', class: 'button', text: 'Export HTML' });
  const exportJson = h('button', {
    id: 'export-json',
    class: 'button secondary',
    text: 'Export JSON',
  });
  exportHtml.addEventListener('click', () => ctx.host.post({ type: 'export', format: 'html' }));
  exportJson.addEventListener('click', () => ctx.host.post({ type: 'export', format: 'json' }));

  const examples = r.behaviors.reduce((a, b) => a + b.nPositive + b.nNegative, 0);
  const warned = r.behaviors.filter((b) => b.warnings.length > 0).length;
  const deprioritized = r.behaviors.filter((b) =>
    b.warnings.some((w) => w.kind === 'deprioritized'),
  ).length;
  const created = new Date(r.createdAt);

  const el = h(
    'header',
    { id: 'report-header' },
    h(
      'div',
      { class: 'title-row' },
      h(
        'div',
        {},
        h('h1', { text: 'Preference Lens report' }),
        h('p', {
          id: 'model-line',
          class: 'meta',
          text: `${m.id} · ${m.kind} · d=${m.dimension} · ${m.pooling} pooling${m.precision ? ` · ${m.precision} precision` : ''} · device ${m.device}${m.deviceReason ? ` (${m.deviceReason})` : ''}`,
        }),
        h('p', { id: 'head-line', class: 'meta', text: headNote(r) }),
        h('p', {
          class: 'meta',
          text: `${Number.isNaN(created.getTime()) ? r.createdAt : created.toLocaleString()} · ${r.tool.name} ${r.tool.version} · ${r.inputs.length} input file${r.inputs.length === 1 ? '' : 's'} · read ${formatNumber(r.timings.readMs / 1000, 1)} s, embed ${formatNumber(r.timings.embedMs / 1000, 1)} s, analysis ${formatNumber(r.timings.analysisMs / 1000, 1)} s${r.timings.discoveryMs === undefined ? '' : `, behavior discovery ${formatNumber(r.timings.discoveryMs / 1000, 1)} s`}`,
        }),
        ...(ctx.payload.mixture
          ? [h('p', { id: 'mixture-line', class: 'meta', text: ctx.payload.mixture })]
          : []),
      ),
      h('div', { class: 'actions' }, exportHtml, exportJson),
    ),
    h(
      'div',
      { class: 'stats', id: 'summary' },
      stat('behaviors', String(r.behaviors.length)),
      stat('examples', examples.toLocaleString()),
      stat('deprioritized', String(deprioritized), deprioritized ? 'danger' : 'ok'),
      stat('with warnings', String(warned), warned ? 'warn' : 'ok'),
      stat('skipped lines', String(r.skipped.total), r.skipped.total ? 'warn' : undefined),
    ),
  );

  el.append(verdictFigure(ctx));
  // Discovered behaviors: said first, since every name below is a cluster, not the input's.
  if (r.discovery) {
    const list = h('ul', { class: 'discovered-list' });
    for (const c of r.discovery.clusters) {
      const item = h(
        'li',
        { data: { behavior: c.name } },
        h('strong', { text: c.name }),
        `: ${c.terms.join(', ')}`,
      );
      item.addEventListener('click', () => ctx.select(c.name));
      list.append(item);
    }
    el.append(
      h(
        'div',
        { class: 'callout info', id: 'discovery' },
        h('span', { class: 'badge discovered', text: 'discovered behaviors' }),
        ' ',
        discoverySummary(r.discovery),
        list,
      ),
    );
  }
  // DPO-level warnings one by one; label-error warnings (often one per behavior) in one line.
  const major = r.behaviors.flatMap((b) =>
    b.warnings
      .filter((w) => w.kind !== 'possible-label-error' && w.kind !== 'borderline')
      .map((w) => ({ b, w })),
  );
  // Borderline flags are information, not warnings: listed apart.
  const borderline = r.behaviors.flatMap((b) =>
    b.warnings.filter((w) => w.kind === 'borderline').map((w) => ({ b, w })),
  );
  for (const w of r.warnings ?? []) {
    // Pair checks name where: each example opens its line.
    const examples = (w.examples ?? []).slice(0, 5).map((e) => {
      const link = h('button', {
        class: 'link example-line',
        text: shownPosition(e.file, e.line),
        title: e.file,
      });
      link.addEventListener('click', () =>
        ctx.host.post({ type: 'reveal', file: e.file, line: e.line }),
      );
      return link;
    });
    const more = (w.count ?? 0) > examples.length ? ` … (${w.count} in all)` : '';
    el.append(
      h(
        'div',
        { class: 'callout warn mixture-warning', id: `mixture-${w.kind}` },
        h('span', { class: `badge ${w.kind}`, text: w.kind }),
        ' ',
        w.message,
        ...(examples.length
          ? [
              h(
                'div',
                { class: 'examples' },
                'e.g. ',
                ...examples.flatMap((a, i) => (i === 0 ? [a] : [', ', a])),
                more,
              ),
            ]
          : []),
      ),
    );
  }
  const truncation = truncationNote(
    r.pairChecks,
    r.inputs.reduce((n, i) => n + i.rows, 0),
  );
  if (truncation)
    el.append(h('div', { class: 'callout info', id: 'truncation-note', text: truncation }));
  const labelErrors = r.behaviors.filter((b) =>
    b.warnings.some((w) => w.kind === 'possible-label-error'),
  );
  if (major.length || labelErrors.length) {
    major.sort((x, y) => (x.w.kind === y.w.kind ? 0 : x.w.kind === 'deprioritized' ? -1 : 1));
    const list = h('ul', { id: 'warnings-list' });
    for (const { b, w } of major) {
      const item = h(
        'li',
        { class: `warning ${w.kind}`, data: { behavior: b.name } },
        h('span', { class: `badge ${w.kind}`, text: w.kind }),
        ' ',
        h('strong', { text: b.name }),
        ': ',
        w.message,
      );
      item.addEventListener('click', () => ctx.select(b.name));
      list.append(item);
    }
    if (labelErrors.length) {
      const item = h(
        'li',
        { class: 'warning possible-label-error', data: { behavior: labelErrors[0].name } },
        h('span', { class: 'badge possible-label-error', text: 'possible-label-error' }),
        ` ${labelErrors.length} behavior${labelErrors.length === 1 ? ' has' : 's have'} examples past the opposite class mean (check their labels): `,
      );
      labelErrors.forEach((b, k) => {
        const name = h('a', {
          class: 'link',
          text: `${b.name}${b.pastOppositeMeanCount !== undefined ? ` (${b.pastOppositeMeanCount})` : ''}`,
          title: b.warnings.find((w) => w.kind === 'possible-label-error')?.message,
          attrs: { tabindex: '0', role: 'button' },
        });
        name.addEventListener('click', () => ctx.select(b.name));
        item.append(k ? ', ' : '', name);
      });
      list.append(item);
    }
    el.append(
      h(
        'div',
        { class: `callout ${deprioritized ? 'danger' : 'warn'}`, id: 'warnings' },
        h('h3', { text: 'Warnings' }),
        list,
      ),
    );
  }
  if (borderline.length) {
    const list = h('ul', { id: 'borderline-list' });
    for (const { b, w } of borderline) {
      const item = h(
        'li',
        { class: 'warning borderline', data: { behavior: b.name } },
        h('span', { class: 'badge borderline', text: 'borderline' }),
        ' ',
        h('strong', { text: b.name }),
        ': ',
        w.message,
      );
      item.addEventListener('click', () => ctx.select(b.name));
      list.append(item);
    }
    el.append(
      h(
        'div',
        { class: 'callout', id: 'borderline' },
        h('h3', { text: 'Borderline (not warnings)' }),
        list,
      ),
    );
  }
  const excluded = r.excluded ?? [];
  if (excluded.length) {
    el.append(
      h(
        'div',
        { class: 'callout warn', id: 'excluded' },
        h('h3', { text: 'Behaviors left out of the analysis' }),
        h(
          'ul',
          {},
          ...excluded.map((x) => h('li', {}, h('strong', { text: x.name }), ': ', x.reason)),
        ),
      ),
    );
  }
  return { el, draw: () => undefined };
}
