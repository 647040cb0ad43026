import { constants as bufferConstants } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** One physical line of a text file, without its line terminator. */
export interface SourceLine {
  /** 1-based, as editors count. */
  line: number;
  /** The line's text; '' when the line is too long (see tooLongBytes). */
  text: string;
  /**
   * Set when the line is longer than maxLineBytes: its length in UTF-8 bytes. Such a line is
   * counted but never held in memory, so `text` is empty.
   */
  tooLongBytes?: number;
  /**
   * Lines of a file on disk (not of an overlay): where the line starts in the file and its
   * length, in bytes, terminator excluded (a byte-order mark at the start of line 1 included), so
   * that the line can be read back later without holding its text.
   */
  offset?: number;
  bytes?: number;
}

export interface LineSourceOptions {
  /** Unsaved editor text to read instead of the file on disk. */
  overlay?: string;
  signal?: AbortSignal;
  /** Called as bytes are consumed; totalBytes is the file (or overlay) size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Longest line (UTF-8 bytes, terminator excluded) returned as text; default MAX_LINE_BYTES. */
  maxLineBytes?: number;
}

/**
 * Default for maxLineBytes: 256 MiB. V8 strings hold at most buffer.constants.MAX_STRING_LENGTH
 * (2^29 - 24) UTF-16 units, and a line never has more UTF-16 units than UTF-8 bytes, so any line
 * below this limit can be decoded; one above it (e.g. a whole JSON array saved as .jsonl) is no
 * preference record, and is reported instead of crashing the read with "Invalid string length".
 */
export const MAX_LINE_BYTES = Math.min(256 * 1024 * 1024, bufferConstants.MAX_STRING_LENGTH);

// Same terminators as node:readline, so disk files and editor overlays number lines alike.
const LINE_BREAK = /\r\n|\r|\n/;
const LF = 0x0a;
const CR = 0x0d;

export async function sourceSize(file: string, overlay?: string): Promise<number> {
  return overlay !== undefined ? Buffer.byteLength(overlay, 'utf8') : (await stat(file)).size;
}

/**
 * Streams the lines of a file (never reading it whole, nor any line longer than maxLineBytes) or
 * of an overlay string. Lines end at \n, \r\n or a lone \r, as in node:readline and VS Code. A
 * terminator at the very end does not produce an extra empty line, and a UTF-8 byte-order mark
 * is dropped so that columns match what an editor shows.
 */
export async function* readLines(
  file: string,
  options: LineSourceOptions = {},
): AsyncGenerator<SourceLine> {
  const { overlay, signal, onProgress } = options;
  const limit = options.maxLineBytes ?? MAX_LINE_BYTES;
  signal?.throwIfAborted();
  const total = await sourceSize(file, overlay);
  if (overlay !== undefined) {
    yield* overlayLines(overlay, limit, signal);
    onProgress?.(total, total);
    return;
  }
  const stream = createReadStream(file, { signal });
  let lineNo = 0;
  // The current line so far: slices of earlier chunks, unless it has grown past the limit.
  let parts: Buffer[] = [];
  let lineBytes = 0;
  // A chunk ended in \r: a \n at the start of the next one belongs to the same terminator.
  let afterCr = false;
  // File offsets of the current chunk and of the current line.
  let chunkStart = 0;
  let lineStart = 0;
  const finish = (): SourceLine => {
    lineNo += 1;
    let out: SourceLine;
    if (lineBytes > limit) {
      out = { line: lineNo, text: '', tooLongBytes: lineBytes };
    } else {
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, lineBytes);
      const text = bytes.toString('utf8');
      out = { line: lineNo, text: lineNo === 1 ? stripBom(text) : text };
    }
    out.offset = lineStart;
    out.bytes = lineBytes;
    parts = [];
    lineBytes = 0;
    return out;
  };
  const append = (chunk: Buffer, start: number, end: number) => {
    if (end <= start) return;
    lineBytes += end - start;
    if (lineBytes > limit) parts = [];
    else parts.push(chunk.subarray(start, end));
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      onProgress?.(stream.bytesRead, total);
      let pos = 0;
      if (afterCr && chunk.length > 0 && chunk[0] === LF) {
        pos = 1;
        lineStart = chunkStart + 1;
      }
      afterCr = false;
      // Next \n and \r at or after pos, found once each and searched again only when passed,
      // so a chunk of many short lines is scanned in linear time.
      let nextLf = chunk.indexOf(LF, pos);
      let nextCr = chunk.indexOf(CR, pos);
      while (pos < chunk.length) {
        if (nextLf !== -1 && nextLf < pos) nextLf = chunk.indexOf(LF, pos);
        if (nextCr !== -1 && nextCr < pos) nextCr = chunk.indexOf(CR, pos);
        const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
        if (end === -1) {
          append(chunk, pos, chunk.length);
          break;
        }
        append(chunk, pos, end);
        signal?.throwIfAborted();
        yield finish();
        if (chunk[end] === CR && end + 1 === chunk.length) afterCr = true;
        pos = chunk[end] === CR && chunk[end + 1] === LF ? end + 2 : end + 1;
        lineStart = chunkStart + pos;
      }
      chunkStart += chunk.length;
    }
    if (lineBytes > 0) {
      signal?.throwIfAborted();
      yield finish();
    }
  } finally {
    stream.destroy();
  }
  signal?.throwIfAborted();
  onProgress?.(total, total);
}

function* overlayLines(
  overlay: string,
  limit: number,
  signal: AbortSignal | undefined,
): Generator<SourceLine> {
  const parts = overlay.split(LINE_BREAK);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  let lineNo = 0;
  for (const text of parts) {
    signal?.throwIfAborted();
    lineNo += 1;
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit, so only long lines need counting.
    const bytes = text.length * 3 > limit ? Buffer.byteLength(text, 'utf8') : 0;
    if (bytes > limit) yield { line: lineNo, text: '', tooLongBytes: bytes };
    else yield { line: lineNo, text: lineNo === 1 ? stripBom(text) : text };
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
