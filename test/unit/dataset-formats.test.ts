import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetSchemaError,
  readDataset,
  readDatasets,
  readRowContents,
  StoredExample,
  type Example,
} from '../../src/core/dataset/index.js';
import { formatPosition } from '../../src/core/dataset/position.js';

// Fixtures written by tools/fixtures/make_format_fixtures.py (pyarrow) from the bundled examples.
const ROOT = path.resolve(import.meta.dirname, '../..');
const formats = (name: string) => path.join(ROOT, 'test/fixtures/formats', name);
const HH = path.join(ROOT, 'examples/hh-rlhf/harmless-base-test-first300.jsonl');
const MESSAGES = path.join(ROOT, 'examples/pairwise/harmless-pairs-messages.jsonl');

/** What a row holds besides its position: compared between a format and its JSONL source. */
const content = (e: Example) => ({
  text: e.text,
  label: e.label,
  behavior: e.behavior,
  display: e.display,
});

/** The rows of the first `records` lines of a JSONL file, read by the JSONL reader. */
const jsonlRows = async (file: string, records: number): Promise<Example[]> =>
  (await readDataset(file)).examples.filter((e) => e.line <= records);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pl-formats-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('Parquet files', () => {
  it('reads HH-RLHF rows as the JSONL reader reads the same records, row index as position', async () => {
    const file = await readDataset(formats('hh-rlhf-40.parquet'));
    expect(file.schema).toBe('hh-rlhf');
    expect(file.skipped).toEqual([]);
    expect(file.counts).toEqual({ lines: 40, records: 40, skipped: 0, blank: 0 });
    const expected = await jsonlRows(HH, 40);
    // The file name is the behavior, as for JSONL; only the behavior name differs.
    expect(file.examples.map((e) => ({ ...content(e), behavior: 'x' }))).toEqual(
      expected.map((e) => ({ ...content(e), behavior: 'x' })),
    );
    expect(file.examples[0].behavior).toBe('hh-rlhf-40');
    // Row r (0-based) is line r + 1; its two rows share a pair id. 40 rows span 3 row groups.
    expect(file.examples.map((e) => e.line)).toEqual(expected.map((e) => e.line));
    expect(file.examples[79]).toMatchObject({ line: 40, column: 1, pair: 39, label: -1 });
    expect(formatPosition(file.file, file.examples[79].line)).toBe(`${file.file} row 39`);
  });

  it('reads zstd-compressed pages (hh-rlhf-40.parquet re-encoded by pyarrow with ZSTD)', async () => {
    const zstd = formats('hh-rlhf-40-zstd.parquet');
    // The fixture really is zstd: hyparquet alone (no decompressors) refuses its pages.
    const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
    await expect(parquetReadObjects({ file: await asyncBufferFromFile(zstd) })).rejects.toThrow(
      /ZSTD/,
    );
    const file = await readDataset(zstd);
    expect(file.skipped).toEqual([]);
    const expected = await jsonlRows(HH, 40);
    expect(file.examples.map((e) => ({ ...content(e), behavior: 'x', line: e.line }))).toEqual(
      expected.map((e) => ({ ...content(e), behavior: 'x', line: e.line })),
    );
    const { readParquetRow } = await import('../../src/core/dataset/parquet-source.js');
    const row = (await readParquetRow(zstd, 39))!;
    expect(row.chosen).toBe(JSON.parse((await readFile(HH, 'utf8')).split('\n')[39]).chosen);
  });

  it('keeps the texts of Parquet rows when the pipeline leaves JSONL texts on disk', async () => {
    const file = await readDataset(formats('hh-rlhf-40.parquet'), { keepTexts: false });
    expect(file.examples.some((e) => e instanceof StoredExample)).toBe(false);
    expect(file.examples[0].text).toBe((await jsonlRows(HH, 1))[0].text);
  });

  it('names the row and the field of every unusable row', async () => {
    const file = await readDataset(formats('hh-rlhf-bad-rows.parquet'));
    const where = formats('hh-rlhf-bad-rows.parquet');
    expect(file.skipped).toEqual([
      {
        file: where,
        line: 3,
        column: 1,
        reason: 'wrong-type',
        message: '"chosen" must be a string or a list of {role, content} messages, got null',
      },
      { file: where, line: 5, column: 1, reason: 'empty-text', message: '"rejected" is empty' },
      { file: where, line: 6, column: 1, reason: 'duplicate', message: 'duplicate of row 0' },
    ]);
    expect(file.examples.map((e) => e.line)).toEqual([1, 1, 2, 2, 4, 4]);
  });

  it('reads TRL conversational rows (message lists) with their category as the behavior', async () => {
    const file = await readDataset(formats('trl-messages.parquet'));
    expect(file.schema).toBe('pairwise');
    expect(file.behaviorField).toBe('category');
    const expected = await jsonlRows(MESSAGES, 40);
    expect(file.examples.map(content)).toEqual(expected.map(content));
    expect(new Set(file.examples.map((e) => e.behavior))).toEqual(
      new Set(['single-turn', 'multi-turn']),
    );
  });

  it('takes the shared beginning of two whole conversations as the implicit prompt', async () => {
    const implicit = await readDataset(formats('trl-implicit.parquet'));
    expect(implicit.schema).toBe('hh-rlhf');
    const explicit = await jsonlRows(MESSAGES, 40);
    // Same embedded texts and the same shown replies as the explicit prompt/chosen/rejected form.
    expect(implicit.examples.map(content)).toEqual(explicit.map(content));
  });

  it('turns INT64 values into numbers (an integer behavior id names the behavior)', async () => {
    const { plainValue } = await import('../../src/core/dataset/parquet-source.js');
    expect(plainValue({ id: 7n, nested: [{ big: 2n ** 60n }] })).toEqual({
      id: 7,
      nested: [{ big: '1152921504606846976' }],
    });
  });

  it('refuses to write a rebalanced dataset by copying lines of a Parquet file', async () => {
    const { writeRebalancedJsonl } = await import('../../src/core/io/rebalance.js');
    const file = await readDataset(formats('hh-rlhf-40.parquet'));
    await expect(
      writeRebalancedJsonl(path.join(work, 'rebalanced.jsonl'), [file], { 'hh-rlhf-40': 2 }),
    ).rejects.toThrow('--rebalance-out copies JSONL lines, and');
  });

  it('says which file is not Parquet', async () => {
    const fake = path.join(work, 'fake.parquet');
    await writeFile(fake, '{"chosen": "a", "rejected": "b"}\n');
    await expect(readDataset(fake)).rejects.toThrow(`${fake}: not a readable Parquet file`);
  });
});

