/**
 * Which file formats the reader takes, and how a position in each is named. A JSONL or JSON file
 * has lines and columns; a Parquet file has rows, so a Parquet row's `line` holds its 0-based row
 * index plus one (every consumer that wants a 1-based line gets one) and is shown as "row N",
 * the index pandas, 🤗 datasets and the Hub's viewer show. The faces' browser bundles read it
 * through src/shared/position.ts (no Node module here).
 */

/** The extensions a folder is searched for, and a path is taken as a dataset by. */
export const DATASET_EXTENSIONS = ['.jsonl', '.json', '.parquet'] as const;

export type DatasetFormat = 'jsonl' | 'json' | 'parquet';

/** The format a path's extension names; null when it names none of them. */
export const formatOfPath = (file: string): DatasetFormat | null => {
  // No node:path: the faces' browser bundles may format positions too.
  const ext = /\.(jsonl|json|parquet)$/i.exec(file)?.[1].toLowerCase();
  return ext === 'jsonl' || ext === 'json' || ext === 'parquet' ? ext : null;
};

export const isParquetPath = (file: string): boolean => formatOfPath(file) === 'parquet';

export const isDatasetPath = (file: string): boolean => formatOfPath(file) !== null;

/** The 0-based Parquet row index a row's `line` stands for. */
export const parquetRowIndex = (line: number): number => line - 1;

/**
 * A position as a user reads it: `file:line:column` (or `file:line`) for text files,
 * `file row N` for Parquet (N 0-based).
 */
export const formatPosition = (file: string, line: number, column?: number): string => {
  if (isParquetPath(file)) return `${file} row ${parquetRowIndex(line)}`;
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
};

/** The last part of a path, `/` or `\\` separated (no node:path: browser bundles use it too). */
export const baseName = (file: string): string => file.split(/[\\/]/).pop() ?? file;

/** `name.jsonl:12`, or `name.parquet row 11` for a Parquet row: a position without its folder. */
export const shownPosition = (file: string, line: number): string =>
  formatPosition(baseName(file), line);
