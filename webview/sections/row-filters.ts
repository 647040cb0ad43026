/**
 * The controls of the shared row filter (webview/rows.ts): search, behavior, label, flag kind,
 * cluster (when the report discovered clusters) and text length. They sit above the map and
 * filter the map and the browse table alike.
 */
import { h } from '../dom.js';
import { ANY_FLAG, countBy, NO_FLAG, type RowModel } from '../rows.js';
import type { Ctx } from '../types.js';

const SEARCH_DELAY_MS = 150;

const option = (text: string, value: string): HTMLOptionElement => {
  const o = h('option', { text });
  o.value = value;
  return o;
};

const labelled = (text: string, id: string, control: HTMLElement): HTMLElement =>
  h('span', { class: 'filter' }, h('label', { text, attrs: { for: id } }), control);

/** Flag kinds read as words: 'possible-label-error' → 'possible label error'. */
export const flagText = (kind: string): string => kind.replace(/-/g, ' ');

export function rowFilterBar(ctx: Ctx, model: RowModel): HTMLElement {
  const sc = model.sc;
  const f = model.filter;
  const search = h('input', {
    id: 'rows-search',
    attrs: { type: 'search', placeholder: 'text or file:line', 'aria-label': 'Search rows' },
  });
  search.value = f.search;

  const behavior = h('select', { id: 'map-behavior', attrs: { 'aria-label': 'Behavior' } });
  behavior.append(option('All behaviors', ''));
  const perBehavior = countBy(sc.behavior, sc.behaviors.length);
  for (const n of ctx.ranked.map((b) => b.name).filter((n) => sc.behaviors.includes(n)))
    behavior.append(option(`${n} (${perBehavior[sc.behaviors.indexOf(n)]})`, n));
  behavior.value = f.behavior;

  const label = h('select', { id: 'map-label', attrs: { 'aria-label': 'Label' } });
  label.append(
    option('both labels', ''),
    option('positive only', '1'),
    option('negative only', '-1'),
  );
  label.value = f.label ? String(f.label) : '';

  const flag = h('select', { id: 'map-flag', attrs: { 'aria-label': 'Flags' } });
  const kinds = sc.flagKinds ?? [];
  let flagged = 0;
  const perKind = kinds.map(() => 0);
  for (const mask of sc.flags ?? []) {
    if (!mask) continue;
    flagged++;
    kinds.forEach((_, k) => {
      if (mask & (1 << k)) perKind[k]++;
    });
  }
  flag.append(
    option('any flags', ''),
    option(`flagged (${flagged})`, ANY_FLAG),
    option(`no flag (${sc.rows - flagged})`, NO_FLAG),
  );
  kinds.forEach((k, i) => flag.append(option(`${flagText(k)} (${perKind[i]})`, k)));
  flag.value = f.flag;

  const controls: HTMLElement[] = [
    labelled('Search ', 'rows-search', search),
    labelled('Behavior ', 'map-behavior', behavior),
    labelled('Label ', 'map-label', label),
    labelled('Flags ', 'map-flag', flag),
  ];

  let cluster: HTMLSelectElement | null = null;
  if (sc.clusters?.length && sc.cluster) {
    cluster = h('select', { id: 'map-cluster', attrs: { 'aria-label': 'Cluster' } });
    const perCluster = countBy(sc.cluster, sc.clusters.length);
    cluster.append(option('All clusters', ''));
    sc.clusters.forEach((c, i) => cluster!.append(option(`${c} (${perCluster[i]})`, c)));
    cluster.value = f.cluster;
    controls.push(labelled('Cluster ', 'map-cluster', cluster));
  }

  const lengthInput = (id: string, text: string, value: number | undefined): HTMLInputElement => {
    const el = h('input', {
      id,
      class: 'length',
      attrs: { type: 'number', min: '0', step: '1', 'aria-label': text, placeholder: text },
    });
    if (value !== undefined) el.value = String(value);
    return el;
  };
  const minLength = lengthInput('rows-min-length', 'min', f.minLength);
  const maxLength = lengthInput('rows-max-length', 'max', f.maxLength);
  controls.push(
    h(
      'span',
      { class: 'filter' },
      h('label', { text: 'Length ', attrs: { for: 'rows-min-length' } }),
      minLength,
      h('span', { text: '–' }),
      maxLength,
      h('span', { class: 'meta', text: ' characters' }),
    ),
  );

  const number = (el: HTMLInputElement): number | undefined =>
    el.value.trim() === '' || !Number.isFinite(Number(el.value)) ? undefined : Number(el.value);
  const update = (): void =>
    model.set({
      behavior: behavior.value,
      label: (Number(label.value) || 0) as 0 | 1 | -1,
      flag: flag.value,
      cluster: cluster?.value ?? '',
      minLength: number(minLength),
      maxLength: number(maxLength),
    });
  for (const el of [behavior, label, flag, cluster, minLength, maxLength])
    el?.addEventListener('change', update);
  // Typing waits for a pause: each pass reads every row.
  let timer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => model.set({ search: search.value }), SEARCH_DELAY_MS);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    window.clearTimeout(timer);
    model.set({ search: search.value });
  });
  // Other controls (the legend, "show in report") change the filter too: keep the bar in step.
  model.onChange((why) => {
    if (why !== 'filter') return;
    behavior.value = model.filter.behavior;
    label.value = model.filter.label ? String(model.filter.label) : '';
    flag.value = model.filter.flag;
    if (cluster) cluster.value = model.filter.cluster;
  });
  return h('div', { id: 'row-filters', class: 'toolbar' }, ...controls);
}
