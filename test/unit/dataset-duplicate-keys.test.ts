import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const realLines = async (file: string, n: number) =>
  (await readFile(resolve(ROOT, file), 'utf8')).split('\n').slice(0, n);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pl-dupkeys-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** `lines` with line `at` (1-based) edited by `edit`, written to a file in the work folder. */
const edited = async (name: string, lines: string[], at: number, edit: (s: string) => string) => {
  const file = join(work, name);
  const out = lines.map((line, i) => (i + 1 === at ? edit(line) : line));
  await writeFile(file, out.join('\n') + '\n');
  return { file, line: out[at - 1] };
};

describe('a key given twice: the column points at the value JSON.parse kept (the last)', () => {
  it('persona: a good question, then "question": 42 → wrong type at the 42', async () => {
    const lines = await realLines('examples/persona/agreeableness.jsonl', 10);
    const { file, line } = await edited('persona.jsonl', lines, 3, (s) =>
      s.replace(/}$/, ', "question": 42}'),
    );
    const read = await readDataset(file);
    expect(read.counts).toMatchObject({ records: 9, skipped: 1 });
    expect(read.skipped.map((s) => [s.line, s.column, s.reason, s.message])).toEqual([
      [3, line.lastIndexOf('42') + 1, 'wrong-type', '"question" must be a string, got number'],
    ]);
  });

  it('persona: "question": 42 first, then the good question → the line is kept', async () => {
    const lines = await realLines('examples/persona/agreeableness.jsonl', 10);
    const { file } = await edited('persona-first.jsonl', lines, 3, (s) =>
      s.replace(/^{/, '{"question": 42, '),
    );
    const read = await readDataset(file);
    expect(read.skipped).toEqual([]);
    expect(read.examples).toHaveLength(10);
  });

  it('pairwise: a second "prompt" whose message lacks content → the column of that message', async () => {
    const lines = await realLines('examples/pairwise/harmless-pairs-messages.jsonl', 5);
    const { file, line } = await edited('pairs.jsonl', lines, 2, (s) =>
      s.replace(/}$/, ', "prompt": [{"role": "user"}]}'),
    );
    const read = await readDataset(file);
    expect(read.skipped.map((s) => [s.line, s.column, s.reason, s.message])).toEqual([
      [
        2,
        line.lastIndexOf('{"role": "user"}') + 1,
        'wrong-type',
        '"prompt"[0].content must be a string or a list of {type: "text", text} parts',
      ],
    ]);
  });

  it('pairwise: a behavior field given twice, the second a list → the column of the list', async () => {
    const lines = await realLines('examples/pairwise/harmless-pairs-string.jsonl', 5);
    const { file, line } = await edited('category.jsonl', lines, 4, (s) =>
      s.replace(/}$/, ', "category": ["a", "b"]}'),
    );
    const read = await readDataset(file);
    expect(read.skipped.map((s) => [s.line, s.column, s.reason])).toEqual([
      [4, line.lastIndexOf('["a", "b"]') + 1, 'wrong-type'],
    ]);
  });
});
