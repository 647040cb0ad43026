import type { DatasetFile, Example, ReadOptions, SkippedLine } from '../dataset/types.js';
import { rowPromptChars } from '../dataset/stored-rows.js';
import { promptSettingsMetadata } from '../embed/prompt-settings.js';
import { TOOL_VERSION } from '../version.js';
import { PrecomputedInputError } from '../embed/precomputed-error.js';
import { parquetCompressors } from './parquet-codecs.js';

/** The value of `preference_lens.format` in a rows file written by this version. */
export const ROWS_FORMAT = 'preference-lens.rows/1';

/** One input file as the rows file records it (its rows are the rows with this `file`). */
export interface RowsFileEntry {
  file: string;
  schema: DatasetFile['schema'];
  rows: number;
  skipped: number;
  behaviorField?: string;
  counts?: DatasetFile['counts'];
}

export interface RowsFile {
  /** The files as they were read: rows in row_id order, skipped lines, schema. */
  files: DatasetFile[];
  rowCount: number;
  /** All key-value metadata of the file (the prompt settings included). */
  metadata: Record<string, string>;
}

// hyparquet and hyparquet-writer are ES modules only; a dynamic import keeps this CommonJS build
// working (esbuild bundles them) and keeps them out of runs that never touch Parquet.
const writerModule = () => import('hyparquet-writer');
const readerModule = () => import('hyparquet');

/**
 * Writes one Parquet row per text the analysis embeds, in the order the analysis uses them:
 * `row_id` (int64, 0-based, the index of the row in the embedding matrix), `text` (exactly the
 * embedded string), `behavior`, `label` (+1 / -1), `pair`, `file`, `line`, `column`, `display`,
 * `prompt_chars` (pairwise rows: the prompt's length in UTF-16 code units of `text`, else null).
 * The inputs, the skipped lines, the read options and the prompt settings go in the key-value
 * metadata, so the rows file alone is enough to assemble the report later.
 */
export async function writeRowsParquet(
  out: string,
  files: readonly DatasetFile[],
  read: Omit<ReadOptions, 'signal' | 'onProgress' | 'overlays'> = {},
): Promise<{ rows: number }> {
  const examples = files.flatMap((f) => f.examples);
  const n = examples.length;
  const rowId = new BigInt64Array(n);
  const label = new Int32Array(n);
  const line = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    rowId[i] = BigInt(i);
    label[i] = examples[i].label;
    line[i] = examples[i].line;
  }
  const strings = (pick: (e: Example) => string | undefined) =>
    examples.map((e) => pick(e) ?? null);
  const entries: RowsFileEntry[] = files.map((f) => ({
    file: f.file,
    schema: f.schema,
    rows: f.examples.length,
    skipped: f.skipped.length,
    ...(f.behaviorField === undefined ? {} : { behaviorField: f.behaviorField }),
    ...(f.counts === undefined ? {} : { counts: f.counts }),
  }));
  const skipped: SkippedLine[] = files.flatMap((f) => f.skipped);
  const { parquetWriteFile } = await writerModule();
  parquetWriteFile({
    filename: out,
    columnData: [
      { name: 'row_id', data: rowId, type: 'INT64', nullable: false },
      { name: 'text', data: strings((e) => e.text), type: 'STRING', nullable: false },
      { name: 'behavior', data: strings((e) => e.behavior), type: 'STRING', nullable: false },
      { name: 'label', data: label, type: 'INT32', nullable: false },
      { name: 'pair', data: examples.map((e) => e.pair ?? null), type: 'INT32' },
      { name: 'file', data: strings((e) => e.file), type: 'STRING', nullable: false },
      { name: 'line', data: line, type: 'INT32', nullable: false },
      { name: 'column', data: examples.map((e) => e.column ?? null), type: 'INT32' },
      { name: 'display', data: strings((e) => e.display), type: 'STRING' },
      // UltraFeedback-style score of the row's side, so margins survive analyze --embeddings.
      { name: 'score', data: examples.map((e) => e.score ?? null), type: 'DOUBLE' },
      // Pairwise rows: where the prompt ends in `text` (a too-long text loses the prompt's start).
      {
        name: 'prompt_chars',
        data: examples.map((e) => rowPromptChars(e) || null),
        type: 'INT32',
      },
    ],
    // Row groups of 64k rows: an outside reader (Ray Data) can split the file into tasks.
    rowGroupSize: 65536,
    kvMetadata: [
      { key: 'preference_lens.format', value: ROWS_FORMAT },
      { key: 'preference_lens.tool_version', value: TOOL_VERSION },
      { key: 'preference_lens.rows', value: String(n) },
      { key: 'preference_lens.files', value: JSON.stringify(entries) },
      { key: 'preference_lens.skipped', value: JSON.stringify(skipped) },
      { key: 'preference_lens.read_options', value: JSON.stringify(read) },
      ...promptSettingsMetadata(),
    ],
  });
  return { rows: n };
}

