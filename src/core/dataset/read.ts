import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DigestTable } from '../digest-table.js';
import { DatasetInputError, DatasetSchemaError } from './errors.js';
import { locateJsonError } from './json-position.js';
import { valueOffset } from './json-scan.js';
import { sourceSize } from './lines.js';
import { formatOfPath, formatPosition } from './position.js';
import { isJsonArrayFile } from './json-array.js';
import { readSourceItems } from './sources.js';
import { isHubUri, resolveHubDataset } from './hub.js';
import { defaultDatasetCacheDir } from '../embed/paths.js';
import type { MultipleChoiceMode } from './multiple-choice.js';
import { convertRecord, type RowContent } from './records.js';
import { FileRows, StoredExample } from './stored-rows.js';
import {
  chooseBehaviorField,
  describeAllSchemas,
  detectSchema,
  isRecord,
  matchesSchema,
  resolveFields,
  SCHEMA_ROLES,
  type FieldNames,
} from './schema.js';
import type {
  BehaviorRowCounts,
  DatasetFile,
  Example,
  LineCounts,
  ReadOptions,
  SchemaName,
  SkippedLine,
  SkipReason,
} from './types.js';

/**
 * How many non-blank lines may go by without a record that reveals the schema before the file is
 * declared unreadable. They are held in memory meanwhile, so this also bounds that buffer.
 */
export const DETECTION_WINDOW = 1000;

/**
 * The behavior a file stands for when records carry none: its name without the extension
 * (.jsonl, .json, .parquet) and without a 🤗 shard suffix ("train-00000-of-00004.parquet" is
 * "train", so the shards of one split are one behavior).
 */
export function behaviorFromFileName(file: string): string {
  return path
    .basename(file)
    .replace(/\.(jsonl|json|parquet)$/i, '')
    .replace(/-\d{5}-of-\d{5}$/, '');
}

interface Pending {
  line: number;
  /** 1-based column where `text` starts: 1 for a JSONL line, anywhere for an array element. */
  column: number;
  /** The record's JSON text ('' for a Parquet row, which has none). */
  text: string;
  /** A fault of a JSON array around its elements: reported as invalid JSON. */
  fault?: string;
  parsed: { ok: true; value: unknown } | { ok: false; error: unknown };
  /** The line was longer than the reader's limit: its length in bytes (text is then empty). */
  tooLongBytes?: number;
  /** Byte range of the line in the file on disk (absent for overlays). */
  offset?: number;
  bytes?: number;
}

const tooLongMessage = (bytes: number): string => `line too long (${bytes} bytes)`;

interface Place {
  line: number;
  column: number;
}

/** 0-based offset of the first non-blank character of a record's text. */
const firstNonBlank = (text: string): number => {
  const match = /\S/.exec(text);
  return match ? match.index : 0;
};

/**
 * The file position of character `offset` of a pending record's text: a record of a JSON array
 * may start mid-line and span lines, a JSONL line starts at column 1 and spans none.
 */
function placeOf(p: Pending, offset: number): Place {
  let line = p.line;
  let lineStart = -1;
  const text = p.text;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i += 1;
      line += 1;
      lineStart = i;
    }
  }
  return lineStart < 0 ? { line, column: p.column + end } : { line, column: end - lineStart };
}

/** Where a pending record starts. */
const startOf = (p: Pending): Place => placeOf(p, firstNonBlank(p.text));

/** Where the value at `path` is in a pending record, or where the record starts. */
const valuePlace = (p: Pending, path: ReadonlyArray<string | number>): Place => {
  const offset = p.text === '' ? undefined : valueOffset(p.text, path);
  return offset === undefined ? startOf(p) : placeOf(p, offset);
};

/** Reads one JSONL dataset. `file` is resolved to an absolute path, which every row carries. */
export async function readDataset(file: string, options: ReadOptions = {}): Promise<DatasetFile> {
  const absolute = path.resolve(file);
  const total = await sizeOf(absolute, options);
  const progress = options.onProgress;
  return readResolved(absolute, options, 0, progress && ((read) => progress(read, total)));
}

/**
 * Reads files and folders (a folder stands for its own dataset files, not its subfolders, in
 * code-point order of their names: *.jsonl, *.parquet and the *.json files that hold an array). Symbolic links are followed, to files and to folders.
 * Paths that name the same file twice (also through links) are read once. Pair ids are unique across
 * the returned files. The first file that fails (unreadable, or no known schema) rejects the call.
 */
