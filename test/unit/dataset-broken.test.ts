import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BROKEN = resolve(ROOT, 'test/fixtures/datasets/broken.jsonl');

describe('broken evals file', () => {
  it('reports every bad line with its line, column and reason, and keeps the rest', async () => {
    const file = await readDataset(BROKEN);
    expect(file.schema).toBe('evals');
    const skips = file.skipped.map((s) => [s.line, s.column, s.reason]);
    expect(skips).toEqual([
      [2, 59, 'invalid-json'], // missing comma: where the next key starts
      [4, 1, 'not-an-object'],
      [5, 1, 'missing-field'],
      [6, 14, 'wrong-type'], // the 42
      [7, 14, 'empty-text'], // the "   "
      [8, 1, 'duplicate'],
      [9, 49, 'unknown-answer'], // " Maybe"
      [10, 31, 'invalid-json'], // truncated: just past the end of the line
      [11, 1, 'not-an-object'],
      [12, 50, 'unknown-answer'], // " Yes" / " Yes"
      [13, 96, 'invalid-json'], // trailing comma
      [16, 50, 'wrong-type'], // a list as the matching answer
      [17, 1, 'not-an-object'],
      [18, 97, 'invalid-json'], // text after the object
    ]);
    for (const s of file.skipped) expect(s.file).toBe(BROKEN);
  });

  it('says what is wrong in words', async () => {
    const { skipped } = await readDataset(BROKEN);
    const message = (line: number) => skipped.find((s) => s.line === line)?.message;
    expect(message(2)).toBe("invalid JSON: a ',' was expected");
    expect(message(4)).toBe('expected a JSON object, got an array');
    expect(message(5)).toBe('missing field "answer_not_matching_behavior"');
    expect(message(6)).toBe('"question" must be a string, got number');
    expect(message(7)).toBe('"question" is empty');
    expect(message(8)).toBe('duplicate of line 1');
    expect(message(9)).toMatch(/^unknown answer pair " Maybe" \/ " No"/);
    expect(message(10)).toBe('invalid JSON: unterminated string');
    expect(message(12)).toBe('inconsistent answer pair " Yes" / " Yes"');
    expect(message(13)).toBe('invalid JSON: a double-quoted property name was expected');
    expect(message(17)).toBe('expected a JSON object, got null');
    expect(message(18)).toBe('invalid JSON: unexpected text after the JSON value');
  });

  it('accounts for every line: kept + skipped + blank = lines', async () => {
    const file = await readDataset(BROKEN);
    expect(file.counts).toEqual({ lines: 19, records: 3, skipped: 14, blank: 2 });
    expect(file.examples.map((e) => [e.line, e.column, e.label, e.behavior])).toEqual([
      [1, 1, 1, 'broken'],
      [15, 1, -1, 'broken'],
      [19, 3, 1, 'broken'], // indented record; "Yes" without the leading space
    ]);
    expect(file.examples[0].display).toBe('I like people');
    expect(file.examples[2].display).toBeUndefined();
  });
});