type RowObject = {
  row_id: bigint;
  text: string;
  behavior: string;
  label: number;
  pair: number | null;
  file: string;
  line: number;
  column: number | null;
  display: string | null;
  /** Absent from rows files written before the column existed. */
  score?: number | null;
  /** Absent in rows files written before issue #12. */
  prompt_chars?: number | null;
};

/** Reads a rows file back into the files the analysis works on (row_id order checked). */
export async function readRowsParquet(source: string): Promise<RowsFile> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await readerModule();
  const file = await asyncBufferFromFile(source);
  const md = await parquetMetadataAsync(file);
  const metadata: Record<string, string> = {};
  for (const kv of md.key_value_metadata ?? []) metadata[kv.key] = kv.value ?? '';
  if (metadata['preference_lens.format'] !== ROWS_FORMAT) {
    throw new PrecomputedInputError(
      `${source} is not a rows file of preference-lens export-rows (preference_lens.format is ${JSON.stringify(metadata['preference_lens.format'] ?? null)}, expected "${ROWS_FORMAT}")`,
    );
  }
  const entries = JSON.parse(metadata['preference_lens.files']) as RowsFileEntry[];
  const skipped = JSON.parse(metadata['preference_lens.skipped']) as SkippedLine[];
  const rows = (await parquetReadObjects({
    file,
    metadata: md,
    compressors: await parquetCompressors(),
  })) as unknown as RowObject[];
  const files: DatasetFile[] = entries.map((e) => ({
    file: e.file,
    schema: e.schema,
    examples: [],
    skipped: skipped.filter((s) => s.file === e.file),
    ...(e.behaviorField === undefined ? {} : { behaviorField: e.behaviorField }),
    ...(e.counts === undefined ? {} : { counts: e.counts }),
  }));
  // Rows of one file are contiguous and in row_id order: fill the files one after the other.
  let current = 0;
  rows.forEach((r, i) => {
    if (Number(r.row_id) !== i) {
      throw new PrecomputedInputError(
        `${source}: row ${i} has row_id ${r.row_id}; row ids must be 0..N-1 in order`,
      );
    }
    while (current < files.length && files[current].examples.length >= entries[current].rows) {
      current++;
    }
    if (current >= files.length || r.file !== files[current].file) {
      throw new PrecomputedInputError(
        `${source}: row_id ${i} (file ${r.file}) does not match the files listed in its metadata`,
      );
    }
    const example: Example = {
      text: r.text,
      behavior: r.behavior,
      label: r.label === 1 ? 1 : -1,
      file: r.file,
      line: r.line,
    };
    if (r.column !== null && r.column !== undefined) example.column = r.column;
    if (r.pair !== null && r.pair !== undefined) example.pair = r.pair;
    if (r.display !== null && r.display !== undefined) example.display = r.display;
    if (typeof r.score === 'number') example.score = r.score;
    if (r.prompt_chars) example.promptChars = r.prompt_chars;
    files[current].examples.push(example);
  });
  const listed = entries.reduce((s, e) => s + e.rows, 0);
  if (listed !== rows.length) {
    throw new PrecomputedInputError(
      `${source}: holds ${rows.length} rows, its metadata lists ${listed}`,
    );
  }
  return { files, rowCount: rows.length, metadata };
}