export async function readDatasets(
  paths: readonly string[],
  options: ReadOptions = {},
): Promise<DatasetFile[]> {
  const files = await expandDatasetPaths(paths, options);
  const sizes = await Promise.all(files.map((f) => sizeOf(f, options)));
  const total = sizes.reduce((a, b) => a + b, 0);
  const results: DatasetFile[] = [];
  let done = 0;
  let pairBase = 0;
  for (let i = 0; i < files.length; i++) {
    const base = done;
    const progress = options.onProgress;
    const result = await readResolved(
      files[i],
      options,
      pairBase,
      progress && ((read) => progress(base + read, total)),
    );
    results.push(result);
    done += sizes[i];
    for (const example of result.examples) {
      if (example.pair !== undefined) pairBase = Math.max(pairBase, example.pair + 1);
    }
  }
  return results;
}

/**
 * The absolute dataset files that `paths` stand for, deduplicated, in a deterministic order.
 * Symbolic links are followed (Hugging Face caches, DVC and git-annex store data as links); a
 * file keeps the name of the link that led to it, which is what names its behavior. A link that
 * leads nowhere, or in a circle, rejects the call with a message saying so.
 */
export async function expandDatasetPaths(
  paths: readonly string[],
  options: Pick<ReadOptions, 'overlays' | 'hub' | 'signal'> = {},
): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  // Keyed by the real path, so a file named directly and through a link is read once.
  const add = async (file: string) => {
    const key = await realpath(file).catch(() => file);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(file);
    }
  };
  for (const given of paths) {
    if (isHubUri(given)) {
      // A Hub split: its Parquet shards in the dataset cache (downloaded there if allowed).
      const hub = options.hub ?? {};
      const shards = await resolveHubDataset(given, {
        allowDownload: hub.allowDownload ?? false,
        cacheDir: hub.cacheDir ?? defaultDatasetCacheDir(),
        endpoint: hub.endpoint,
        signal: options.signal,
      });
      for (const shard of shards) await add(shard);
      continue;
    }
    const absolute = path.resolve(given);
    if (options.overlays?.has(absolute)) {
      // Unsaved editor text: it may have no file on disk.
      await add(absolute);
      continue;
    }
    const info = await statFollowing(absolute, given);
    if (!info.isDirectory()) {
      await add(absolute);
      continue;
    }
    const entries = await readdir(absolute, { withFileTypes: true });
    const names: string[] = [];
    for (const entry of entries) {
      const format = formatOfPath(entry.name);
      if (format === null) continue;
      const full = path.join(absolute, entry.name);
      if (!(await isDataFile(entry, full, given))) continue;
      // A .json object in a folder is usually metadata (dataset_info.json, state.json), not
      // JSON Lines: a folder takes a .json file only when it holds an array.
      if (format === 'json' && !(await isJsonArrayFile(full).catch(() => false))) continue;
      names.push(entry.name);
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (names.length === 0) {
      throw new DatasetInputError(
        given,
        `${given}: the folder has no .jsonl files (nor .parquet files or .json arrays)`,
      );
    }
    for (const name of names) await add(path.join(absolute, name));
  }
  return out;
}

/** A folder entry that is a file, or a link to one (a link to a folder is a subfolder). */
async function isDataFile(entry: Dirent, full: string, folder: string): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  const shown = path.join(folder, entry.name);
  return (await statFollowing(full, shown)).isFile();
}

/** stat() with a message naming what went wrong: a missing path, a broken link, a link loop. */
async function statFollowing(absolute: string, shown: string): Promise<Stats> {
  try {
    return await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    let message = `${shown}: no such file or folder`;
    if (code === 'ELOOP') {
      message = `${shown}: symlink loop`;
    } else if (code === 'EACCES' || code === 'EPERM') {
      message = `${shown}: permission denied`;
    } else if (code === 'ENOENT' || code === 'ENOTDIR') {
      const link = await lstat(absolute).catch(() => null);
      if (link?.isSymbolicLink()) {
        const target = await readlink(absolute).catch(() => '?');
        message = `${shown}: broken symlink -> ${target}`;
      }
    }
    throw new DatasetInputError(shown, message, { cause: error });
  }
}

async function sizeOf(file: string, options: ReadOptions): Promise<number> {
  try {
    return await sourceSize(file, options.overlays?.get(file));
  } catch (error) {
    throw new DatasetInputError(file, `${file}: cannot read the file`, { cause: error });
  }
}

