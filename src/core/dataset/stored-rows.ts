import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { DIGEST_BYTES, textDigest } from '../digest.js';
import { DatasetChangedError } from './errors.js';
import { convertRecord, type RowContent } from './records.js';
import type { MultipleChoiceMode } from './multiple-choice.js';
import { isRecord, type FieldNames } from './schema.js';
import type { Example, SchemaName } from './types.js';

/**
 * Rows per chunk of FileRows' columns. Full chunks are never copied; the last one starts small (a
 * dataset of a few rows takes a few KiB) and doubles until it is full.
 */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const FIRST_CAPACITY = 256;
const HAS_DISPLAY = 0x80;
const NEGATIVE = 0x40;
const PART = 0x3f;
const NO_PAIR = -1;

/**
 * One chunk of columns: where each row's line is, which row of its record it is, its label,
 * behavior, line, column and pair, the length of its text, its digest.
 */
interface Chunk {
  offsets: Float64Array;
  bytes: Uint32Array;
  lengths: Uint32Array;
  /** RowContent.promptChars, 0 when the row has no prompt. */
  prompts: Uint32Array;
  lines: Uint32Array;
  columns: Uint32Array;
  behaviors: Uint32Array;
  pairs: Int32Array;
  flags: Uint8Array;
  /** The row's score, NaN when it has none. */
  scores: Float64Array;
  digests: Uint8Array;
}

const newChunk = (capacity: number): Chunk => ({
  offsets: new Float64Array(capacity),
  bytes: new Uint32Array(capacity),
  lengths: new Uint32Array(capacity),
  prompts: new Uint32Array(capacity),
  lines: new Uint32Array(capacity),
  columns: new Uint32Array(capacity),
  behaviors: new Uint32Array(capacity),
  pairs: new Int32Array(capacity),
  flags: new Uint8Array(capacity),
  scores: new Float64Array(capacity),
  digests: new Uint8Array(capacity * DIGEST_BYTES),
});

/** `chunk` with twice its capacity (at most CHUNK rows), its rows copied. */
const grown = (chunk: Chunk): Chunk => {
  const next = newChunk(Math.min(CHUNK, chunk.offsets.length * 2));
  for (const key of Object.keys(chunk) as (keyof Chunk)[]) {
    (next[key] as Uint8Array).set(chunk[key] as Uint8Array);
  }
  return next;
};

/** What a stored row holds besides its line's range and its text's digest. */
export interface RowFacts {
  behavior: string;
  line: number;
  column: number;
  pair?: number;
}

/**
 * The rows of one file on disk, held as columns (about 80 bytes a row, whatever its text):
 * the byte range of its line, which row of the record it is, its label, behavior, position and
 * pair, the length of its text and its textDigest. A text is read back by parsing its line again
 * and checked against the digest, so a file changed since it was read is reported
 * (DatasetChangedError), never silently used.
 */
export class FileRows {
  private readonly chunks: Chunk[] = [];
  private count = 0;
  private readonly behaviorNames: string[] = [];
  private readonly behaviorIndex = new Map<string, number>();

  constructor(
    readonly file: string,
    private readonly schema: SchemaName,
    private readonly names: FieldNames,
    private readonly multipleChoice?: MultipleChoiceMode,
  ) {}

