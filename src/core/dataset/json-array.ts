import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * One top-level element of a JSON array file, or a fault in the array around the elements.
 * Positions are 1-based lines and UTF-16 columns, as editors show them.
 */
export type ArrayItem =
  | {
      kind: 'element';
      line: number;
      column: number;
      /** The element's JSON text ('' when it is longer than the limit). */
      text: string;
      /** Byte range of the element in the file (absent for overlays). */
      offset?: number;
      bytes: number;
      /** Set when the element is longer than maxBytes: its length in bytes. */
      tooLongBytes?: number;
    }
  | { kind: 'fault'; line: number; column: number; message: string };

export interface ArrayScanOptions {
  overlay?: string;
  signal?: AbortSignal;
  onProgress?: (bytesRead: number) => void;
  /** Longest element held as text; a longer one is reported by its size only. */
  maxBytes: number;
}

const BOM = [0xef, 0xbb, 0xbf];
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Whether a .json file holds a JSON array (its first non-blank character is '['). A .json file
 * that does not is read as JSON Lines: 🤗 datasets' `to_json` writes JSON Lines under .json.
 */
export async function isJsonArrayFile(file: string, overlay?: string): Promise<boolean> {
  if (overlay !== undefined) return /^\uFEFF?\s*\[/.test(overlay);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return false;
      for (let i = 0; i < bytesRead; i++) {
        const b = buffer[i];
        if (position + i < 3 && b === BOM[position + i]) continue;
        if (!isSpace(b)) return b === 0x5b;
      }
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

type State = 'start' | 'value' | 'in-value' | 'after' | 'end';

/**
 * Streams the elements of a JSON array file, never holding more than one element (and none
 * longer than maxBytes). The scan only follows strings and brackets to find where each element
 * starts and ends; each element is then parsed on its own, so one bad element is one skipped
 * record, as one bad line is in JSON Lines. Faults of the array itself (a missing comma, a
 * trailing comma, text after the closing bracket, no closing bracket) are reported with their
 * position and the scan goes on where it can.
 */
export async function* readJsonArray(
  file: string,
  options: ArrayScanOptions,
): AsyncGenerator<ArrayItem> {
  const { signal, overlay, maxBytes } = options;
  signal?.throwIfAborted();
  const chunks: AsyncIterable<Buffer> | Iterable<Buffer> =
    overlay !== undefined
      ? [Buffer.from(overlay, 'utf8')]
      : (createReadStream(file, { signal }) as AsyncIterable<Buffer>);
  let state = 'start' as State;
  let line = 1;
  let column = 1;
  let afterCr = false;
  let absolute = 0;
  // The element being read: where it started, its bytes so far, its nesting and string state.
  let parts: Buffer[] = [];
  let size = 0;
  let startLine = 0;
  let startColumn = 0;
  let startOffset = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let primitive = false;
  let bomLeft = 3;
  // The last separator was a comma: "[1,]" is a fault, "[]" is not.
  let afterComma = false;
  const out: ArrayItem[] = [];

  const fault = (message: string): void => {
    out.push({ kind: 'fault', line, column, message });
  };
  // Starts an element at byte b (file offset at); the caller sets the state to 'in-value'.
  const begin = (b: number, at: number): 'in-value' => {
    parts = [];
    size = 0;
    startLine = line;
    startColumn = column;
    startOffset = at;
    depth = 0;
    inString = b === 0x22;
    escaped = false;
    primitive = b !== 0x7b && b !== 0x5b && b !== 0x22;
    if (b === 0x7b || b === 0x5b) depth = 1;
    return 'in-value';
  };
  // Ends the element; the caller sets the state to 'after'.
  const finish = (): 'after' => {
    const item: ArrayItem = {
      kind: 'element',
      line: startLine,
      column: startColumn,
      text: '',
      bytes: size,
    };
    if (overlay === undefined) item.offset = startOffset;
    if (size > maxBytes) item.tooLongBytes = size;
    else item.text = Buffer.concat(parts, size).toString('utf8');
    parts = [];
    out.push(item);
    return 'after';
  };

  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    let from = -1; // start in this chunk of the element's bytes, while one is being read
    if (state === 'in-value') from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (bomLeft > 0) {
        if (absolute + i < 3 && b === BOM[absolute + i]) {
          bomLeft -= 1;
          continue;
        }
        bomLeft = 0;
      }
      if (state === 'in-value') {
        let ends = false;
        let endsBefore = false;
        if (primitive) {
          if (isSpace(b) || b === 0x2c || b === 0x5d) endsBefore = true;
        } else if (inString) {
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === 0x22) {
            inString = false;
            if (depth === 0) ends = true;
          }
        } else if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth += 1;
        else if (b === 0x7d || b === 0x5d) {
          depth -= 1;
          if (depth === 0) ends = true;
        }
        if (endsBefore || ends) {
          const end = ends ? i + 1 : i;
          const piece = chunk.subarray(from, end);
          size += piece.length;
          if (size <= maxBytes) parts.push(piece);
          if (ends) advance(b);
          state = finish();
          from = -1;
          if (ends) continue;
        } else {
          advance(b);
          continue;
        }
      }
      // Between elements (or at the element-ending byte of a primitive).
      if (isSpace(b)) {
        advance(b);
        continue;
      }
      if (state === 'start') {
        if (b !== 0x5b) {
          fault("a JSON array was expected: the file's first character must be '['");
          return yield* flush(out);
        }
        state = 'value';
      } else if (state === 'value') {
        if (b === 0x5d) {
          if (afterComma) fault('a value was expected after the comma');
          state = 'end';
        } else if (b === 0x2c) {
          fault('a value was expected before the comma');
          afterComma = true;
        } else {
          afterComma = false;
          state = begin(b, absolute + i);
          from = i;
          advance(b);
          continue;
        }
      } else if (state === 'after') {
        if (b === 0x2c) {
          state = 'value';
          afterComma = true;
        } else if (b === 0x5d) state = 'end';
        else {
          fault("a ',' or ']' was expected after the array element");
          state = begin(b, absolute + i);
          from = i;
          advance(b);
          continue;
        }
      } else if (state === 'end') {
        fault("unexpected text after the array's closing ']'");
        return yield* flush(out);
      }
      advance(b);
    }
    if (state === 'in-value' && from >= 0) {
      const piece = chunk.subarray(from);
      size += piece.length;
      // A slice of the chunk: the stream hands out a new buffer each time, so it stays valid.
      if (size <= maxBytes) parts.push(piece);
      else parts = [];
    }
    absolute += chunk.length;
    options.onProgress?.(absolute);
    yield* flush(out);
  }
  if (state === 'in-value') {
    finish();
    fault("the file ends inside the array: a closing ']' was expected");
  } else if (state === 'start') {
    fault("a JSON array was expected: the file's first character must be '['");
  } else if (state !== 'end') {
    fault("the file ends inside the array: a closing ']' was expected");
  }
  yield* flush(out);

  // Line and column of the next byte, given byte b. Columns count UTF-16 units: a UTF-8
  // continuation byte adds none, a 4-byte sequence's lead byte two (a surrogate pair).
  function advance(b: number): void {
    if (b === 0x0a) {
      if (!afterCr) line += 1;
      column = 1;
      afterCr = false;
      return;
    }
    afterCr = false;
    if (b === 0x0d) {
      line += 1;
      column = 1;
      afterCr = true;
      return;
    }
    if ((b & 0xc0) !== 0x80) column += b >= 0xf0 ? 2 : 1;
  }
}

function* flush(items: ArrayItem[]): Generator<ArrayItem> {
  while (items.length > 0) yield items.shift()!;
}
