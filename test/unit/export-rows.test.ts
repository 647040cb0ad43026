import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parquetMetadataAsync, parquetReadObjects, asyncBufferFromFile } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDatasets } from '../../src/core/dataset/index.js';
import { readRowsParquet } from '../../src/core/io/parquet-rows.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');
const inputs = [
  path.join(root, 'test/fixtures/datasets/broken.jsonl'),
  path.join(root, 'examples/pairwise/harmless-pairs-string.jsonl'),
  path.join(root, 'examples/persona/agreeableness.jsonl'),
];

let work: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/cli.js')))
    throw new Error('dist/cli.js is missing: `npm test` builds before the unit tests');
  work = await mkdtemp(path.join(tmpdir(), 'pl-export-'));
});

describe('preference-lens export-rows', () => {
  it('writes one Parquet row per embedded text, in the order and with the texts analyze uses', async () => {
    const out = path.join(work, 'rows.parquet');
    const { stdout } = await run(process.execPath, [bin, 'export-rows', ...inputs, '--out', out]);
    const files = await readDatasets(inputs);
    const examples = files.flatMap((f) => f.examples);
    const skipped = files.flatMap((f) => f.skipped);
    expect(skipped.length).toBeGreaterThan(0); // broken.jsonl: the skip report travels too
    expect(stdout).toContain(
      `${examples.length} rows from 3 file(s), ${skipped.length} line(s) skipped`,
    );

    // Read with the plain Parquet reader: the columns an outside job sees.
    const file = await asyncBufferFromFile(out);
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(rows.map((r) => r.row_id)).toEqual(examples.map((_, i) => BigInt(i)));
    expect(rows.map((r) => r.text)).toEqual(examples.map((e) => e.text));
    expect(rows.map((r) => [r.behavior, r.label, r.file, r.line, r.pair ?? undefined])).toEqual(
      examples.map((e) => [e.behavior, e.label, e.file, e.line, e.pair]),
    );
    const md = await parquetMetadataAsync(file);
    const kv = Object.fromEntries((md.key_value_metadata ?? []).map((k) => [k.key, k.value]));
    expect(kv['preference_lens.prompt.answerYes']).toBe(' Yes');
    expect(kv['preference_lens.prompt.causalMaxTokens']).toBe('1024');

    // And back into the files the analysis works on: rows, skipped lines and schemas as read.
    const back = await readRowsParquet(out);
    expect(back.rowCount).toBe(examples.length);
    expect(back.files.map((f) => [f.file, f.schema, f.examples.length, f.skipped])).toEqual(
      files.map((f) => [f.file, f.schema, f.examples.length, f.skipped]),
    );
    expect(back.files.flatMap((f) => f.examples)).toEqual(examples);
  });

  it('exits 2 with one line when no row is usable', async () => {
    const out = path.join(work, 'none.parquet');
    const failed = await run(process.execPath, [
      bin,
      'export-rows',
      path.join(root, 'test/fixtures/datasets/not-a-dataset.jsonl'),
      '--out',
      out,
    ]).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed ? failed.code : 0).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
