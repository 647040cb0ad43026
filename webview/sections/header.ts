import { fmt, h } from '../dom.js';
import type { Ctx, Section } from '../types.js';

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
          text: `${m.id} · ${m.kind} · d=${m.dimension} · ${m.pooling} pooling · device ${m.device}${m.deviceReason ? ` (${m.deviceReason})` : ''}`,
        }),
        h('p', {
          class: 'meta',
          text: `${Number.isNaN(created.getTime()) ? r.createdAt : created.toLocaleString()} · ${r.tool.name} ${r.tool.version} · ${r.inputs.length} input file${r.inputs.length === 1 ? '' : 's'} · read ${fmt(r.timings.readMs / 1000, 1)} s, embed ${fmt(r.timings.embedMs / 1000, 1)} s, analysis ${fmt(r.timings.analysisMs / 1000, 1)} s`,
        }),
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

  const warnings = r.behaviors.flatMap((b) => b.warnings.map((w) => ({ b, w })));
  if (warnings.length) {
    const order = { deprioritized: 0, 'low-distinguishability': 1, 'possible-label-error': 2 };
    warnings.sort((x, y) => order[x.w.kind] - order[y.w.kind]);
    const list = h('ul', { id: 'warnings-list' });
    for (const { b, w } of warnings.slice(0, 12)) {
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
    if (warnings.length > 12) {
      list.append(
        h('li', { class: 'meta', text: `…and ${warnings.length - 12} more in the table` }),
      );
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
