/**
 * The report's sidecar: per-row data next to the report (the JSON report stays per behavior).
 * The CLI writes it as `<report>.rows.json` beside `--json`; the extension and the standalone
 * HTML page carry it in the payload. Columns are parallel arrays, one entry per row of the
 * mixture, in reading order (file by file, line by line).
 */
export interface ReportSidecar {
  version: 1;
  /** Rows of the mixture: every array below has this length. */
  rows: number;
  projection: ProjectionInfo;
  /** Names indexed by `behavior`: the report's `behaviors[].name`, in that order. */
  behaviors: string[];
  /** Files indexed by `file`. */
  files: string[];
  /** Map coordinates (UMAP or PCA units, no meaning beyond nearness), rounded to 4 decimals. */
  x: number[];
  y: number[];
  /** Index into `behaviors`; -1 for a row of a behavior the analysis left out. */
  behavior: number[];
  /** +1 preferred / behavior-matching side, -1 the other side. */
  label: (1 | -1)[];
  file: number[];
  /** 1-based line of the row's record in its file. */
  line: number[];
  /** The row's display text, cut to SIDECAR_MAX_TEXT characters (hover text). */
  text: string[];
  /**
   * Characters of the row's whole embedded text (before the cut above): the browse table's length
   * column and filter. Absent in sidecars written before it.
   */
  length?: number[];
  /** Per-row flag kinds (e.g. 'possible-label-error'), indexed by the bits of `flags`; at most 31. */
  flagKinds?: string[];
  /** Per row, a bit mask over flagKinds (bit k set: the row carries flagKinds[k]); 0: none. */
  flags?: number[];
  /**
   * Discovered clusters (behavior discovery), indexed by `cluster`; absent when the report has
   * none. The browse table and the map filter by it when present.
   */
  clusters?: string[];
  /** Index into `clusters` per row; -1 for a row in no cluster. */
  cluster?: number[];
  /**
   * "Open similar examples": per row, the k rows nearest by cosine similarity of their embeddings
   * (most similar first, ties: the earlier row) and those cosines (6 decimals). Every row has its
   * list up to NEIGHBOURS_ALL_ROWS (5,000) rows; beyond, only the listed label hints do (as many
   * as 25M cosines allow), the other lists are empty. Absent in sidecars written before it.
   */
  neighbours?: SidecarNeighbours;
}

export interface SidecarNeighbours {
  k: number;
  /** Per row: row indices (into these columns), at most k. */
  rows: number[][];
  cosine: number[][];
}

/** Rows (indices in reading order) that carry one kind of per-row flag. */
export interface RowFlag {
  kind: string;
  rows: readonly number[];
}

/** Per-row cluster assignment handed to the sidecar (names, and an index per row, -1: none). */
export interface RowClusters {
  names: readonly string[];
  of: ArrayLike<number>;
}

/** The most flag kinds one sidecar carries (bits of a 32-bit signed integer, sign bit unused). */
export const MAX_FLAG_KINDS = 31;

export interface ProjectionInfo {
  method: 'umap' | 'pca';
  /** Why this method: the row count against the UMAP limit. */
  reason: string;
  seed: number;
  /** PCA components fitted (on `pcaSample` rows) before UMAP, or the two shown. */
  pcaDims: number;
  pcaSample: number;
  nNeighbors?: number;
  minDist?: number;
  epochs?: number;
  /** Wall-clock milliseconds of the projection (PCA + UMAP). */
  ms: number;
}
