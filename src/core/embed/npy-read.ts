import { open, type FileHandle } from 'node:fs/promises';
import { halfTable } from '../io/half.js';

/** The header of a NPY file (format 1.0–3.0) and where its data starts. */
export interface NpyHeader {
  descr: string;
  shape: number[];
  dataOffset: number;
}

const MAGIC = '\x93NUMPY';

/** Reads and checks the header: C order only (what numpy.save writes by default). */
export async function readNpyHeader(handle: FileHandle, name: string): Promise<NpyHeader> {
  const head = Buffer.alloc(12);
  await handle.read(head, 0, 12, 0);
  if (head.toString('latin1', 0, 6) !== MAGIC) throw new Error(`${name} is not a NPY file`);
  const major = head[6];
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const start = 8 + lengthBytes;
  const text = Buffer.alloc(headerLength);
  await handle.read(text, 0, headerLength, start);
  const dict = text.toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw new Error(`${name}: cannot read its NPY header ${dict.trim()}`);
  if (fortran === 'True') throw new Error(`${name}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return { descr, shape, dataOffset: start + headerLength };
}

/** Row ids of a `*.row_id.npy` file (int64 or int32, little-endian, one dimension). */
export async function readNpyRowIds(path: string): Promise<Float64Array> {
  const handle = await open(path, 'r');
  try {
    const h = await readNpyHeader(handle, path);
    if (h.shape.length !== 1) throw new Error(`${path}: row ids must be one-dimensional`);
    const width = h.descr === '<i8' || h.descr === '<u8' ? 8 : h.descr === '<i4' ? 4 : 0;
    if (!width) throw new Error(`${path}: row ids must be int64 or int32, not ${h.descr}`);
    const n = h.shape[0];
    const bytes = Buffer.alloc(n * width);
    await handle.read(bytes, 0, bytes.length, h.dataOffset);
    const ids = new Float64Array(n);
    for (let i = 0; i < n; i++)
      ids[i] = width === 8 ? Number(bytes.readBigInt64LE(i * 8)) : bytes.readInt32LE(i * 4);
    return ids;
  } finally {
    await handle.close();
  }
}

/**
 * Streams the rows of a 2-D float32 or float16 NPY file in chunks of whole rows (about 64 MiB),
 * as float32: the whole file is never held in memory at once.
 */
export async function forEachNpyRowChunk(
  path: string,
  onChunk: (firstRow: number, rows: Float32Array, dim: number) => void,
  /** A float16 file's chunks as their bits instead (no float32 copy), when given. */
  onHalfChunk?: (firstRow: number, bits: Uint16Array, dim: number) => void,
): Promise<{ rows: number; dim: number }> {
  const handle = await open(path, 'r');
  try {
    const h = await readNpyHeader(handle, path);
    if (h.shape.length !== 2)
      throw new Error(`${path}: embeddings must be a 2-D array [rows, dim]`);
    const [rows, dim] = h.shape;
    const width = h.descr === '<f4' ? 4 : h.descr === '<f2' ? 2 : 0;
    if (!width) throw new Error(`${path}: embeddings must be float32 or float16, not ${h.descr}`);
    const chunkRows = Math.max(1, Math.floor((64 * 1024 * 1024) / (dim * width)));
    // Its own ArrayBuffer (not the pool's), so typed views start aligned; NPY data is little-endian.
    const buffer = Buffer.alloc(Math.max(chunkRows * dim * width, 8192));
    for (let first = 0; first < rows; first += chunkRows) {
      const count = Math.min(chunkRows, rows - first);
      const length = count * dim * width;
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(
          buffer,
          got,
          length - got,
          h.dataOffset + first * dim * width + got,
        );
        if (bytesRead === 0) throw new Error(`${path}: the file ends before its ${rows} rows`);
        got += bytesRead;
      }
      if (width === 2 && onHalfChunk) {
        onHalfChunk(first, new Uint16Array(buffer.buffer, buffer.byteOffset, count * dim), dim);
        continue;
      }
      const values = new Float32Array(count * dim);
      if (width === 4) {
        values.set(new Float32Array(buffer.buffer, buffer.byteOffset, count * dim));
      } else {
        const table = halfTable();
        const halves = new Uint16Array(buffer.buffer, buffer.byteOffset, count * dim);
        for (let k = 0; k < count * dim; k++) values[k] = table[halves[k]];
      }
      onChunk(first, values, dim);
    }
    return { rows, dim };
  } finally {
    await handle.close();
  }
}