describe('JSON array files', () => {
  it('reads each element as a record at the line and column where it starts', async () => {
    const source = formats('hh-rlhf-20.json');
    const file = await readDataset(source);
    expect(file.schema).toBe('hh-rlhf');
    expect(file.skipped).toEqual([]);
    const expected = await jsonlRows(HH, 20);
    expect(file.examples.map((e) => ({ ...content(e), behavior: 'x' }))).toEqual(
      expected.map((e) => ({ ...content(e), behavior: 'x' })),
    );
    // json.dump(indent=2) puts each element's "{" alone on a line, indented by two spaces.
    const lines = (await readFile(source, 'utf8')).split('\n');
    const starts = lines.flatMap((l, i) => (l === '  {' ? [i + 1] : []));
    expect(starts).toHaveLength(20);
    expect(file.examples.filter((e) => e.label === 1).map((e) => [e.line, e.column])).toEqual(
      starts.map((l) => [l, 3]),
    );
  });

  it('reads the texts back from the file by byte range, as for JSONL', async () => {
    const file = await readDataset(formats('hh-rlhf-20.json'), { keepTexts: false });
    expect(file.examples.every((e) => e instanceof StoredExample)).toBe(true);
    const back = await readRowContents(file.examples);
    const expected = await jsonlRows(HH, 20);
    expect(back.map((c) => c.text)).toEqual(expected.map((e) => e.text));
  });

  it('reports a bad element, a field on a later line and a missing bracket where they are', async () => {
    const file = path.join(work, 'faults.json');
    await writeFile(
      file,
      [
        '[',
        '  {"chosen": "a", "rejected": "b"},',
        '  {"chosen": "c" "rejected": "d"},',
        '  {',
        '    "chosen": "e",',
        '    "rejected": 5',
        '  },',
        '  {"chosen": "g", "rejected": "h"} {"chosen": "i", "rejected": "j"}',
        '',
      ].join('\n'),
    );
    const read = await readDataset(file);
    expect(read.examples.map((e) => [e.line, e.column, e.text])).toEqual([
      [2, 3, 'a'],
      [2, 3, 'b'],
      [8, 3, 'g'],
      [8, 3, 'h'],
      [8, 36, 'i'],
      [8, 36, 'j'],
    ]);
    expect(read.skipped.map((s) => [s.line, s.column, s.reason, s.message])).toEqual([
      [3, 18, 'invalid-json', "invalid JSON: a ',' was expected"],
      [
        6,
        17,
        'wrong-type',
        '"rejected" must be a string or a list of {role, content} messages, got number',
      ],
      [8, 36, 'invalid-json', "invalid JSON: a ',' or ']' was expected after the array element"],
      [
        9,
        1,
        'invalid-json',
        "invalid JSON: the file ends inside the array: a closing ']' was expected",
      ],
    ]);
  });

  it('reads a .json file of JSON Lines (as 🤗 datasets writes them) line by line', async () => {
    const file = path.join(work, 'lines.json');
    const text = (await readFile(HH, 'utf8')).split('\n').slice(0, 5).join('\n') + '\n';
    await writeFile(file, text);
    const read = await readDataset(file);
    expect(read.examples.map(content)).toEqual(
      (await jsonlRows(HH, 5)).map((e) => ({ ...content(e), behavior: 'lines' })),
    );
  });

  it('keeps UltraFeedback-style scores and takes the prompt from the conversations', async () => {
    const file = await readDataset(formats('ultrafeedback-style.json'));
    expect(file.schema).toBe('pairwise');
    expect(file.behaviorField).toBe('source');
    const persona = (await readFile(path.join(ROOT, 'examples/persona/narcissism.jsonl'), 'utf8'))
      .split('\n')
      .slice(0, 20)
      .map((l) => JSON.parse(l) as Record<string, string | number>);
    const rows = file.examples.filter((e) => e.behavior === 'narcissism');
    expect(rows).toHaveLength(40);
    rows.forEach((row, i) => {
      const p = persona[Math.floor(i / 2)];
      const c = p.label_confidence as number;
      const answer = row.label === 1 ? p.answer_matching_behavior : p.answer_not_matching_behavior;
      // The question once, not twice (the string prompt repeats the first user turn).
      expect(row.text).toBe(`User: ${p.question}\n\nAssistant: ${String(answer).trim()}`);
      const score = row.label === 1 ? 10 * c : 10 * (1 - c);
      expect(row.score).toBeCloseTo(score, 3);
    });
  });
});

