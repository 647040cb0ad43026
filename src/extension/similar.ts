/**
 * "Open similar examples": the nearest rows by cosine similarity of their embeddings, as the core
 * computed them into the report's sidecar (sidecar.neighbours). No vector reaches the extension.
 */
import type { ReportSidecar } from '../core/report/sidecar-types.js';

export interface Neighbour {
  index: number;
  similarity: number;
}

/** Row of the example at (file, 1-based line); the first row when a pair gives two; -1: none. */
export const findRow = (sidecar: ReportSidecar, file: string, line: number): number => {
  const f = sidecar.files.indexOf(file);
  if (f < 0) return -1;
  for (let i = 0; i < sidecar.rows; i++)
    if (sidecar.file[i] === f && sidecar.line[i] === line) return i;
  return -1;
};

/** The row's nearest rows, most similar first; null when the sidecar keeps none for it. */
export const storedNeighbours = (sidecar: ReportSidecar, row: number): Neighbour[] | null => {
  const nb = sidecar.neighbours;
  if (!nb || (nb.rows[row].length === 0 && sidecar.rows > 1)) return null;
  return nb.rows[row].map((index, j) => ({ index, similarity: nb.cosine[row][j] }));
};