function parseLine(text: string): Pending['parsed'] {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * A record's identity for duplicate detection: SHA-256 of its behavior and its rows (labels and
 * texts, each length-prefixed so that no two different records give the same input). Holding
 * 32 bytes per record instead of its texts lets `check` validate a file of any size in little
 * memory; two different records colliding has probability about 2^-128.
 */
function recordKey(behavior: string, rows: readonly RowContent[]): Buffer {
  const hash = createHash('sha256');
  hash.update(`${behavior.length}:`).update(behavior);
  for (const row of rows) hash.update(`|${row.label}:${row.text.length}:`).update(row.text);
  return hash.digest();
}

/**
 * The field --rebalance-out adds to every line it writes (src/core/io/rebalance.ts): the line's
 * behavior and which copy of its record it is (0: the original, 1, 2, ...: upsampled copies).
 */
export const REBALANCE_MARKER = '_preference_lens';

export function rebalanceMarker(
  record: Record<string, unknown>,
): { behavior: string; copy: number } | null {
  const m = record[REBALANCE_MARKER];
  if (!isRecord(m) || typeof m.behavior !== 'string' || m.behavior.trim() === '') return null;
  return { behavior: m.behavior, copy: typeof m.copy === 'number' ? m.copy : 0 };
}

/** Per-file state: rows and skips gathered as lines stream by. */
class FileReader {
  readonly examples: Example[] = [];
  readonly skipped: SkippedLine[] = [];
  readonly counts: LineCounts = { lines: 0, records: 0, skipped: 0, blank: 0 };
  /** Rows per behavior and answer, counted whether or not the rows are kept. */
  readonly rowCounts: Record<string, BehaviorRowCounts> = {};
  /** recordKey -> line of the first record with that key (a DigestTable: ~50 bytes a record). */
  private readonly seen = new DigestTable();
  private readonly defaultBehavior: string;
  private nextPair: number;
  /** Where the rows' texts are on disk, when they are not held (keepTexts: false). */
  private readonly stored: FileRows | null;
  /** Records read in answer-token form that option-text would split (DatasetFile.splittableChoices). */
  private splittable = 0;
  /** Behavior names, one string each, whatever the record they were parsed from. */
  private readonly behaviors = new Map<string, string>();
  /** Positions are Parquet rows: messages say "row N", not "line N". */
  private readonly parquet: boolean;

  constructor(
    readonly file: string,
    readonly schema: SchemaName,
    readonly names: FieldNames,
    readonly behaviorField: string | null,
    pairBase: number,
    private readonly keepDuplicates: boolean,
    private readonly keepRows: boolean,
    storeTexts: boolean,
    private readonly multipleChoice?: MultipleChoiceMode,
  ) {
    this.defaultBehavior = behaviorFromFileName(file);
    this.parquet = formatOfPath(file) === 'parquet';
    this.nextPair = pairBase;
    this.stored = storeTexts ? new FileRows(file, schema, names, multipleChoice) : null;
  }

  private skip(place: Place, reason: SkipReason, message: string): void {
    this.counts.skipped += 1;
    this.skipped.push({ file: this.file, line: place.line, column: place.column, reason, message });
  }

  private behaviorOf(record: Record<string, unknown>, pending: Pending): string | null {
    // A line written by --rebalance-out names its behavior (one merged file keeps them apart).
    const marker = rebalanceMarker(record);
    if (marker) return marker.behavior;
    const field = this.behaviorField;
    if (field === null) return this.defaultBehavior;
    const value = record[field];
    if (
      value === undefined ||
      value === null ||
      (typeof value === 'string' && value.trim() === '')
    ) {
      const place = value === undefined ? startOf(pending) : valuePlace(pending, [field]);
      this.skip(place, 'missing-field', `missing behavior field "${field}"`);
      return null;
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      const got = Array.isArray(value) ? 'array' : typeof value;
      this.skip(
        valuePlace(pending, [field]),
        'wrong-type',
        `behavior field "${field}" must be a string, got ${got}`,
      );
      return null;
    }
    const name = String(value).trim();
    const known = this.behaviors.get(name);
    if (known !== undefined) return known;
    this.behaviors.set(name, name);
    return name;
  }

