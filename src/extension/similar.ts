/**
 * "Open similar examples": nearest rows by cosine similarity of their embeddings. The host keeps
 * the last AnalyzeResult, so this needs no model call.
 */
import type { RowData } from '../core/io/half.js';
import type { Example } from '../core/dataset/types.js';
import { toFloat32 } from '../core/io/half.js';
import type { Embeddings } from '../core/embed/types.js';

export interface Neighbour {
  index: number;
  similarity: number;
}

/** Row of the example at (file, 1-based line); the first row when a pair gives two. */
export const findExample = (examples: readonly Example[], file: string, line: number): number =>
  examples.findIndex((e) => e.file === file && e.line === line);

export const nearestByCosine = (
  emb: Embeddings<RowData>,
  query: number,
  k: number,
): Neighbour[] => {
  const { dim, rows } = emb;
  // The map's neighbours of one row: a float32 copy of a half matrix is the simple way here.
  const data = toFloat32(emb.data);
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[r * dim + j] * data[r * dim + j];
    norms[r] = Math.sqrt(s) || 1;
  }
  const q = query * dim;
  const best: Neighbour[] = [];
  for (let r = 0; r < rows; r++) {
    if (r === query) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[q + j] * data[r * dim + j];
    const similarity = s / (norms[query] * norms[r]);
    if (best.length < k || similarity > best[best.length - 1].similarity) {
      best.push({ index: r, similarity });
      best.sort((a, b) => b.similarity - a.similarity);
      if (best.length > k) best.pop();
    }
  }
  return best;
};