  /** Stores row content `row`, the `part`-th row of the record at [offset, offset + bytes). */
  add(offset: number, bytes: number, part: number, row: RowContent, facts: RowFacts): number {
    const index = this.count++;
    const at = index & MASK;
    if (at === 0) this.chunks.push(newChunk(index === 0 ? FIRST_CAPACITY : CHUNK));
    const last = this.chunks.length - 1;
    if (at >= this.chunks[last].offsets.length) this.chunks[last] = grown(this.chunks[last]);
    const chunk = this.chunks[last];
    let behavior = this.behaviorIndex.get(facts.behavior);
    if (behavior === undefined) {
      behavior = this.behaviorNames.push(facts.behavior) - 1;
      this.behaviorIndex.set(facts.behavior, behavior);
    }
    chunk.offsets[at] = offset;
    chunk.bytes[at] = bytes;
    chunk.lengths[at] = row.text.length;
    chunk.prompts[at] = row.promptChars ?? 0;
    chunk.lines[at] = facts.line;
    chunk.columns[at] = facts.column;
    chunk.behaviors[at] = behavior;
    chunk.pairs[at] = facts.pair ?? NO_PAIR;
    chunk.flags[at] =
      part | (row.label === -1 ? NEGATIVE : 0) | (row.display === undefined ? 0 : HAS_DISPLAY);
    chunk.scores[at] = row.score ?? NaN;
    chunk.digests.set(textDigest(row.text), at * DIGEST_BYTES);
    return index;
  }

  private chunk(index: number): Chunk {
    return this.chunks[index >>> CHUNK_BITS];
  }

  digest(index: number): Uint8Array {
    const at = (index & MASK) * DIGEST_BYTES;
    return this.chunk(index).digests.subarray(at, at + DIGEST_BYTES);
  }

  textLength(index: number): number {
    return this.chunk(index).lengths[index & MASK];
  }

  /** Leading code units of the row's text that are its prompt (0: none). */
  promptChars(index: number): number {
    return this.chunk(index).prompts[index & MASK];
  }

  hasDisplay(index: number): boolean {
    return (this.chunk(index).flags[index & MASK] & HAS_DISPLAY) !== 0;
  }

  label(index: number): 1 | -1 {
    return this.chunk(index).flags[index & MASK] & NEGATIVE ? -1 : 1;
  }

  behavior(index: number): string {
    return this.behaviorNames[this.chunk(index).behaviors[index & MASK]];
  }

  /** Gives row `index` another behavior (behavior discovery assigns clusters after reading). */
  setBehavior(index: number, name: string): void {
    let behavior = this.behaviorIndex.get(name);
    if (behavior === undefined) {
      behavior = this.behaviorNames.push(name) - 1;
      this.behaviorIndex.set(name, behavior);
    }
    this.chunk(index).behaviors[index & MASK] = behavior;
  }

  line(index: number): number {
    return this.chunk(index).lines[index & MASK];
  }

  column(index: number): number {
    return this.chunk(index).columns[index & MASK];
  }

  score(index: number): number | undefined {
    const score = this.chunk(index).scores[index & MASK];
    return Number.isNaN(score) ? undefined : score;
  }

  pair(index: number): number | undefined {
    const pair = this.chunk(index).pairs[index & MASK];
    return pair === NO_PAIR ? undefined : pair;
  }

  /** Byte range of row `index`'s line. */
  range(index: number): { offset: number; bytes: number } {
    const chunk = this.chunk(index);
    return { offset: chunk.offsets[index & MASK], bytes: chunk.bytes[index & MASK] };
  }

  /** Row `index`'s content from its line's bytes, as read back: checked against the digest. */
  decode(index: number, raw: Buffer): RowContent {
    const { offset } = this.range(index);
    let text = raw.toString('utf8');
    if (offset === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const changed = () => new DatasetChangedError(this.file, this.line(index));
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      throw changed();
    }
    if (!isRecord(record)) throw changed();
    const outcome = convertRecord(record, {
      schema: this.schema,
      names: this.names,
      behavior: this.behavior(index),
      multipleChoice: this.multipleChoice,
    });
    const part = this.chunk(index).flags[index & MASK] & PART;
    const content = outcome.ok ? outcome.rows[part] : undefined;
    if (!content || !textDigest(content.text).equals(this.digest(index))) throw changed();
    return content;
  }

