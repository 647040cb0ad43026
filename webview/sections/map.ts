/**
 * The embedding map: every row of the mixture at the position the core computed (the report's
 * sidecar), drawn at once with WebGL2; nothing is projected here. One color per behavior (the
 * report palette), positives filled, negatives as lighter rings. Hover to read a row, click to
 * open its line, right-click for similar examples, shift-drag (or the Lasso button) to select.
 */
import { h, section } from '../dom.js';
import { createRenderer, type Renderer, type View } from '../map/renderer.js';
import { insidePolygon, PointGrid } from '../map/grid.js';
import type { Ctx, ReportSidecar, Section } from '../types.js';

const HEIGHT = 520;
const MAX_LISTED = 200;

interface Prepared {
  xy: Float32Array;
  grid: PointGrid;
}

/** Unit-square positions survive re-renders (theme changes) of the same payload. */
const prepared = new WeakMap<ReportSidecar, Prepared>();

function prepare(sc: ReportSidecar): Prepared {
  const done = prepared.get(sc);
  if (done) return done;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < sc.rows; i++) {
    minX = Math.min(minX, sc.x[i]);
    maxX = Math.max(maxX, sc.x[i]);
    minY = Math.min(minY, sc.y[i]);
    maxY = Math.max(maxY, sc.y[i]);
  }
  // One scale for both axes (distances mean the same across and along), 5% margin.
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const xy = new Float32Array(sc.rows * 2);
  for (let i = 0; i < sc.rows; i++) {
    xy[2 * i] = ((sc.x[i] - cx) / span) * 1.9;
    xy[2 * i + 1] = ((sc.y[i] - cy) / span) * 1.9;
  }
  const p = { xy, grid: new PointGrid(xy) };
  prepared.set(sc, p);
  return p;
}

const describe = (sc: ReportSidecar): string => {
  const p = sc.projection;
  return p.method === 'umap'
    ? `UMAP (${p.nNeighbors} neighbours, min. distance ${p.minDist}, ${p.epochs} epochs, seed ${p.seed}) of ${p.pcaDims} principal components`
    : `${p.reason}`;
};