describe('folders of Parquet shards', () => {
  it('takes the .parquet shards of a split as one behavior and leaves .json metadata out', async () => {
    const files = await readDatasets([formats('folder')]);
    expect(files.map((f) => path.basename(f.file))).toEqual([
      'train-00000-of-00002.parquet',
      'train-00001-of-00002.parquet',
    ]);
    const rows = files.flatMap((f) => f.examples);
    expect(new Set(rows.map((e) => e.behavior))).toEqual(new Set(['train']));
    expect(rows.map((e) => e.text)).toEqual((await jsonlRows(HH, 40)).map((e) => e.text));
    // Pair ids stay unique across the shards; the second shard's rows count from its own row 0.
    expect(new Set(rows.map((e) => e.pair)).size).toBe(40);
    expect(files[1].examples[0].line).toBe(1);
  });

  it('names the row in a schema error of a Parquet file', async () => {
    const odd = path.join(work, 'odd.parquet');
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: odd,
      columnData: [{ name: 'text', data: ['a', 'b'], type: 'STRING' }],
    });
    await expect(readDataset(odd)).rejects.toThrow(
      new RegExp(`^${odd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} row 0: no record in the file`),
    );
    await expect(readDataset(odd)).rejects.toBeInstanceOf(DatasetSchemaError);
  });
});
