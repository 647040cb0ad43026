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
}

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
