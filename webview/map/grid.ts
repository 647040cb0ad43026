/** A uniform grid over the unit square: nearest-point lookups for hover in O(points per cell). */
export class PointGrid {
  private readonly start: Int32Array;
  private readonly items: Int32Array;

  constructor(
    private readonly xy: Float32Array,
    private readonly cells = 256,
  ) {
    const n = xy.length / 2;
    const count = new Int32Array(cells * cells + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      cellOf[i] = this.cell(xy[2 * i], xy[2 * i + 1]);
      count[cellOf[i] + 1]++;
    }
    for (let c = 0; c < cells * cells; c++) count[c + 1] += count[c];
    this.start = count.slice();
    this.items = new Int32Array(n);
    const fill = count.slice();
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]]++] = i;
  }

  private axis(v: number): number {
    return Math.max(0, Math.min(this.cells - 1, Math.floor(((v + 1) / 2) * this.cells)));
  }

  private cell(x: number, y: number): number {
    return this.axis(y) * this.cells + this.axis(x);
  }

  /** The nearest point within `radius` (unit-square units) that passes `visible`, or -1. */
  nearest(x: number, y: number, radius: number, visible: (i: number) => boolean): number {
    const span = Math.ceil((radius / 2) * this.cells);
    const cx = this.axis(x);
    const cy = this.axis(y);
    let best = -1;
    let bestD = radius * radius;
    for (let gy = Math.max(0, cy - span); gy <= Math.min(this.cells - 1, cy + span); gy++) {
      for (let gx = Math.max(0, cx - span); gx <= Math.min(this.cells - 1, cx + span); gx++) {
        const c = gy * this.cells + gx;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) {
          const i = this.items[k];
          const dx = this.xy[2 * i] - x;
          const dy = this.xy[2 * i + 1] - y;
          const d = dx * dx + dy * dy;
          if (d < bestD && visible(i)) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}

/** Even-odd rule: whether (x, y) lies inside the polygon [x0, y0, x1, y1, …]. */
export function insidePolygon(x: number, y: number, poly: readonly number[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 2; i < poly.length; j = i, i += 2) {
    const xi = poly[i];
    const yi = poly[i + 1];
    const xj = poly[j];
    const yj = poly[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
