import { HalfRows, type RowData } from './half.js';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import type { Example } from '../dataset/types.js';
import type { Embeddings } from '../embed/types.js';
import { writeAtomically } from './atomic-write.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** numpy aligns the data so that it can be memory-mapped; it pads the header to 64 bytes. */
const ALIGN = 64;
const WRITE_SLICE = 64 * 1024 * 1024;

/**
 * The NPY v1.0 header for a C-order float32 array of the given shape, padded with spaces and a
 * final newline so that magic + version + length + header is a multiple of 64 bytes.
 *
 * Written by hand rather than with npyjs: its `dump` pads to 8 bytes (numpy expects 64 for
 * aligned reads) and builds header and data in one new buffer, doubling the memory of a large
 * matrix; streaming the Float32Array behind a 10-line header avoids both.
 */
export function npyHeader(shape: readonly number[], descr = '<f4'): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const padding = (ALIGN - (unpadded % ALIGN)) % ALIGN;
  const text = `${dict}${' '.repeat(padding)}\n`;
  if (text.length > 0xffff) throw new Error('NPY header too long for format version 1.0');
  const header = Buffer.alloc(MAGIC.length + 4 + text.length);
  MAGIC.copy(header, 0);
  header[6] = 1; // major version
  header[7] = 0; // minor version
  header.writeUInt16LE(text.length, 8);
  header.write(text, 10, 'latin1');
  return header;
}

/**
 * The bytes of `data` in little-endian order (float32, or the bits of half storage), without
 * copying on little-endian hosts.
 */
function littleEndianBytes(data: RowData): Buffer {
  const view = data instanceof HalfRows ? data.bits : data;
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  if (endianness() === 'LE') return bytes;
  return data instanceof HalfRows ? Buffer.from(bytes).swap16() : Buffer.from(bytes).swap32();
}

/** One line of rows.jsonl: what row i of embeddings.npy is. */
export interface RowRecord {
  behavior: string;
  label: 1 | -1;
  file: string;
  line: number;
  pair?: number;
}

export function rowRecord(example: Example): RowRecord {
  const row: RowRecord = {
    behavior: example.behavior,
    label: example.label,
    file: example.file,
    line: example.line,
  };
  if (example.pair !== undefined) row.pair = example.pair;
  return row;
}

/**
 * Writes DIR/embeddings.npy (float32 '<f4', or '<f2' for a matrix stored as float16; shape (N, d),
 * C order, NPY 1.0) and DIR/rows.jsonl
 * (line i describes row i: behavior, label, file, line, and pair for pairwise data), so the
 * matrix can be studied in numpy: `np.load("embeddings.npy")`.
 */
export async function writeEmbeddingsNpy(
  dir: string,
  embeddings: Embeddings<RowData>,
  examples: readonly Example[],
): Promise<{ npy: string; rows: string }> {
  const { data, rows, dim } = embeddings;
  if (data.length !== rows * dim) {
    throw new Error(`embeddings hold ${data.length} values, expected ${rows} x ${dim}`);
  }
  if (examples.length !== rows) {
    throw new Error(`${examples.length} examples for ${rows} embedding rows`);
  }
  await mkdir(dir, { recursive: true });
  const npyPath = path.join(dir, 'embeddings.npy');
  const rowsPath = path.join(dir, 'rows.jsonl');

  // Each file is written beside its target and renamed over it: never a truncated matrix.
  await writeAtomically(npyPath, async (temporary) => {
    const handle = await open(temporary, 'w');
    try {
      let position = 0;
      for (const part of [
        npyHeader([rows, dim], data instanceof HalfRows ? '<f2' : '<f4'),
        littleEndianBytes(data),
      ]) {
        // In slices: one write call cannot take more than 2 GiB.
        for (let offset = 0; offset < part.length;) {
          const length = Math.min(part.length - offset, WRITE_SLICE);
          const { bytesWritten } = await handle.write(part, offset, length, position);
          offset += bytesWritten;
          position += bytesWritten;
        }
      }
    } finally {
      await handle.close();
    }
  });

  await writeAtomically(rowsPath, async (temporary) => {
    const out = createWriteStream(temporary, { encoding: 'utf8' });
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    for (const example of examples) {
      if (!out.write(`${JSON.stringify(rowRecord(example))}\n`))
        await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  });
  return { npy: npyPath, rows: rowsPath };
}
