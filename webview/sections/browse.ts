/**
 * Browse every row of the mixture: the rows the shared filter (above the map) passes, within the
 * map's lasso selection when there is one, in a table that renders only the rows in view
 * (@tanstack/virtual-core), so 100k+ rows scroll like 100. Clicking a row (or Enter on it)
 * reveals its line and rings it on the map; the listed rows export as JSON Lines.
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
} from '@tanstack/virtual-core';
import { h, section } from '../dom.js';
import type { RowModel } from '../rows.js';
import type { Ctx, Section } from '../types.js';
import { flagText } from './row-filters.js';
import { formatPosition } from '../../src/shared/position.js';

/** Fixed row height (px, one line of text): the virtualizer's positions are exact. */
const ROW_HEIGHT = 26;
const OVERSCAN = 12;

/**
 * A long file name loses its middle, never its line number or row index:
 * `subscribes-t…ism.jsonl:12`, `train-0000…ruct.parquet row 11`.
 */
const LOCATION_CHARS = 18;
export const shortLocation = (location: string): string => {
  const at = /(:\d+(:\d+)?| row \d+)$/.exec(location);
  const cut = at ? at.index : location.length;
  const name = location.slice(0, cut);
  if (name.length <= LOCATION_CHARS) return location;
  const keep = LOCATION_CHARS - 1;
  return `${name.slice(0, Math.ceil(keep / 2))}…${name.slice(name.length - Math.floor(keep / 2))}${location.slice(cut)}`;
};

type SortKey = 'order' | 'longest' | 'shortest' | 'flagged';

function sortRows(model: RowModel, rows: Uint32Array, key: SortKey): Uint32Array {
  if (key === 'order') return rows;
  const sorted = Uint32Array.from(rows);
  const sc = model.sc;
  if (key === 'flagged') {
    // Flagged rows first, reading order within.
    const flags = sc.flags ?? [];
    return sorted.sort((a, b) => Number(!flags[a]) - Number(!flags[b]) || a - b);
  }
  const sign = key === 'longest' ? -1 : 1;
  return sorted.sort((a, b) => sign * (model.lengthOf(a) - model.lengthOf(b)) || a - b);
}

