/**
 * The sidecar's nearest rows ("Open similar examples"): for each query row, the k other rows of
 * largest cosine similarity of their embeddings, most similar first, ties broken by the earlier
 * row. The cosine is dot(a, b) / (‖a‖ ‖b‖) over the float32 values, summed in float64 in
 * coordinate order (a zero row counts as norm 1), so a face shows the same figures as a plain
 * loop over the rows would give.
 *
 * Cost: rows² · dim / 2 multiply-adds when every row is a query (each pair once, used for both of
 * its rows); queries · rows · dim otherwise. The caller keeps that bounded (NEIGHBOURS_ALL_ROWS).
 */
import { HalfRows, readRows, toFloat32, type RowData } from '../io/half.js';
import type { Embeddings } from '../embed/types.js';

/** Neighbours kept per row: the quick pick "Open similar examples" lists this many. */
export const SIDECAR_NEIGHBOURS = 15;

/**
 * Up to this many rows every row gets its neighbours (the UMAP limit: the rows the map draws as
 * a neighbourhood map). Beyond it only the listed label hints do, at most NEIGHBOURS_WORK /
 * rows of them: the work stays at most that of a run of this size.
 */
export const NEIGHBOURS_ALL_ROWS = 5000;
export const NEIGHBOURS_WORK = NEIGHBOURS_ALL_ROWS * NEIGHBOURS_ALL_ROWS;

export interface NearestRows {
  k: number;
  /** The query rows, in the order of the lists below. */
  queries: Int32Array;
  /** queries.length × k row indices, most similar first; -1 pads a list shorter than k. */
  index: Int32Array;
  /** The cosines of `index` (NaN in the padding). */
  cosine: Float64Array;
}

/** Rows per block of targets: a block's float32 rows stay in cache while every query passes. */
const BLOCK = 64;

/**
 * `queries` null: every row (each pair computed once). The queries must be distinct rows.
 */
export function nearestRows(
  emb: Embeddings<RowData>,
  queries: ArrayLike<number> | null,
  k: number = SIDECAR_NEIGHBOURS,
): NearestRows {
  const { rows: n, dim } = emb;
  const all = queries === null;
  const q = all ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from(queries);
  const nq = q.length;
  const index = new Int32Array(nq * k).fill(-1);
  const cosine = new Float64Array(nq * k).fill(NaN);
  const count = new Int32Array(nq);

  /** Offers row r at similarity s to query slot i: kept among the k first by (s desc, r asc). */
  const offer = (i: number, r: number, s: number): void => {
    const base = i * k;
    let c = count[i];
    if (c === k) {
      const ls = cosine[base + k - 1];
      if (!(s > ls || (s === ls && r < index[base + k - 1]))) return;
      c = k - 1;
    } else count[i] = c + 1;
    let p = c;
    while (p > 0) {
      const ps = cosine[base + p - 1];
      if (ps > s || (ps === s && index[base + p - 1] < r)) break;
      cosine[base + p] = ps;
      index[base + p] = index[base + p - 1];
      p--;
    }
    cosine[base + p] = s;
    index[base + p] = r;
  };

  // Norms from the float32 values, in float64.
  const norms = new Float64Array(n);
  const scratch = new Float32Array(BLOCK * dim);
  const block = (from: number, to: number): Float32Array => {
    if (emb.data instanceof HalfRows) {
      const rowsOf = { length: to - from } as ArrayLike<number>;
      const ids = Int32Array.from(rowsOf, (_, j) => from + j);
      readRows(emb.data, dim, ids, 0, ids.length, scratch, 0);
      return scratch;
    }
    return emb.data.subarray(from * dim, to * dim);
  };
  for (let t0 = 0; t0 < n; t0 += BLOCK) {
    const t1 = Math.min(n, t0 + BLOCK);
    const x = block(t0, t1);
    for (let r = 0; r < t1 - t0; r++) {
      let s = 0;
      const o = r * dim;
      for (let j = 0; j < dim; j++) s += x[o + j] * x[o + j];
      norms[t0 + r] = Math.sqrt(s) || 1;
    }
  }

  // The query rows as float32 (all rows: the whole matrix).
  const qx = all ? toFloat32(emb.data) : new Float32Array(nq * dim);
  if (!all) {
    if (emb.data instanceof HalfRows) readRows(emb.data, dim, q, 0, nq, qx, 0);
    else
      q.forEach((r, i) =>
        qx.set((emb.data as Float32Array).subarray(r * dim, r * dim + dim), i * dim),
      );
  }

  for (let t0 = 0; t0 < n; t0 += BLOCK) {
    const t1 = Math.min(n, t0 + BLOCK);
    const x = all ? qx.subarray(t0 * dim, t1 * dim) : block(t0, t1);
    // All rows: query i meets the targets after it (the pair serves both rows).
    const lastQuery = all ? t1 - 1 : nq;
    for (let i = 0; i < lastQuery; i++) {
      const qr = q[i];
      const qo = i * dim;
      let t = all ? Math.max(t0, qr + 1) : t0;
      for (; t + 3 < t1; t += 4) {
        const o0 = (t - t0) * dim;
        const o1 = o0 + dim;
        const o2 = o1 + dim;
        const o3 = o2 + dim;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < dim; j++) {
          const a = qx[qo + j];
          s0 += a * x[o0 + j];
          s1 += a * x[o1 + j];
          s2 += a * x[o2 + j];
          s3 += a * x[o3 + j];
        }
        pair(i, qr, t, s0);
        pair(i, qr, t + 1, s1);
        pair(i, qr, t + 2, s2);
        pair(i, qr, t + 3, s3);
      }
      for (; t < t1; t++) {
        const o = (t - t0) * dim;
        let s = 0;
        for (let j = 0; j < dim; j++) s += qx[qo + j] * x[o + j];
        pair(i, qr, t, s);
      }
    }
  }

  function pair(i: number, qr: number, t: number, dot: number): void {
    if (t === qr) return;
    const s = dot / (norms[qr] * norms[t]);
    offer(i, t, s);
    if (all) offer(t, qr, s);
  }

  return { k, queries: q, index, cosine };
}

/**
 * The query rows of a run of `rows` rows: null (all of them) up to NEIGHBOURS_ALL_ROWS, else the
 * preferred rows (the listed label hints), as many as NEIGHBOURS_WORK allows.
 */
export const neighbourQueries = (rows: number, preferred: readonly number[]): number[] | null => {
  if (rows <= NEIGHBOURS_ALL_ROWS) return null;
  const most = Math.floor(NEIGHBOURS_WORK / rows);
  return [...new Set(preferred)].filter((r) => r >= 0 && r < rows).slice(0, most);
};