  accept(pending: Pending): void {
    const { line, text, parsed } = pending;
    if (pending.tooLongBytes !== undefined) {
      this.skip(
        { line, column: pending.column },
        'line-too-long',
        tooLongMessage(pending.tooLongBytes),
      );
      return;
    }
    if (pending.fault !== undefined) {
      this.skip({ line, column: pending.column }, 'invalid-json', `invalid JSON: ${pending.fault}`);
      return;
    }
    if (!parsed.ok) {
      const where = locateJsonError(text, parsed.error);
      this.skip(placeOf(pending, where.column - 1), 'invalid-json', where.message);
      return;
    }
    const record = parsed.value;
    if (!isRecord(record)) {
      const got =
        record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`;
      this.skip(startOf(pending), 'not-an-object', `expected a JSON object, got ${got}`);
      return;
    }
    const behavior = this.behaviorOf(record, pending);
    if (behavior === null) return;
    const outcome = convertRecord(record, {
      schema: this.schema,
      names: this.names,
      behavior,
      multipleChoice: this.multipleChoice,
    });
    if (!outcome.ok) {
      const place = outcome.path ? valuePlace(pending, outcome.path) : startOf(pending);
      this.skip(place, outcome.reason, outcome.message);
      return;
    }
    // A line written by --rebalance-out is never a duplicate: its writer kept only records the
    // reader had kept, and their repeats (marker copy 1, 2, ...; shuffled, so a copy may come
    // before its original) are the upsampling.
    const intended = rebalanceMarker(record) !== null;
    if (!this.keepDuplicates && !intended) {
      // Same behavior and the same rows (texts and labels) as an earlier record of this file.
      const key = recordKey(behavior, outcome.rows);
      const earlier = this.seen.getOrAdd(key, line);
      if (earlier !== undefined) {
        const what = this.parquet ? `row ${earlier - 1}` : `line ${earlier}`;
        this.skip(startOf(pending), 'duplicate', `duplicate of ${what}`);
        return;
      }
    }
    this.counts.records += 1;
    if (outcome.splittable) this.splittable += 1;
    const tally = (this.rowCounts[behavior] ??= { positive: 0, negative: 0 });
    for (const row of outcome.rows) {
      if (row.label === 1) tally.positive += 1;
      else tally.negative += 1;
    }
    if (!this.keepRows) return;
    const column = startOf(pending).column;
    const pair = outcome.rows.length > 1 ? this.nextPair++ : undefined;
    const stored = this.stored;
    if (stored && pending.offset !== undefined && pending.bytes !== undefined) {
      const facts = { behavior, line, column, pair };
      outcome.rows.forEach((row, part) => {
        const index = stored.add(pending.offset!, pending.bytes!, part, row, facts);
        this.examples.push(new StoredExample(stored, index));
      });
      return;
    }
    for (const row of outcome.rows) {
      const example: Example = {
        text: row.text,
        behavior,
        label: row.label,
        file: this.file,
        line,
        column,
      };
      if (pair !== undefined) example.pair = pair;
      if (row.display !== undefined) example.display = row.display;
      if (row.score !== undefined) example.score = row.score;
      if (row.promptChars) example.promptChars = row.promptChars;
      this.examples.push(example);
    }
  }

  result(): DatasetFile {
    const out: DatasetFile = {
      file: this.file,
      schema: this.schema,
      examples: this.examples,
      skipped: this.skipped,
      counts: this.counts,
    };
    if (!this.keepRows) out.rowCounts = this.rowCounts;
    if (this.behaviorField !== null) out.behaviorField = this.behaviorField;
    if (this.splittable > 0) out.splittableChoices = this.splittable;
    if (this.multipleChoice === 'option-text') out.multipleChoice = 'option-text';
    return out;
  }
}

async function readResolved(
  file: string,
  options: ReadOptions,
  pairBase: number,
  onProgress: ((bytesRead: number) => void) | undefined,
): Promise<DatasetFile> {
  const names = resolveFields(options.fields);
  const pending: Pending[] = [];
  let blankBeforeStart = 0;
  let totalLines = 0;
  let reader: FileReader | null = null;

  const start = (schema: SchemaName, deciding: unknown): FileReader => {
    const record = isRecord(deciding) ? deciding : {};
    const field = chooseBehaviorField(schema, record, options.behaviorField, names);
    const keep = options.duplicates === 'keep';
    const rows = options.keepRows ?? true;
    // Overlays are in memory already: their rows keep their texts, read from the overlay.
    const storeTexts = rows && options.keepTexts === false && !options.overlays?.has(file);
    const created = new FileReader(
      file,
      schema,
      names,
      field,
      pairBase,
      keep,
      rows,
      storeTexts,
      options.multipleChoice,
    );
    created.counts.blank = blankBeforeStart;
    for (const p of pending) created.accept(p);
    pending.length = 0;
    return created;
  };

  try {
    for await (const item of readSourceItems(file, {
      overlay: options.overlays?.get(file),
      signal: options.signal,
      onProgress: onProgress && ((read) => onProgress(read)),
      maxBytes: options.maxLineBytes,
    })) {
      totalLines += 1;
      const { line, column, text, tooLongBytes, offset, bytes, fault } = item;
      if (item.blank) {
        if (reader) reader.counts.blank += 1;
        else blankBeforeStart += 1;
        continue;
      }
      if (tooLongBytes !== undefined || fault !== undefined) {
        const entry: Pending = { line, column, text, parsed: { ok: true, value: null } };
        if (tooLongBytes !== undefined) entry.tooLongBytes = tooLongBytes;
        if (fault !== undefined) entry.fault = fault;
        if (reader) reader.accept(entry);
        else if (pending.push(entry) >= DETECTION_WINDOW) break;
        continue;
      }
      const parsed: Pending['parsed'] =
        item.value !== undefined ? { ok: true, value: item.value } : parseLine(text);
      const entry: Pending = { line, column, text, parsed, offset, bytes };
      if (reader) {
        reader.accept(entry);
        continue;
      }
      pending.push(entry);
      const value = parsed.ok ? parsed.value : null;
      const schema = options.schema
        ? matchesSchema(value, options.schema, options.fields)
          ? options.schema
          : null
        : detectSchema(value, options.fields);
      if (schema) {
        reader = start(schema, value);
      } else if (pending.length >= DETECTION_WINDOW) {
        break;
      }
    }
  } catch (error) {
    // The stream reports an abort with its own AbortError; callers get the signal's reason.
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (error instanceof DatasetSchemaError || error instanceof DatasetInputError) throw error;
    throw new DatasetInputError(file, `${file}: cannot read the file`, { cause: error });
  }

  if (!reader) {
    if (options.schema) reader = start(options.schema, firstObject(pending));
    else throw schemaError(file, pending, names);
  }
  reader.counts.lines = totalLines;
  return reader.result();
}

function firstObject(pending: readonly Pending[]): unknown {
  for (const p of pending) if (p.parsed.ok && isRecord(p.parsed.value)) return p.parsed.value;
  return null;
}

function schemaError(
  file: string,
  pending: readonly Pending[],
  names: FieldNames,
): DatasetSchemaError {
  const expected = Object.fromEntries(
    Object.entries(SCHEMA_ROLES).map(([schema, roles]) => [schema, roles.map((r) => names[r])]),
  ) as Record<SchemaName, string[]>;
  const hint =
    'Choose the schema or map the field names (CLI: --schema, --field key=name; VS Code: preferenceLens.schema, preferenceLens.fields).';
  const schemas = `Expected one of: ${describeAllSchemas(names)}.`;
  const object = pending.find((p) => p.parsed.ok && isRecord(p.parsed.value));
  if (object && object.parsed.ok && isRecord(object.parsed.value)) {
    const fields = Object.keys(object.parsed.value);
    const unit = formatOfPath(file) === 'parquet' ? 'rows' : 'lines';
    const scope =
      pending.length >= DETECTION_WINDOW ? `the first ${DETECTION_WINDOW} ${unit}` : 'the file';
    return new DatasetSchemaError(
      file,
      object.line,
      fields,
      expected,
      `${formatPosition(file, object.line)}: no record in ${scope} matches a known dataset schema. ` +
        `Fields found: ${fields.length ? fields.join(', ') : '(none)'}. ${schemas} ${hint}`,
    );
  }
  if (pending.length === 0) {
    return new DatasetSchemaError(
      file,
      0,
      [],
      expected,
      `${file}: the file has no records. ${schemas}`,
    );
  }
  const first = pending[0];
  const why =
    first.tooLongBytes !== undefined
      ? tooLongMessage(first.tooLongBytes)
      : first.fault !== undefined
        ? `invalid JSON: ${first.fault}`
        : first.parsed.ok
          ? 'it is not a JSON object'
          : locateJsonError(first.text, first.parsed.error).message;
  return new DatasetSchemaError(
    file,
    first.line,
    [],
    expected,
    `${formatPosition(file, first.line)}: no JSON object found, so the schema cannot be detected (line ${first.line}: ${why}). ${schemas} ${hint}`,
  );
}
