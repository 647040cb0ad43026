import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectMixture, sniffFile } from '../../src/extension/mixture.js';

// Fixtures written by tools/fixtures/make_format_fixtures.py from the bundled examples.
const ROOT = path.resolve(__dirname, '../..');
const formats = (name: string) => path.join(ROOT, 'test/fixtures/formats', name);
let folder: string;

beforeAll(async () => {
  // HH-RLHF as Parquet, as a JSON array and as JSONL; TRL pairs as Parquet; a .json object.
  folder = await mkdtemp(path.join(tmpdir(), 'pl-mixture-formats-'));
  await mkdir(folder, { recursive: true });
  await copyFile(formats('hh-rlhf-40.parquet'), path.join(folder, 'hh.parquet'));
  await copyFile(formats('hh-rlhf-20.json'), path.join(folder, 'hh-array.json'));
  await copyFile(
    path.join(ROOT, 'examples/hh-rlhf/harmless-base-test-first300.jsonl'),
    path.join(folder, 'hh-lines.jsonl'),
  );
  await copyFile(formats('trl-messages.parquet'), path.join(folder, 'trl.parquet'));
  await writeFile(path.join(folder, 'dataset_info.json'), '{"chosen": "x", "rejected": "y"}\n');
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('mixtures with Parquet and JSON files', () => {
  it('sniffs a Parquet file and a JSON array by their first record', async () => {
    expect(await sniffFile(path.join(folder, 'trl.parquet'))).toEqual({
      schema: 'pairwise',
      behaviorField: 'category',
    });
    expect(await sniffFile(path.join(folder, 'hh.parquet'))).toEqual({
      schema: 'hh-rlhf',
      behaviorField: null,
    });
    expect(await sniffFile(path.join(folder, 'hh-array.json'))).toEqual({
      schema: 'hh-rlhf',
      behaviorField: null,
    });
  });

  it('a Parquet file (explorer or file picker) joins the same-schema files of its folder', async () => {
    const selected = path.join(folder, 'hh.parquet');
    const mixture = await selectMixture({
      selected: [selected],
      scope: 'folder',
      workspaceFolders: [],
      schema: null,
    });
    // The JSON array and the JSONL file of the same schema, not the TRL pairs (another schema)
    // nor the .json object beside them (a folder takes a .json file only when it is an array).
    expect(mixture.files).toEqual(
      ['hh-array.json', 'hh-lines.jsonl', 'hh.parquet'].map((f) => path.join(folder, f)),
    );
    expect(mixture.schema).toBe('hh-rlhf');
  });

  it('a selected folder contributes its Parquet files and JSON arrays', async () => {
    const mixture = await selectMixture({
      selected: [folder],
      scope: 'file',
      workspaceFolders: [],
      schema: null,
    });
    expect(mixture.files.map((f) => path.basename(f))).toEqual([
      'hh-array.json',
      'hh-lines.jsonl',
      'hh.parquet',
      'trl.parquet',
    ]);
  });
});
