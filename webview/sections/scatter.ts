import { h, s, section } from '../dom.js';
import type { Ctx, ScatterInput, Section } from '../types.js';
import type { UmapRequest, UmapResponse } from '../worker-protocol.js';
import { behaviorSelect } from './curves.js';

const W = 640;
const H = 420;
const PAD = 16;

/** UMAP results survive re-renders (theme changes) for the same payload. */
const cache = new WeakMap<ScatterInput, Map<string, number[]>>();

function pointsOf(sc: ScatterInput, behavior: string): number[] {
  const b = sc.behaviors.indexOf(behavior);
  const idx: number[] = [];
  for (let i = 0; i < sc.behavior.length; i++) if (sc.behavior[i] === b) idx.push(i);
  return idx;
}

/** The host's first two PCA coordinates: the fallback when UMAP cannot run (too few points). */
function pca2(sc: ScatterInput, idx: number[]): number[] {
  return idx.flatMap((i) => [sc.coords[i * sc.dims], sc.dims > 1 ? sc.coords[i * sc.dims + 1] : 0]);
}

export function scatterSection(ctx: Ctx): Section {
  const sc = ctx.payload.scatter;
  const el = section(
    'scatter-section',
    'Embedding map',
    'UMAP of the positive and negative examples of one behavior (PCA-reduced by the host, seeded). Hover a point to read it, click to open its line, right-click for similar examples.',
  );
  if (!sc || !sc.behaviors.length) {
    el.append(h('p', { text: 'No embedding map in this report.' }));
    document.body.setAttribute('data-scatter-ready', 'true');
    return { el, draw: () => undefined };
  }
  let results = cache.get(sc);
  if (!results) {
    results = new Map();
    cache.set(sc, results);
  }
  const names = ctx.ranked.map((b) => b.name).filter((n) => sc.behaviors.includes(n));
  for (const n of sc.behaviors) if (!names.includes(n)) names.push(n);
  const pick = (n?: string): string => (n && names.includes(n) ? n : names[0]);
  let current = pick(ctx.ui.scatterBehavior ?? ctx.ui.curveBehavior);
  let worker: Worker | null = null;
  let requestId = 0;

  const progress = h('progress', { id: 'scatter-progress', attrs: { max: '1', value: '0' } });
  const status = h('span', { id: 'scatter-status', class: 'meta' });
  const count = h('p', { id: 'scatter-count', class: 'meta' });
  const svg = s('svg', {
    id: 'scatter',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': 'UMAP scatter of examples',
  });
  const tooltip = h('div', { id: 'scatter-tooltip', class: 'tooltip', attrs: { role: 'tooltip' } });
  const select = behaviorSelect('scatter-behavior', names, current, (n) => {
    current = n;
    ctx.ui.scatterBehavior = n;
    ctx.save();
    show();
  });
  const legend = h(
    'div',
    { class: 'legend' },
    h('span', { class: 'swatch pos' }),
    'positive (matches the behavior)',
    h('span', { class: 'swatch neg' }),
    'negative',
    h('span', { class: 'swatch suspect' }),
    'possible label error',
  );
  el.append(
    h(
      'div',
      { class: 'toolbar' },
      h('label', { text: 'Behavior ', attrs: { for: 'scatter-behavior' } }),
      select,
      progress,
      status,
    ),
    count,
    h('div', { class: 'scatter-wrap' }, svg, tooltip),
    legend,
  );

  const suspectsOf = (name: string): Set<string> =>
    new Set(
      (ctx.report.behaviors.find((b) => b.name === name)?.suspects ?? []).map(
        (x) => `${x.file}:${x.line}`,
      ),
    );

  function plot(idx: number[], xy: number[], how: string): void {
    svg.replaceChildren();
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let k = 0; k < idx.length; k++) {
      minX = Math.min(minX, xy[2 * k]);
      maxX = Math.max(maxX, xy[2 * k]);
      minY = Math.min(minY, xy[2 * k + 1]);
      maxY = Math.max(maxY, xy[2 * k + 1]);
    }
    const sx = (x: number): number => PAD + ((x - minX) / (maxX - minX || 1)) * (W - 2 * PAD);
    const sy = (y: number): number => H - PAD - ((y - minY) / (maxY - minY || 1)) * (H - 2 * PAD);
    const suspects = suspectsOf(current);
    let pos = 0;
    let neg = 0;
    // Negatives first so the (usually fewer) positives stay visible on top.
    const order = idx.map((_, k) => k).sort((a, b) => sc!.label[idx[a]] - sc!.label[idx[b]]);
    for (const k of order) {
      const i = idx[k];
      const file = sc!.files[sc!.file[i]] ?? '';
      const label = sc!.label[i];
      if (label === 1) pos++;
      else neg++;
      const suspect = suspects.has(`${file}:${sc!.line[i]}`);
      svg.append(
        s('circle', {
          cx: sx(xy[2 * k]).toFixed(1),
          cy: sy(xy[2 * k + 1]).toFixed(1),
          r: suspect ? 5 : 3.5,
          class: `pt ${label === 1 ? 'pos' : 'neg'}${suspect ? ' suspect' : ''}`,
          'data-index': i,
          'data-file': file,
          'data-line': sc!.line[i],
          'data-label': label,
        }),
      );
    }
    svg.setAttribute('data-points', String(idx.length));
    svg.setAttribute('data-positive', String(pos));
    svg.setAttribute('data-negative', String(neg));
    svg.setAttribute('data-behavior', current);
    svg.setAttribute('data-state', how);
    count.textContent = `${current}: ${idx.length} examples (${pos} positive, ${neg} negative) · the map holds ${sc!.behavior.length} of ${sc!.total} rows · ${how === 'umap' ? `UMAP of ${sc!.dims} PCA components, seed ${sc!.seed}` : 'first two PCA components'}`;
    document.body.setAttribute('data-scatter-ready', 'true');
  }

  function show(): void {
    worker?.terminate();
    worker = null;
    const id = ++requestId;
    const idx = pointsOf(sc!, current);
    const done = results!.get(current);
    svg.setAttribute('data-behavior', current);
    if (done) {
      progress.hidden = true;
      status.textContent = '';
      plot(idx, done, 'umap');
      return;
    }
    if (idx.length < 8) {
      progress.hidden = true;
      status.textContent = 'too few points for UMAP';
      plot(idx, pca2(sc!, idx), 'pca');
      return;
    }
    document.body.removeAttribute('data-scatter-ready');
    svg.setAttribute('data-state', 'running');
    progress.hidden = false;
    progress.value = 0;
    status.textContent = 'computing UMAP…';
    const points: number[] = [];
    for (const i of idx)
      for (let d = 0; d < sc!.dims; d++) points.push(sc!.coords[i * sc!.dims + d]);
    const request: UmapRequest = {
      id,
      points,
      n: idx.length,
      dims: sc!.dims,
      seed: sc!.seed,
      nNeighbors: 15,
      minDist: 0.1,
    };
    const fallback = (why: string): void => {
      if (id !== requestId) return;
      progress.hidden = true;
      status.textContent = `UMAP unavailable (${why}); showing PCA`;
      plot(idx, pca2(sc!, idx), 'pca');
    };
    ctx.host
      .createWorker()
      .then((w) => {
        if (id !== requestId) {
          w.terminate();
          return;
        }
        worker = w;
        w.onmessage = (e: MessageEvent<UmapResponse>) => {
          const m = e.data;
          if (m.id !== requestId) return;
          if (m.type === 'progress') {
            progress.value = m.epoch / m.epochs;
            status.textContent = `UMAP epoch ${m.epoch + 1} of ${m.epochs}`;
          } else if (m.type === 'done') {
            results!.set(current, m.embedding);
            progress.hidden = true;
            status.textContent = '';
            w.terminate();
            worker = null;
            plot(idx, m.embedding, 'umap');
          } else {
            fallback(m.message);
          }
        };
        w.onerror = (e) => fallback(e.message || 'worker error');
        w.postMessage(request);
      })
      .catch((e: unknown) => fallback(e instanceof Error ? e.message : String(e)));
  }

  svg.addEventListener('mouseover', (e) => {
    const target = e.target as Element;
    if (!target.classList.contains('pt')) return;
    const i = Number(target.getAttribute('data-index'));
    tooltip.replaceChildren(
      h('div', {
        class: 'tooltip-meta',
        text: `${sc.label[i] === 1 ? 'positive' : 'negative'} · ${sc.files[sc.file[i]] ?? ''}:${sc.line[i]}`,
      }),
      h('div', { class: 'tooltip-text', text: sc.text[i] ?? '' }),
    );
    const wrap = svg.getBoundingClientRect();
    const pt = target.getBoundingClientRect();
    tooltip.style.left = `${Math.min(pt.left - wrap.left + 10, wrap.width - 320)}px`;
    tooltip.style.top = `${pt.top - wrap.top + 10}px`;
    tooltip.classList.add('show');
  });
  svg.addEventListener('mouseout', (e) => {
    if ((e.target as Element).classList.contains('pt')) tooltip.classList.remove('show');
  });
  svg.addEventListener('click', (e) => {
    const target = e.target as Element;
    if (!target.classList.contains('pt')) return;
    ctx.host.post({
      type: 'reveal',
      file: target.getAttribute('data-file') ?? '',
      line: Number(target.getAttribute('data-line')),
    });
  });

  // Right-click: the host lists the nearest examples by embedding (VS Code's "similar examples").
  svg.addEventListener('contextmenu', (e) => {
    const target = e.target as Element;
    if (!target.classList.contains('pt')) return;
    e.preventDefault();
    ctx.host.post({
      type: 'openSimilar',
      behavior: current,
      file: target.getAttribute('data-file') ?? '',
      line: Number(target.getAttribute('data-line')),
    });
  });

  return {
    el,
    draw: show,
    onSelect: (name) => {
      if (names.includes(name) && name !== current) {
        current = name;
        select.value = name;
        ctx.ui.scatterBehavior = name;
        show();
      }
    },
  };
}
