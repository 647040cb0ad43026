import { readJsonArray, isJsonArrayFile } from './json-array.js';
import { MAX_LINE_BYTES, readLines } from './lines.js';
import { readParquetRecords } from './parquet-source.js';
import { formatOfPath } from './position.js';

/**
 * One record's worth of input, whatever the file's format: a JSONL line, a JSON array element,
 * a Parquet row, or a fault of a JSON array between its elements. The reader (read.ts) turns
 * each into rows or a skipped entry the same way.
 */
export interface SourceItem {
  /** 1-based line where the record starts; for Parquet the row index plus one. */
  line: number;
  /** 1-based column where `text` starts. */
  column: number;
  /** The record's JSON text; '' for a Parquet row and for a record longer than the limit. */
  text: string;
  /** An empty or whitespace-only JSONL line. */
  blank?: boolean;
  /** The record was longer than the limit: its size in bytes. */
  tooLongBytes?: number;
  /** Byte range of the record's text in the file, so a row's text can be read back. */
  offset?: number;
  bytes?: number;
  /** A record that came parsed (Parquet). */
  value?: Record<string, unknown>;
  /** A fault of a JSON array around its elements. */
  fault?: string;
}

export interface SourceOptions {
  overlay?: string;
  signal?: AbortSignal;
  onProgress?: (bytesRead: number) => void;
  /** Longest record held as text (default MAX_LINE_BYTES). */
  maxBytes?: number;
}

/**
 * The records of one file: .parquet by row, .json by array element when it holds an array
 * (otherwise, like .jsonl and any other name, by line: 🤗 datasets writes JSON Lines as .json).
 */
export async function* readSourceItems(
  file: string,
  options: SourceOptions,
): AsyncGenerator<SourceItem> {
  const format = formatOfPath(file);
  if (format === 'parquet' && options.overlay === undefined) {
    for await (const row of readParquetRecords(file, options)) {
      yield { line: row.index + 1, column: 1, text: '', value: row.value };
    }
    return;
  }
  if (format === 'json' && (await isJsonArrayFile(file, options.overlay))) {
    const maxBytes = options.maxBytes ?? MAX_LINE_BYTES;
    for await (const item of readJsonArray(file, { ...options, maxBytes })) {
      if (item.kind === 'fault') {
        yield { line: item.line, column: item.column, text: '', fault: item.message };
        continue;
      }
      const out: SourceItem = { line: item.line, column: item.column, text: item.text };
      if (item.tooLongBytes !== undefined) out.tooLongBytes = item.tooLongBytes;
      if (item.offset !== undefined) {
        out.offset = item.offset;
        out.bytes = item.bytes;
      }
      yield out;
    }
    return;
  }
  for await (const line of readLines(file, {
    overlay: options.overlay,
    signal: options.signal,
    onProgress: options.onProgress && ((read) => options.onProgress!(read)),
    maxLineBytes: options.maxBytes,
  })) {
    const out: SourceItem = { line: line.line, column: 1, text: line.text };
    if (line.tooLongBytes !== undefined) out.tooLongBytes = line.tooLongBytes;
    else if (line.text.trim() === '') out.blank = true;
    if (line.offset !== undefined) {
      out.offset = line.offset;
      out.bytes = line.bytes;
    }
    yield out;
  }
}

/**
 * The first record of a file that parses as a JSON object, read as the reader reads it (the
 * extension sniffs a file's schema with it before choosing a mixture); null when the first
 * non-blank record is not one, or there is none.
 */
export async function firstRecord(
  file: string,
  overlay?: string,
): Promise<Record<string, unknown> | null> {
  for await (const item of readSourceItems(file, { overlay })) {
    if (item.blank) continue;
    if (item.value !== undefined) return item.value;
    if (item.fault !== undefined || item.tooLongBytes !== undefined) return null;
    try {
      const value: unknown = JSON.parse(item.text);
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : null;
    } catch {
      return null;
    }
  }
  return null;
}
