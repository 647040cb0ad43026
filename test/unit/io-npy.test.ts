import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';
import type { Example } from '../../src/core/dataset/types.js';
import { npyHeader, writeEmbeddingsNpy } from '../../src/core/io/index.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The header fields as numpy's format module defines them, parsed by hand. */
function readHeader(bytes: Buffer) {
  const headerLength = bytes.readUInt16LE(8);
  return {
    magic: bytes.subarray(0, 6),
    version: [bytes[6], bytes[7]],
    dataOffset: 10 + headerLength,
    text: bytes.subarray(10, 10 + headerLength).toString('latin1'),
  };
}

describe('npy header', () => {
  it('is NPY 1.0, 64-byte aligned, ends in a newline, and describes a C-order <f4 matrix', () => {
    for (const shape of [[0, 384], [3, 4], [123456, 1024], [7]]) {
      const header = readHeader(npyHeader(shape));
      expect(header.magic).toEqual(Buffer.from('\x93NUMPY', 'latin1'));
      expect(header.version).toEqual([1, 0]);
      expect(header.dataOffset % 64).toBe(0);
      expect(header.text.endsWith('\n')).toBe(true);
      const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
      expect(header.text.trimEnd()).toBe(
        `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`,
      );
    }
  });
});

describe('writeEmbeddingsNpy', () => {
  let dir = '';
  let examples: Example[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plens-npy-'));
    const pairs = await readDataset(resolve(ROOT, 'examples/pairwise/harmless-pairs-string.jsonl'));
    examples = pairs.examples.slice(0, 6);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a matrix npyjs reads back exactly, and one rows.jsonl line per row', async () => {
    const rows = examples.length;
    const dim = 5;
    const data = Float32Array.from({ length: rows * dim }, (_, k) => Math.fround(Math.sin(k) * 10));
    const out = join(dir, 'nested', 'emb');
    const written = await writeEmbeddingsNpy(out, { data, rows, dim }, examples);
    expect(written).toEqual({ npy: join(out, 'embeddings.npy'), rows: join(out, 'rows.jsonl') });

    const bytes = await readFile(written.npy);
    const header = readHeader(bytes);
    expect(bytes.length).toBe(header.dataOffset + rows * dim * 4);
    const array = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(array.dtype).toBe('f4');
    expect(array.shape).toEqual([rows, dim]);
    expect(array.fortranOrder).toBe(false);
    expect(Array.from(array.data as Float32Array)).toEqual(Array.from(data));
    // C order: row 1 starts right after row 0.
    expect(bytes.readFloatLE(header.dataOffset + dim * 4)).toBe(data[dim]);

    const lines = (await readFile(written.rows, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(
      examples.map((e) => ({
        behavior: e.behavior,
        label: e.label,
        file: e.file,
        line: e.line,
        pair: e.pair,
      })),
    );
    expect(JSON.parse(lines[0])).toMatchObject({
      behavior: 'multi-turn',
      label: 1,
      line: 1,
      pair: 0,
    });
    expect(JSON.parse(lines[1])).toMatchObject({ label: -1, line: 1, pair: 0 });
  });

  it('omits pair for evals rows', async () => {
    const persona = await readDataset(resolve(ROOT, 'examples/persona/openness.jsonl'));
    const two = persona.examples.slice(0, 2);
    const written = await writeEmbeddingsNpy(
      join(dir, 'evals'),
      { data: new Float32Array(4), rows: 2, dim: 2 },
      two,
    );
    const first = JSON.parse((await readFile(written.rows, 'utf8')).split('\n')[0]);
    expect(Object.keys(first)).toEqual(['behavior', 'label', 'file', 'line']);
    expect(first.behavior).toBe('openness');
  });

  it('refuses a matrix that does not match its rows', async () => {
    const emb = { data: new Float32Array(10), rows: 5, dim: 2 };
    await expect(writeEmbeddingsNpy(dir, emb, examples)).rejects.toThrow(
      '6 examples for 5 embedding rows',
    );
    await expect(
      writeEmbeddingsNpy(dir, { data: new Float32Array(9), rows: 6, dim: 2 }, examples),
    ).rejects.toThrow('embeddings hold 9 values, expected 6 x 2');
  });
});
