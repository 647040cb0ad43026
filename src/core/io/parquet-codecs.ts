/**
 * The decompressors every Parquet read passes to hyparquet. hyparquet itself decodes only
 * uncompressed and snappy pages; pyarrow, polars and DuckDB write zstd by default or on request,
 * and Hub datasets use zstd, gzip and brotli too, so the readers take hyparquet-compressors' set
 * (snappy, gzip, brotli, zstd, lz4, lz4_raw; pure JavaScript, no native build).
 */
import type { Compressors } from 'hyparquet';

// ES module only, like hyparquet: a dynamic import keeps the CommonJS build working and keeps it
// out of runs that read no Parquet.
let loaded: Promise<Compressors> | undefined;

export const parquetCompressors = (): Promise<Compressors> =>
  (loaded ??= import('hyparquet-compressors').then((m) => m.compressors));