export function mapSection(ctx: Ctx): Section {
  const sc = ctx.payload.sidecar;
  const el = section(
    'scatter-section',
    'Embedding map',
    'Every example of the mixture, placed by the core (nearby points have similar embeddings). Filled: positive (matches the behavior); ring: negative. Hover to read an example, click to open its line, right-click for similar examples; shift-drag or Lasso selects; wheel zooms, drag pans.',
  );
  if (!sc || !sc.rows) {
    el.append(h('p', { text: 'No embedding map in this report.' }));
    document.body.setAttribute('data-scatter-ready', 'true');
    return { el, draw: () => undefined };
  }
  const pts = prepare(sc);
  const names = sc.behaviors;
  const behaviorFilter = h('select', { id: 'map-behavior', attrs: { 'aria-label': 'Behavior' } });
  const option = (text: string, value: string): HTMLOptionElement => {
    const o = h('option', { text });
    o.value = value;
    return o;
  };
  behaviorFilter.append(option('All behaviors', ''));
  for (const n of ctx.ranked.map((b) => b.name).filter((n) => names.includes(n)))
    behaviorFilter.append(option(n, n));
  const labelFilter = h('select', { id: 'map-label', attrs: { 'aria-label': 'Label' } });
  labelFilter.append(
    option('both labels', ''),
    option('positive only', '1'),
    option('negative only', '-1'),
  );
  behaviorFilter.value = ctx.ui.mapBehavior ?? '';
  const lassoButton = h('button', {
    id: 'map-lasso',
    class: 'button secondary small',
    text: 'Lasso',
    attrs: { 'aria-pressed': 'false' },
  });
  const resetButton = h('button', { class: 'button secondary small', text: 'Reset view' });
  const count = h('p', { id: 'scatter-count', class: 'meta' });
  const canvas = h('canvas', {
    id: 'map',
    attrs: { role: 'img', 'aria-label': 'Embedding map of every example' },
  });
  const overlay = h('canvas', { id: 'map-overlay', attrs: { 'aria-hidden': 'true' } });
  const tooltip = h('div', { id: 'scatter-tooltip', class: 'tooltip', attrs: { role: 'tooltip' } });
  const wrap = h('div', { class: 'map-wrap' }, canvas, overlay, tooltip);
  wrap.style.height = `${HEIGHT}px`;
  const legend = h('div', { id: 'map-legend', class: 'legend' });
  const selection = h('div', { id: 'map-selection' });
  el.append(
    h(
      'div',
      { class: 'toolbar' },
      h('label', { text: 'Behavior ', attrs: { for: 'map-behavior' } }),
      behaviorFilter,
      h('label', { text: ' Label ', attrs: { for: 'map-label' } }),
      labelFilter,
      lassoButton,
      resetButton,
    ),
    count,
    wrap,
    legend,
    selection,
  );

  let renderer: Renderer | null = null;
  let view: View = { zoom: 1, ox: 0, oy: 0 };
  let visible = new Uint8Array(sc.rows);
  let selected: Uint32Array | null = null;
  let hovered = -1;
  let lasso = false;

  const behaviorOf = (i: number): string => names[sc.behavior[i]] ?? '(left out)';
  const fileOf = (i: number): string => sc.files[sc.file[i]] ?? '';

  // Legend: one swatch per behavior in the report palette; clicking one filters the map to it.
  for (const n of ctx.ranked.map((b) => b.name).filter((x) => names.includes(x))) {
    const swatch = h('span', { class: 'swatch', data: { color: ctx.palette.color(n) } });
    swatch.style.background = ctx.palette.color(n);
    const item = h(
      'button',
      { class: 'legend-item', data: { behavior: n }, title: `Show only ${n}` },
      swatch,
      n,
    );
    item.addEventListener('click', () => {
      behaviorFilter.value = behaviorFilter.value === n ? '' : n;
      filter();
    });
    legend.append(item);
  }
  legend.append(h('span', { class: 'legend-note', text: '● positive  ○ negative (lighter)' }));

  const alphaFor = (n: number): number =>
    Math.max(0.25, Math.min(0.9, 0.9 * Math.sqrt(6000 / Math.max(1, n))));
  const sizeFor = (n: number): number => (n > 50_000 ? 3 : n > 10_000 ? 4 : n > 2000 ? 5 : 7);

  // Typed arrays, no per-point allocation: the first draw of 100k+ rows stays short.
  const brightBuf = new Uint32Array(sc.rows);
  const dimBuf = new Uint32Array(sc.rows);
  function indices(): { bright: Uint32Array; dim: Uint32Array } {
    let chosen: Uint8Array | null = null;
    if (selected) {
      chosen = new Uint8Array(sc!.rows);
      for (const i of selected) chosen[i] = 1;
    }
    let nb = 0;
    let nd = 0;
    const label = sc!.label;
    // Negatives first so the positives (filled) stay on top.
    for (const pass of [-1, 1])
      for (let i = 0; i < sc!.rows; i++) {
        if (label[i] !== pass || !visible[i]) continue;
        if (chosen && !chosen[i]) dimBuf[nd++] = i;
        else brightBuf[nb++] = i;
      }
    return { bright: brightBuf.subarray(0, nb), dim: dimBuf.subarray(0, nd) };
  }

  function paint(): void {
    if (!renderer) return;
    const { bright, dim } = indices();
    const shown = bright.length + dim.length;
    renderer.draw(view, bright, dim, alphaFor(shown), sizeFor(shown));
    canvas.setAttribute('data-points', String(shown));
    paintOverlay();
  }

  const toScreen = (i: number): [number, number] => {
    const r = wrap.getBoundingClientRect();
    return [
      ((pts.xy[2 * i] * view.zoom + view.ox + 1) / 2) * r.width,
      ((1 - (pts.xy[2 * i + 1] * view.zoom + view.oy)) / 2) * r.height,
    ];
  };
  const toUnit = (px: number, py: number): [number, number] => {
    const r = wrap.getBoundingClientRect();
    return [
      ((px / r.width) * 2 - 1 - view.ox) / view.zoom,
      ((1 - py / r.height) * 2 - 1 - view.oy) / view.zoom,
    ];
  };

  let path: number[] = [];
  function paintOverlay(): void {
    const g = overlay.getContext('2d');
    if (!g) return;
    const ratio = window.devicePixelRatio || 1;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, overlay.width, overlay.height);
    if (hovered >= 0) {
      const [x, y] = toScreen(hovered);
      g.strokeStyle = ctx.theme.fg;
      g.lineWidth = 2;
      g.beginPath();
      g.arc(x, y, 7, 0, 2 * Math.PI);
      g.stroke();
    }
    if (path.length > 2) {
      g.strokeStyle = ctx.theme.accent;
      g.setLineDash([4, 3]);
      g.lineWidth = 1.5;
      g.beginPath();
      g.moveTo(path[0], path[1]);
      for (let k = 2; k < path.length; k += 2) g.lineTo(path[k], path[k + 1]);
      g.closePath();
      g.stroke();
      g.setLineDash([]);
    }
  }

  function filter(): void {
    const b = behaviorFilter.value ? names.indexOf(behaviorFilter.value) : -2;
    const label = labelFilter.value ? Number(labelFilter.value) : 0;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < sc!.rows; i++) {
      const on = (b === -2 || sc!.behavior[i] === b) && (label === 0 || sc!.label[i] === label);
      visible[i] = on ? 1 : 0;
      if (on) {
        if (sc!.label[i] === 1) pos++;
        else neg++;
      }
    }
    ctx.ui.mapBehavior = behaviorFilter.value || undefined;
    ctx.save();
    canvas.setAttribute('data-behavior', behaviorFilter.value);
    for (const item of legend.querySelectorAll('.legend-item'))
      item.classList.toggle(
        'off',
        Boolean(behaviorFilter.value) &&
          item.getAttribute('data-behavior') !== behaviorFilter.value,
      );
    count.textContent = `${(pos + neg).toLocaleString()} of ${sc!.rows.toLocaleString()} rows shown (${pos.toLocaleString()} positive, ${neg.toLocaleString()} negative) · ${describe(sc!)}, computed once with the report in ${(sc!.projection.ms / 1000).toFixed(1)} s`;
    paint();
  }

  function size(): void {
    if (!renderer) return;
    const r = wrap.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    renderer.resize(r.width, r.height, ratio);
    overlay.width = Math.round(r.width * ratio);
    overlay.height = Math.round(r.height * ratio);
  }

  function listSelection(): void {
    selection.replaceChildren();
    if (!selected) return;
    const rows = [...selected];
    const exportButton = h('button', {
      id: 'map-export-rows',
      class: 'button small',
      text: `Export ${rows.length} rows as JSONL`,
    });
    exportButton.addEventListener('click', () => {
      const jsonl = rows
        .map((i) =>
          JSON.stringify({
            behavior: behaviorOf(i),
            label: sc!.label[i],
            file: fileOf(i),
            line: sc!.line[i],
            text: sc!.text[i],
          }),
        )
        .join('\n');
      ctx.host.post({ type: 'exportRows', jsonl: `${jsonl}\n`, rows: rows.length });
    });
    const clear = h('button', { class: 'button secondary small', text: 'Clear selection' });
    clear.addEventListener('click', () => {
      selected = null;
      listSelection();
      paint();
    });
    const body = h('tbody', {});
    for (const i of rows.slice(0, MAX_LISTED)) {
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = ctx.palette.color(behaviorOf(i));
      const tr = h(
        'tr',
        { class: 'clickable', data: { index: String(i) }, attrs: { tabindex: '0' } },
        h('td', {}, swatch, behaviorOf(i)),
        h('td', { text: sc!.label[i] === 1 ? 'positive' : 'negative' }),
        h('td', {
          class: 'mono',
          text: `${fileOf(i).split(/[\\/]/).pop()}:${sc!.line[i]}`,
          title: fileOf(i),
        }),
        h('td', { class: 'example-text', text: sc!.text[i] }),
      );
      tr.addEventListener('click', () =>
        ctx.host.post({ type: 'reveal', file: fileOf(i), line: sc!.line[i] }),
      );
      body.append(tr);
    }
    selection.append(
      h(
        'div',
        { class: 'toolbar' },
        h('strong', {
          id: 'map-selection-count',
          text: `${rows.length} selected${rows.length > MAX_LISTED ? ` (the first ${MAX_LISTED} listed)` : ''}`,
        }),
        exportButton,
        clear,
      ),
      h(
        'div',
        { class: 'table-scroll short' },
        h(
          'table',
          { id: 'map-selection-table', class: 'data compact' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { text: 'Behavior' }),
              h('th', { text: 'Label' }),
              h('th', { text: 'Location' }),
              h('th', { text: 'Text' }),
            ),
          ),
          body,
        ),
      ),
    );
  }

  const pointAt = (e: MouseEvent): number => {
    const r = wrap.getBoundingClientRect();
    const [x, y] = toUnit(e.clientX - r.left, e.clientY - r.top);
    const radius = ((8 / r.width) * 2) / view.zoom;
    return pts.grid.nearest(x, y, radius, (i) => visible[i] === 1);
  };

  let drag: {
    x: number;
    y: number;
    ox: number;
    oy: number;
    moved: boolean;
    lasso: boolean;
  } | null = null;
  overlay.addEventListener('pointerdown', (e) => {
    overlay.setPointerCapture(e.pointerId);
    drag = {
      x: e.clientX,
      y: e.clientY,
      ox: view.ox,
      oy: view.oy,
      moved: false,
      lasso: lasso || e.shiftKey,
    };
    path = [];
  });
  overlay.addEventListener('pointermove', (e) => {
    const r = wrap.getBoundingClientRect();
    if (drag) {
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.lasso) {
        path.push(e.clientX - r.left, e.clientY - r.top);
        paintOverlay();
      } else if (drag.moved) {
        view = { ...view, ox: drag.ox + (dx / r.width) * 2, oy: drag.oy - (dy / r.height) * 2 };
        paint();
      }
      return;
    }
    const i = pointAt(e);
    if (i !== hovered) {
      hovered = i;
      paintOverlay();
    }
    if (i < 0) {
      tooltip.classList.remove('show');
      return;
    }
    tooltip.replaceChildren(
      h('div', {
        class: 'tooltip-meta',
        text: `${behaviorOf(i)} · ${sc.label[i] === 1 ? 'positive' : 'negative'} · ${fileOf(i)}:${sc.line[i]}`,
      }),
      h('div', { class: 'tooltip-text', text: sc.text[i] ?? '' }),
    );
    const [x, y] = toScreen(i);
    tooltip.style.left = `${Math.max(0, Math.min(x + 12, r.width - 330))}px`;
    tooltip.style.top = `${y + 12}px`;
    tooltip.setAttribute('data-index', String(i));
    tooltip.classList.add('show');
  });
  overlay.addEventListener('pointerleave', () => {
    hovered = -1;
    tooltip.classList.remove('show');
    paintOverlay();
  });
  overlay.addEventListener('pointerup', (e) => {
    const d = drag;
    drag = null;
    if (!d) return;
    if (d.lasso && path.length >= 6) {
      const r = wrap.getBoundingClientRect();
      const chosen: number[] = [];
      for (let i = 0; i < sc.rows; i++) {
        if (!visible[i]) continue;
        const [x, y] = toScreen(i);
        if (x < 0 || y < 0 || x > r.width || y > r.height) continue;
        if (insidePolygon(x, y, path)) chosen.push(i);
      }
      selected = chosen.length ? Uint32Array.from(chosen) : null;
      path = [];
      listSelection();
      paint();
      return;
    }
    path = [];
    if (d.moved) return;
    const i = pointAt(e);
    if (i >= 0) ctx.host.post({ type: 'reveal', file: fileOf(i), line: sc.line[i] });
  });
  overlay.addEventListener('contextmenu', (e) => {
    const i = pointAt(e);
    if (i < 0) return;
    e.preventDefault();
    ctx.host.post({
      type: 'openSimilar',
      behavior: behaviorOf(i),
      file: fileOf(i),
      line: sc.line[i],
    });
  });
  overlay.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = wrap.getBoundingClientRect();
      const factor = Math.exp(-e.deltaY * 0.0015);
      const ux = ((e.clientX - r.left) / r.width) * 2 - 1;
      const uy = (1 - (e.clientY - r.top) / r.height) * 2 - 1;
      // Zoom about the cursor: the point under it stays put.
      view = {
        zoom: view.zoom * factor,
        ox: ux - (ux - view.ox) * factor,
        oy: uy - (uy - view.oy) * factor,
      };
      paint();
    },
    { passive: false },
  );
  lassoButton.addEventListener('click', () => {
    lasso = !lasso;
    lassoButton.setAttribute('aria-pressed', String(lasso));
    lassoButton.classList.toggle('active', lasso);
  });
  resetButton.addEventListener('click', () => {
    view = { zoom: 1, ox: 0, oy: 0 };
    paint();
  });
  behaviorFilter.addEventListener('change', filter);
  labelFilter.addEventListener('change', filter);

  const draw = (): void => {
    const started = performance.now();
    renderer?.dispose();
    renderer = createRenderer(canvas);
    canvas.setAttribute('data-renderer', renderer.kind);
    canvas.setAttribute('data-rows', String(sc.rows));
    canvas.setAttribute('data-projection', sc.projection.method);
    const colors = new Uint8Array(sc.rows * 4);
    const shape = new Float32Array(sc.rows);
    // One lookup per behavior and label, not per row.
    const table = [-1, 1].map((label) =>
      [...names, '(left out)'].map((n) => ctx.palette.rgb(n, label as 1 | -1)),
    );
    for (let i = 0; i < sc.rows; i++) {
      const b = sc.behavior[i];
      const rgb = table[sc.label[i] === 1 ? 1 : 0][b >= 0 ? b : names.length];
      const o = 4 * i;
      colors[o] = rgb[0];
      colors[o + 1] = rgb[1];
      colors[o + 2] = rgb[2];
      colors[o + 3] = 255;
      shape[i] = sc.label[i];
    }
    renderer.setData({ xy: pts.xy, rgba: colors, shape });
    size();
    filter();
    // The first draw's main-thread time (colors, upload, indices, draw call), for the tests.
    canvas.setAttribute('data-draw-ms', String(Math.round(performance.now() - started)));
    document.body.setAttribute('data-scatter-ready', 'true');
  };
  if (typeof ResizeObserver === 'function')
    new ResizeObserver(() => {
      size();
      paint();
    }).observe(wrap);
  visible = new Uint8Array(sc.rows);
  return {
    el,
    draw,
    onSelect: (name) => {
      if (names.includes(name) && behaviorFilter.value !== '' && behaviorFilter.value !== name) {
        behaviorFilter.value = name;
        filter();
      }
    },
  };
}
