/**
 * The embedding map: every row of the mixture at the position the core computed (the report's
 * sidecar), drawn at once with WebGL2; nothing is projected here. One color per behavior (the
 * report palette), positives filled, negatives as lighter rings, density contours where points
 * pile up. Hover to read a row, click to open its line, right-click for similar examples,
 * shift-drag (or the Lasso button) to select: the browse table below lists the selection. The
 * filter bar above it filters the map and the table alike (webview/rows.ts).
 */
import { h, section } from '../dom.js';
import { densityContours, strokeContours, type Contours } from '../map/contours.js';
import { createRenderer, type Renderer, type View } from '../map/renderer.js';
import { insidePolygon, PointGrid } from '../map/grid.js';
import type { Ctx, ReportSidecar, Section } from '../types.js';
import { rowFilterBar } from './row-filters.js';
import { formatPosition } from '../../src/shared/position.js';

const HEIGHT = 520;

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
  const model = ctx.rows;
  const el = section(
    'scatter-section',
    'Embedding map',
    'Every example of the mixture, placed by the core (nearby points have similar embeddings). Filled: positive (matches the behavior); ring: negative; lines: density contours where points pile up. Hover to read an example, click to open its line, right-click for similar examples; shift-drag or Lasso selects (the table below lists the selection); wheel zooms, drag pans. The filters apply to the map and the table.',
  );
  if (ctx.payload.mapPending) {
    // VS Code shows the report as soon as the analysis ends; the map follows in a second message.
    el.append(
      h('p', {
        id: 'map-pending',
        class: 'meta',
        text: 'Projecting the embedding map… it appears here when ready; the rest of the report is final.',
      }),
    );
    return { el, draw: () => undefined };
  }
  if (!sc || !sc.rows || !model) {
    el.append(h('p', { text: 'No embedding map in this report.' }));
    document.body.setAttribute('data-scatter-ready', 'true');
    return { el, draw: () => undefined };
  }
  const pts = prepare(sc);
  const names = sc.behaviors;
  const lassoButton = h('button', {
    id: 'map-lasso',
    class: 'button secondary small',
    text: 'Lasso',
    attrs: { 'aria-pressed': 'false' },
  });
  const resetButton = h('button', { class: 'button secondary small', text: 'Reset view' });
  const contoursBox = h('input', { id: 'map-contours', attrs: { type: 'checkbox' } });
  contoursBox.checked = true;
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
  el.append(
    rowFilterBar(ctx, model),
    h(
      'div',
      { class: 'toolbar' },
      lassoButton,
      resetButton,
      h(
        'label',
        { class: 'check', attrs: { for: 'map-contours' } },
        contoursBox,
        ' density contours',
      ),
    ),
    count,
    wrap,
    legend,
  );

  let renderer: Renderer | null = null;
  let view: View = { zoom: 1, ox: 0, oy: 0 };
  let hovered = -1;
  let lasso = false;
  let contours: Contours | null = null;
  const visible = model.visible;

  const behaviorOf = (i: number): string => model.behaviorName(i);
  const fileOf = (i: number): string => model.fileOf(i);

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
    item.addEventListener('click', () =>
      model.set({ behavior: model.filter.behavior === n ? '' : n }),
    );
    legend.append(item);
  }
  legend.append(
    h('span', {
      class: 'legend-note',
      text: '● positive  ○ negative (lighter)  — density contours',
    }),
  );

  const alphaFor = (n: number): number =>
    Math.max(0.25, Math.min(0.9, 0.9 * Math.sqrt(6000 / Math.max(1, n))));
  const sizeFor = (n: number): number => (n > 50_000 ? 3 : n > 10_000 ? 4 : n > 2000 ? 5 : 7);

  // Typed arrays, no per-point allocation: the first draw of 100k+ rows stays short.
  const brightBuf = new Uint32Array(sc.rows);
  const dimBuf = new Uint32Array(sc.rows);
  const chosen = new Uint8Array(sc.rows);
  function indices(): { bright: Uint32Array; dim: Uint32Array } {
    const selected = model!.selected;
    if (selected) {
      chosen.fill(0);
      for (const i of selected) chosen[i] = 1;
    }
    let nb = 0;
    let nd = 0;
    const label = sc!.label;
    // Negatives first so the positives (filled) stay on top.
    for (const pass of [-1, 1])
      for (let i = 0; i < sc!.rows; i++) {
        if (label[i] !== pass || !visible[i]) continue;
        if (selected && !chosen[i]) dimBuf[nd++] = i;
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

  const ring = (g: CanvasRenderingContext2D, i: number, color: string, radius: number): void => {
    const [x, y] = toScreen(i);
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    g.arc(x, y, radius, 0, 2 * Math.PI);
    g.stroke();
  };

  let path: number[] = [];
  function paintOverlay(): void {
    const g = overlay.getContext('2d');
    if (!g) return;
    const ratio = window.devicePixelRatio || 1;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, overlay.width, overlay.height);
    if (contours && contoursBox.checked) {
      const r = wrap.getBoundingClientRect();
      strokeContours(g, contours, view, r.width, r.height, ratio, ctx.theme.fg);
    }
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (model!.focused >= 0 && visible[model!.focused])
      ring(g, model!.focused, ctx.theme.accent, 9);
    if (hovered >= 0) ring(g, hovered, ctx.theme.fg, 7);
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

  function filtered(): void {
    let pos = 0;
    for (let i = 0; i < sc!.rows; i++) if (visible[i] && sc!.label[i] === 1) pos++;
    const shown = model!.visibleCount;
    const neg = shown - pos;
    canvas.setAttribute('data-behavior', model!.filter.behavior);
    for (const item of legend.querySelectorAll('.legend-item'))
      item.classList.toggle(
        'off',
        Boolean(model!.filter.behavior) &&
          item.getAttribute('data-behavior') !== model!.filter.behavior,
      );
    count.textContent = `${shown.toLocaleString()} of ${sc!.rows.toLocaleString()} rows shown (${pos.toLocaleString()} positive, ${neg.toLocaleString()} negative) · ${describe(sc!)}, computed once with the report in ${(sc!.projection.ms / 1000).toFixed(1)} s`;
    contours = null;
    paint();
    scheduleContours();
  }

  // The contours come in a task of their own after the points: each main-thread task stays short.
  let contourTimer: number | undefined;
  function scheduleContours(): void {
    window.clearTimeout(contourTimer);
    canvas.removeAttribute('data-contours');
    contourTimer = window.setTimeout(() => {
      const t0 = performance.now();
      contours = densityContours(pts.xy, visible, model!.visibleCount);
      canvas.setAttribute('data-contours', String(contours.levels.length));
      canvas.setAttribute('data-contours-ms', String(Math.round(performance.now() - t0)));
      paintOverlay();
    }, 0);
  }

  function size(): void {
    if (!renderer) return;
    const r = wrap.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    renderer.resize(r.width, r.height, ratio);
    overlay.width = Math.round(r.width * ratio);
    overlay.height = Math.round(r.height * ratio);
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
    const flags = model.flagsOf(i);
    const cluster = model.clusterOf(i);
    tooltip.replaceChildren(
      h('div', {
        class: 'tooltip-meta',
        text: `${behaviorOf(i)} · ${sc.label[i] === 1 ? 'positive' : 'negative'} · ${formatPosition(fileOf(i), sc.line[i])}${cluster ? ` · cluster ${cluster}` : ''}${flags.length ? ` · ${flags.join(', ')}` : ''}`,
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
      const inside: number[] = [];
      for (let i = 0; i < sc.rows; i++) {
        if (!visible[i]) continue;
        const [x, y] = toScreen(i);
        if (x < 0 || y < 0 || x > r.width || y > r.height) continue;
        if (insidePolygon(x, y, path)) inside.push(i);
      }
      path = [];
      model.select(inside.length ? Uint32Array.from(inside) : null);
      return;
    }
    path = [];
    if (d.moved) return;
    const i = pointAt(e);
    if (i >= 0) {
      model.focus(i);
      ctx.host.post({ type: 'reveal', file: fileOf(i), line: sc.line[i] });
    }
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
  contoursBox.addEventListener('change', paintOverlay);
  model.onChange((why) => {
    if (why === 'filter') filtered();
    else if (why === 'selection') paint();
    else paintOverlay();
  });

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
    filtered();
    // The first draw's main-thread time (colors, upload, indices, draw call), for the tests.
    canvas.setAttribute('data-draw-ms', String(Math.round(performance.now() - started)));
    document.body.setAttribute('data-scatter-ready', 'true');
  };
  if (typeof ResizeObserver === 'function')
    new ResizeObserver(() => {
      size();
      paint();
    }).observe(wrap);
  return {
    el,
    draw,
    onSelect: (name) => {
      if (names.includes(name) && model.filter.behavior !== '' && model.filter.behavior !== name)
        model.set({ behavior: name });
    },
  };
}
