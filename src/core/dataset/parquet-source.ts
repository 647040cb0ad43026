import { DatasetInputError } from './errors.js';
import { parquetCompressors } from '../io/parquet-codecs.js';

/** One Parquet row as a plain JSON-like record, with its 0-based index in the file. */
export interface ParquetRecord {
  index: number;
  value: Record<string, unknown>;
}

// hyparquet is an ES module only; a dynamic import keeps this CommonJS build working (esbuild
// bundles it) and keeps it out of runs that read no Parquet.
const readerModule = () => import('hyparquet');

/**
 * A Parquet value as JSON would hold it: INT64 columns come back from hyparquet as BigInt (an
 * integer behavior id, a score); they become numbers when exact, else decimal strings. Lists and
 * structs (TRL's message lists) are converted element by element; dates become ISO strings.
 */
export function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainValue(v);
    return out;
  }
  return value;
}

/**
 * Streams the rows of a Parquet file one row group at a time (a row group is what a Parquet
 * writer buffers too, so memory stays near one group's size). `onProgress` gets the compressed
 * bytes of the row groups read so far.
 */
export async function* readParquetRecords(
  file: string,
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): AsyncGenerator<ParquetRecord> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await readerModule();
  let buffer;
  let metadata;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new DatasetInputError(
      file,
      `${file}: not a readable Parquet file (${(error as Error).message})`,
      { cause: error },
    );
  }
  const compressors = await parquetCompressors();
  let rowStart = 0;
  let bytes = 0;
  for (const group of metadata.row_groups) {
    options.signal?.throwIfAborted();
    const rowEnd = rowStart + Number(group.num_rows);
    let rows;
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
    } catch (error) {
      throw new DatasetInputError(
        file,
        `${file}: cannot read rows ${rowStart}-${rowEnd - 1} (${(error as Error).message})`,
        { cause: error },
      );
    }
    for (let i = 0; i < rows.length; i++) {
      yield { index: rowStart + i, value: plainValue(rows[i]) as Record<string, unknown> };
    }
    bytes += Number(group.total_compressed_size ?? group.total_byte_size ?? 0);
    options.onProgress?.(bytes);
    rowStart = rowEnd;
  }
}

/** One row of a Parquet file as a plain record (the extension's read-only row view). */
export async function readParquetRow(
  file: string,
  index: number,
): Promise<Record<string, unknown> | null> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await readerModule();
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  if (index < 0 || index >= Number(metadata.num_rows)) return null;
  const rows = await parquetReadObjects({
    file: buffer,
    metadata,
    rowStart: index,
    rowEnd: index + 1,
    compressors: await parquetCompressors(),
  });
  return rows.length ? (plainValue(rows[0]) as Record<string, unknown>) : null;
}