export function browseSection(ctx: Ctx): Section {
  const model = ctx.rows;
  const el = section(
    'browse',
    'Browse examples',
    'Every example of the mixture, filtered by the controls above the map (search, behavior, label, flags, length, cluster) and by the map’s lasso selection. Click a row or press Enter to open its line; the map rings it.',
  );
  if (!model) {
    el.append(
      h('p', {
        text: ctx.payload.mapPending
          ? 'The rows are listed here with the map, once it is projected.'
          : 'No rows in this report.',
      }),
    );
    return { el, draw: () => undefined };
  }
  const sc = model.sc;
  const hasClusters = Boolean(sc.clusters?.length && sc.cluster);
  const count = h('strong', { id: 'browse-count' });
  const selectionNote = h('span', { id: 'browse-selection', class: 'meta' });
  const clear = h('button', {
    id: 'browse-clear-selection',
    class: 'button secondary small',
    text: 'Clear selection',
  });
  const exportButton = h('button', { id: 'browse-export', class: 'button small' });
  const sort = h('select', { id: 'browse-sort', attrs: { 'aria-label': 'Order' } });
  for (const [value, text] of [
    ['order', 'reading order'],
    ['longest', 'longest first'],
    ['shortest', 'shortest first'],
    ['flagged', 'flagged first'],
  ] as const) {
    const o = h('option', { text });
    o.value = value;
    sort.append(o);
  }
  const columns = [
    'Behavior',
    'Label',
    ...(hasClusters ? ['Cluster'] : []),
    'Flags',
    'Length',
    'Location',
    'Text',
  ];
  const colgroup = h(
    'colgroup',
    {},
    ...columns.map((c) => h('col', { class: `col-${c.toLowerCase()}` })),
  );
  const body = h('tbody', {});
  const table = h(
    'table',
    { id: 'browse-table', class: 'data compact browse', attrs: { role: 'grid' } },
    colgroup,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...columns.map((c) =>
          h('th', { text: c, class: c === 'Length' ? 'num' : undefined, attrs: { scope: 'col' } }),
        ),
      ),
    ),
    body,
  );
  const scroller = h(
    'div',
    {
      id: 'browse-scroll',
      class: 'browse-scroll',
      attrs: { tabindex: '0', 'aria-label': 'Rows; arrow keys move, Enter opens the line' },
    },
    table,
  );
  el.append(
    h(
      'div',
      { class: 'toolbar' },
      count,
      selectionNote,
      clear,
      h('label', { text: 'Order ', attrs: { for: 'browse-sort' } }),
      sort,
      exportButton,
    ),
    scroller,
  );

  let rows: Uint32Array = new Uint32Array(0);
  let cursor = -1;
  let virtualizer: Virtualizer<HTMLDivElement, HTMLTableRowElement> | null = null;

  const spacer = (): [HTMLTableRowElement, HTMLTableCellElement] => {
    const td = h('td', { attrs: { colspan: String(columns.length) } });
    td.style.padding = '0';
    td.style.border = 'none';
    return [h('tr', { class: 'spacer', attrs: { 'aria-hidden': 'true' } }, td), td];
  };
  const [top, topCell] = spacer();
  const [bottom, bottomCell] = spacer();
  body.append(top, bottom);
  /** The rendered rows by position in `rows`: kept while in range, so a click's target stays. */
  const live = new Map<number, HTMLTableRowElement>();
  const dropRows = (): void => {
    for (const tr of live.values()) tr.remove();
    live.clear();
  };

  const open = (k: number): void => {
    const i = rows[k];
    if (i === undefined) return;
    cursor = k;
    model.focus(i);
    ctx.host.post({ type: 'reveal', file: model.fileOf(i), line: sc.line[i] });
  };

  const rowElement = (k: number): HTMLTableRowElement => {
    const i = rows[k];
    const name = model.behaviorName(i);
    const swatch = h('span', { class: 'swatch', data: { color: ctx.palette.color(name) } });
    swatch.style.background = ctx.palette.color(name);
    const flags = model.flagsOf(i);
    const cells = [
      h('td', { class: 'name', title: name }, swatch, name),
      h('td', { text: sc.label[i] === 1 ? 'positive' : 'negative' }),
      hasClusters ? h('td', { text: model.clusterOf(i), title: model.clusterOf(i) }) : null,
      h(
        'td',
        {},
        ...flags.map((f) => h('span', { class: `badge ${f}`, text: flagText(f), title: f })),
      ),
      h('td', { class: 'num', text: model.lengthOf(i).toLocaleString() }),
      h('td', {
        class: 'mono',
        text: shortLocation(model.location(i)),
        title: formatPosition(model.fileOf(i), sc.line[i]),
      }),
      h('td', { class: 'example-text', text: sc.text[i], title: sc.text[i] }),
    ];
    const tr = h('tr', { class: 'clickable', data: { index: String(i), k: String(k) } }, ...cells);
    return tr;
  };

  function paintRows(): void {
    if (!virtualizer) return;
    const items = virtualizer.getVirtualItems();
    const total = virtualizer.getTotalSize();
    const wanted = new Set(items.map((item) => item.index));
    for (const [k, tr] of live)
      if (!wanted.has(k)) {
        tr.remove();
        live.delete(k);
      }
    // Rows stay in ascending order: walk the new range, insert what is missing before the next kept row.
    let next: ChildNode | null = top.nextSibling;
    for (const item of items) {
      let tr = live.get(item.index);
      if (tr) next = tr.nextSibling;
      else {
        tr = rowElement(item.index);
        live.set(item.index, tr);
        body.insertBefore(tr, next);
      }
      tr.setAttribute('aria-selected', String(item.index === cursor));
    }
    topCell.style.height = `${items.length ? items[0].start : 0}px`;
    bottomCell.style.height = `${items.length ? Math.max(0, total - items[items.length - 1].end) : 0}px`;
    table.setAttribute('data-rendered', String(items.length));
  }

  function relist(): void {
    rows = sortRows(model!, model!.listed(), sort.value as SortKey);
    cursor = -1;
    const selected = model!.selected;
    count.textContent = `${rows.length.toLocaleString()} of ${sc.rows.toLocaleString()} rows`;
    selectionNote.textContent = selected
      ? `${selected.length.toLocaleString()} selected on the map`
      : '';
    clear.hidden = !selected;
    exportButton.textContent = `Export ${rows.length.toLocaleString()} rows as JSONL`;
    exportButton.disabled = rows.length === 0;
    table.setAttribute('data-rows', String(rows.length));
    dropRows();
    if (virtualizer) {
      virtualizer.setOptions({ ...virtualizer.options, count: rows.length });
      virtualizer.scrollToOffset(0);
      virtualizer._willUpdate();
    }
    paintRows();
  }

  clear.addEventListener('click', () => model.select(null));
  // One listener for every row, rendered or not yet.
  body.addEventListener('click', (e) => {
    const tr = (e.target as Element).closest('tr[data-k]');
    if (!tr) return;
    open(Number(tr.getAttribute('data-k')));
    paintRows();
  });
  sort.addEventListener('change', relist);
  exportButton.addEventListener('click', () =>
    ctx.host.post({ type: 'exportRows', jsonl: model.jsonl(rows), rows: rows.length }),
  );
  scroller.addEventListener('keydown', (e) => {
    if (!rows.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      cursor = Math.max(0, Math.min(rows.length - 1, cursor + (e.key === 'ArrowDown' ? 1 : -1)));
      virtualizer?.scrollToIndex(cursor, { align: 'auto' });
      model.focus(rows[cursor]);
      paintRows();
    } else if (e.key === 'Enter' && cursor >= 0) {
      e.preventDefault();
      open(cursor);
    }
  });
  model.onChange((why) => {
    if (why !== 'focus') return relist();
    // A point clicked on the map: bring its row into view when it is listed.
    const k = rows.indexOf(model.focused);
    if (k < 0 || k === cursor) return;
    cursor = k;
    virtualizer?.scrollToIndex(k, { align: 'center' });
    paintRows();
  });

  const draw = (): void => {
    virtualizer = new Virtualizer<HTMLDivElement, HTMLTableRowElement>({
      count: 0,
      getScrollElement: () => scroller,
      estimateSize: () => ROW_HEIGHT,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      overscan: OVERSCAN,
      // The sticky header sits above row 0 in the scrolled content: one row more at the end.
      paddingEnd: ROW_HEIGHT,
      onChange: () => paintRows(),
    });
    virtualizer._didMount();
    relist();
  };
  return { el, draw };
}
