import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';
import { readRowsParquet } from '../../src/core/io/parquet-rows.js';
import type { Report } from '../../src/core/report/types.js';
import { cli, personaSample, root } from './cli-helpers.js';

// Fixtures written by tools/fixtures/make_format_fixtures.py from the bundled examples.
const FORMATS = 'test/fixtures/formats';
const PERSONA = ['agreeableness', 'narcissism', 'risk-seeking'];

let work: string;
let cache: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pl-cli-formats-'));
  cache = path.join(work, 'cache');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const analyze = (inputs: string[], ...extra: string[]) =>
  cli(['analyze', ...inputs, '--cache-dir', cache, '--steps', '5', '--no-progress', ...extra]);

describe('check and export-rows read Parquet and JSON arrays', () => {
  it('check names the Parquet row of each unusable record', async () => {
    const result = await cli(['check', `${FORMATS}/hh-rlhf-bad-rows.parquet`]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `${FORMATS}/hh-rlhf-bad-rows.parquet row 2: wrong-type: "chosen" must be a string or a list of {role, content} messages, got null`,
      `${FORMATS}/hh-rlhf-bad-rows.parquet row 4: empty-text: "rejected" is empty`,
      `${FORMATS}/hh-rlhf-bad-rows.parquet row 5: duplicate: duplicate of row 0`,
    ]);
  });

  it('check passes a shard folder and a JSON array', async () => {
    const result = await cli(['check', `${FORMATS}/folder`, `${FORMATS}/hh-rlhf-20.json`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('check: ok');
    expect(result.stdout).toMatch(/^train\s+40\s+40$/m);
    expect(result.stdout).toMatch(/^hh-rlhf-20\s+20\s+20$/m);
    expect(result.stdout).not.toContain('dataset_info');
  });

  it('export-rows writes the rows of a Parquet input with their row positions', async () => {
    const out = path.join(work, 'rows.parquet');
    const result = await cli(['export-rows', `${FORMATS}/trl-messages.parquet`, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('80 rows from 1 file(s), 0 line(s) skipped');
    const rows = (await readRowsParquet(out)).files[0].examples;
    const source = path.join(root, FORMATS, 'trl-messages.parquet');
    const jsonl = (
      await readDataset(path.join(root, 'examples/pairwise/harmless-pairs-messages.jsonl'))
    ).examples.filter((e) => e.line <= 40);
    expect(rows.map((r) => [r.file, r.line, r.text])).toEqual(
      jsonl.map((e) => [source, e.line, e.text]),
    );
  });
});

describe('export-rows keeps the score fields', () => {
  it("writes each side's score, and reads it back for analyze --embeddings", async () => {
    const out = path.join(work, 'uf-rows.parquet');
    const result = await cli(['export-rows', `${FORMATS}/ultrafeedback-style.json`, '--out', out]);
    expect(result.code).toBe(0);
    const rows = (await readRowsParquet(out)).files[0].examples;
    const read = (await readDataset(path.join(root, FORMATS, 'ultrafeedback-style.json'))).examples;
    expect(rows).toHaveLength(120);
    expect(rows.map((r) => r.score)).toEqual(read.map((e) => e.score));
    expect(rows.every((r) => typeof r.score === 'number')).toBe(true);
  });
});

describe('analyze reads Parquet and JSON arrays as it reads JSONL', () => {
  it('a Parquet file of persona rows gives the numbers of the same rows as JSONL files', async () => {
    const parquetJson = path.join(work, 'parquet.json');
    const jsonlJson = path.join(work, 'jsonl.json');
    const fromParquet = await analyze(
      [`${FORMATS}/persona-3x60.parquet`],
      '--behavior-field',
      'behavior',
      '--json',
      parquetJson,
    );
    expect(fromParquet.code).toBe(0);
    const sample = await personaSample(path.join(work, 'persona'), PERSONA, 60);
    const fromJsonl = await analyze([sample], '--json', jsonlJson);
    expect(fromJsonl.code).toBe(0);
    const a = JSON.parse(await readFile(parquetJson, 'utf8')) as Report;
    const b = JSON.parse(await readFile(jsonlJson, 'utf8')) as Report;
    const numbers = (r: Report) =>
      r.behaviors
        .map((x) => [x.name, x.nPositive, x.nNegative, x.distinguishability, x.priorityLevel])
        .sort();
    expect(numbers(a)).toEqual(numbers(b));
    expect(a.behaviors.map((x) => x.name).sort()).toEqual(PERSONA);
    // Each behavior's first position is its first Parquet row.
    expect(a.behaviors.find((x) => x.name === 'narcissism')!.files).toEqual([
      { file: path.join(root, FORMATS, 'persona-3x60.parquet'), firstLine: 61 },
    ]);
  }, 240_000);

  it('reports the score margins of UltraFeedback-style records in the JSON, Markdown and summary', async () => {
    const json = path.join(work, 'uf.json');
    const md = path.join(work, 'uf.md');
    const result = await analyze(
      [`${FORMATS}/ultrafeedback-style.json`],
      '--json',
      json,
      '--markdown',
      md,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    for (const behavior of PERSONA) {
      // score_chosen − score_rejected = 10c − 10(1 − c) for the persona label confidence c.
      const margins = (
        await readFile(path.join(root, 'examples/persona', `${behavior}.jsonl`), 'utf8')
      )
        .split('\n')
        .slice(0, 20)
        .map((l) => (JSON.parse(l) as { label_confidence: number }).label_confidence)
        .map((c) => Math.round(10 * c * 1000) / 1000 - Math.round(10 * (1 - c) * 1000) / 1000);
      const m = report.behaviors.find((x) => x.name === behavior)!.scoreMargin!;
      expect(m.pairs).toBe(20);
      expect(m.mean).toBeCloseTo(margins.reduce((s, x) => s + x, 0) / 20, 9);
      expect(m.min).toBeCloseTo(Math.min(...margins), 9);
      expect(m.nonPositive).toBe(margins.filter((x) => x <= 0).length);
    }
    expect(await readFile(md, 'utf8')).toContain('## Score margins');
    expect(result.stdout).toMatch(/^ {2}narcissism: 20 pairs, mean \d+\.\d{2}/m);
  }, 240_000);
});
