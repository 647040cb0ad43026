/**
 * Density contours of the map's visible points (d3-contour's kernel density on a grid), drawn as
 * lines over the points: where 100k translucent points pile up, the alpha saturates and the
 * lines still say where the mass is. Computed once per filter change in the map's unit square,
 * drawn per frame through the current view; rings are plain coordinate arrays (no Path2D), so the
 * same code runs in a DOM without canvas support.
 */
import { contourDensity, type ContourMultiPolygon } from 'd3-contour';
import type { View } from './renderer.js';

/** Grid side in density pixels for the unit square [-1, 1]². */
const GRID = 256;
/** Kernel bandwidth in density pixels (about 1.5% of the square). */
const BANDWIDTH = 4;
/** Contour levels as fractions of the peak density. */
const LEVELS = [0.05, 0.15, 0.35, 0.6];
/** Below this many points there is nothing to summarize: each point is its own mark. */
const MIN_POINTS = 50;

/** d3-contour's density.contours(data): the contour at a level, and the peak density. */
type DensityAt = ((value: number) => ContourMultiPolygon) & { readonly max: number };

export interface Contours {
  /** Density levels drawn, as fractions of the peak (empty: none drawn). */
  levels: number[];
  /** Per level, rings of [x0, y0, x1, y1, …] in grid pixels (0..GRID, y down). */
  rings: Float32Array[][];
}

export function densityContours(xy: Float32Array, visible: Uint8Array, count: number): Contours {
  if (count < MIN_POINTS) return { levels: [], rings: [] };
  const rows = new Uint32Array(count);
  let n = 0;
  for (let i = 0; i < visible.length && n < count; i++) if (visible[i]) rows[n++] = i;
  const density = contourDensity<number>()
    .x((i) => ((xy[2 * i] + 1) / 2) * GRID)
    .y((i) => ((1 - xy[2 * i + 1]) / 2) * GRID)
    .size([GRID, GRID])
    .cellSize(2)
    .bandwidth(BANDWIDTH);
  // density.contours (d3-contour 4: one grid, any level) is missing from @types/d3-contour 3;
  // d3 reads any iterable of row indices.
  const contour = (density as unknown as { contours(data: Iterable<number>): DensityAt }).contours(
    rows,
  );
  const peak = contour.max;
  if (!(peak > 0)) return { levels: [], rings: [] };
  const rings = LEVELS.map((f) =>
    contour(f * peak).coordinates.flatMap((polygon) =>
      polygon.map((ring) => Float32Array.from(ring.flat())),
    ),
  );
  return { levels: LEVELS, rings };
}

/** Strokes the contours through the view (zoom, offset) onto a canvas of w × h CSS pixels. */
export function strokeContours(
  g: CanvasRenderingContext2D,
  c: Contours,
  view: View,
  w: number,
  h: number,
  ratio: number,
  color: string,
): void {
  // Grid pixel → screen pixel: the map's unit-square transform, folded into one scale and shift.
  const ax = ((view.zoom * w) / GRID) * ratio;
  const bx = ((view.ox + 1 - view.zoom) / 2) * w * ratio;
  const ay = ((view.zoom * h) / GRID) * ratio;
  const by = ((1 - view.zoom - view.oy) / 2) * h * ratio;
  g.save();
  g.strokeStyle = color;
  c.rings.forEach((rings, level) => {
    // Inner (denser) levels a little stronger.
    g.globalAlpha = 0.25 + 0.15 * level;
    g.lineWidth = ratio;
    g.beginPath();
    for (const ring of rings) {
      g.moveTo(ring[0] * ax + bx, ring[1] * ay + by);
      for (let k = 2; k < ring.length; k += 2) g.lineTo(ring[k] * ax + bx, ring[k + 1] * ay + by);
      g.closePath();
    }
    g.stroke();
  });
  g.restore();
}
