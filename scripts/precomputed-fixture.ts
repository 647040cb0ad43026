/**
 * Shards for the e2e step of "Analyze priority with precomputed embeddings…": the rows of a rows
 * file (export-rows) get seeded vectors, a label direction per behavior, written as two NPY pairs
 * (NAME.npy float32 + NAME.row_id.npy int64) in reverse row order, as an outside job might.
 *
 *   npx tsx scripts/precomputed-fixture.ts ROWS.parquet OUT_DIR
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Rng } from '../src/core/analysis/rng.js';
import { npyHeader } from '../src/core/io/npy.js';
import { readRowsParquet } from '../src/core/io/parquet-rows.js';

const DIM = 32;

const main = async (rowsFile: string, out: string): Promise<void> => {
  const rows = await readRowsParquet(rowsFile);
  const examples = rows.files.flatMap((f) => f.examples);
  const names = [...new Set(examples.map((e) => e.behavior))];
  const rng = new Rng(2026);
  const n = examples.length;
  const data = new Float32Array(n * DIM);
  examples.forEach((e, i) => {
    const b = names.indexOf(e.behavior);
    for (let k = 0; k < DIM; k++)
      data[i * DIM + k] = 0.1 * rng.normal() + (k === b ? (0.3 / (b + 1)) * e.label : 0);
  });
  await mkdir(out, { recursive: true });
  const order = Array.from({ length: n }, (_, i) => n - 1 - i);
  const half = Math.floor(n / 2);
  for (const [name, ids] of [
    ['part-0', order.slice(0, half)],
    ['part-1', order.slice(half)],
  ] as const) {
    const values = new Float32Array(ids.length * DIM);
    ids.forEach((id, k) => values.set(data.subarray(id * DIM, (id + 1) * DIM), k * DIM));
    await writeFile(
      path.join(out, `${name}.npy`),
      Buffer.concat([npyHeader([ids.length, DIM]), Buffer.from(values.buffer)]),
    );
    await writeFile(
      path.join(out, `${name}.row_id.npy`),
      Buffer.concat([
        npyHeader([ids.length], '<i8'),
        Buffer.from(BigInt64Array.from(ids.map(BigInt)).buffer),
      ]),
    );
  }
  console.log(`${n} rows of ${names.length} behaviors: 2 shards in ${out}`);
};

const [rowsFile, out] = process.argv.slice(2);
if (!rowsFile || !out) throw new Error('usage: precomputed-fixture.ts ROWS.parquet OUT_DIR');
void main(rowsFile, out);