  /** Row `index`'s content, read synchronously (a few shown texts: previews, hovers). */
  readSync(index: number): RowContent {
    const { offset, bytes } = this.range(index);
    const raw = Buffer.alloc(bytes);
    const changed = () => new DatasetChangedError(this.file, this.line(index));
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      throw changed();
    }
    try {
      if (readSync(fd, raw, 0, bytes, offset) !== bytes) throw changed();
    } finally {
      closeSync(fd);
    }
    return this.decode(index, raw);
  }
}

/**
 * A row whose text stays on disk (ReadOptions.keepTexts: false): two references, its file's
 * FileRows and its index there, which hold everything else. `text` and `display` are read back
 * from the file each time they are read; bulk access (embedding) goes through readRowContents, one
 * open file and one read per row.
 */
export class StoredExample implements Example {
  constructor(
    readonly source: FileRows,
    readonly index: number,
  ) {}

  get file(): string {
    return this.source.file;
  }

  get behavior(): string {
    return this.source.behavior(this.index);
  }

  set behavior(name: string) {
    this.source.setBehavior(this.index, name);
  }

  get label(): 1 | -1 {
    return this.source.label(this.index);
  }

  get line(): number {
    return this.source.line(this.index);
  }

  get column(): number {
    return this.source.column(this.index);
  }

  get pair(): number | undefined {
    return this.source.pair(this.index);
  }

  get score(): number | undefined {
    return this.source.score(this.index);
  }

  get text(): string {
    return this.source.readSync(this.index).text;
  }

  get promptChars(): number | undefined {
    return this.source.promptChars(this.index) || undefined;
  }

  get display(): string | undefined {
    return this.source.hasDisplay(this.index)
      ? this.source.readSync(this.index).display
      : undefined;
  }
}

/**
 * The contents of `rows` (in that order): a row that holds its text gives it, a StoredExample is
 * read back from its file, each file opened once and read in offset order.
 */
export async function readRowContents(
  rows: readonly Example[],
  signal?: AbortSignal,
): Promise<RowContent[]> {
  const out = new Array<RowContent>(rows.length);
  const byFile = new Map<FileRows, number[]>();
  rows.forEach((row, i) => {
    if (!(row instanceof StoredExample)) {
      out[i] = { text: row.text, label: row.label, display: row.display };
      if (row.promptChars) out[i].promptChars = row.promptChars;
      return;
    }
    const list = byFile.get(row.source);
    if (list) list.push(i);
    else byFile.set(row.source, [i]);
  });
  for (const [file, positions] of byFile) {
    signal?.throwIfAborted();
    const stored = positions.map((i) => rows[i] as StoredExample);
    const order = positions.map((_, k) => k);
    order.sort((a, b) => file.range(stored[a].index).offset - file.range(stored[b].index).offset);
    let handle;
    try {
      handle = await open(file.file, 'r');
    } catch {
      throw new DatasetChangedError(file.file, stored[order[0]].line);
    }
    try {
      for (const k of order) {
        const row = stored[k];
        const { offset, bytes } = file.range(row.index);
        const raw = Buffer.alloc(bytes);
        const { bytesRead } = await handle.read(raw, 0, bytes, offset);
        if (bytesRead !== bytes) throw new DatasetChangedError(file.file, row.line);
        out[positions[k]] = file.decode(row.index, raw);
      }
    } finally {
      await handle.close();
    }
  }
  return out;
}

/** textDigest of a row's text, without reading a stored row back. */
export const rowDigest = (row: Example): Uint8Array =>
  row instanceof StoredExample ? row.source.digest(row.index) : textDigest(row.text);

/** UTF-16 length of a row's text, without reading a stored row back. */
export const rowTextLength = (row: Example): number =>
  row instanceof StoredExample ? row.source.textLength(row.index) : row.text.length;

/** A row's prompt length in UTF-16 code units (0: no prompt), without reading a stored row back. */
export const rowPromptChars = (row: Example): number =>
  row instanceof StoredExample ? row.source.promptChars(row.index) : (row.promptChars ?? 0);
