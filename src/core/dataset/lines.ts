import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** One physical line of a text file, without its line terminator. */
export interface SourceLine {
  /** 1-based, as editors count. */
  line: number;
  text: string;
}

export interface LineSourceOptions {
  /** Unsaved editor text to read instead of the file on disk. */
  overlay?: string;
  signal?: AbortSignal;
  /** Called as bytes are consumed; totalBytes is the file (or overlay) size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

// Same terminators as node:readline, so disk files and editor overlays number lines alike.
const LINE_BREAK = /\r\n|\r|\n/;

export async function sourceSize(file: string, overlay?: string): Promise<number> {
  return overlay !== undefined ? Buffer.byteLength(overlay, 'utf8') : (await stat(file)).size;
}

/**
 * Streams the lines of a file (never reading it whole) or of an overlay string. A terminator at
 * the very end does not produce an extra empty line, and a UTF-8 byte-order mark is dropped so
 * that columns match what an editor shows.
 */
export async function* readLines(
  file: string,
  options: LineSourceOptions = {},
): AsyncGenerator<SourceLine> {
  const { overlay, signal, onProgress } = options;
  signal?.throwIfAborted();
  const total = await sourceSize(file, overlay);
  let lineNo = 0;
  if (overlay !== undefined) {
    const parts = overlay.split(LINE_BREAK);
    if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    for (const text of parts) {
      signal?.throwIfAborted();
      lineNo += 1;
      yield { line: lineNo, text: lineNo === 1 ? stripBom(text) : text };
    }
    onProgress?.(total, total);
    return;
  }
  const stream = createReadStream(file, { encoding: 'utf8', signal });
  if (onProgress) stream.on('data', () => onProgress(stream.bytesRead, total));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      signal?.throwIfAborted();
      lineNo += 1;
      yield { line: lineNo, text: lineNo === 1 ? stripBom(text) : text };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  signal?.throwIfAborted();
  onProgress?.(total, total);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
