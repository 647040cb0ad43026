import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { findNodeAtLocation, parse, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';
import { firstJsonSyntaxError, valueOffset } from '../../src/core/dataset/json-scan.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PERSONA = resolve(ROOT, 'examples/persona/agreeableness.jsonl');
const DEPTH = 100_000;

let work: string;
let good: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pl-deep-'));
  good = (await readFile(PERSONA, 'utf8')).split('\n').slice(0, 20);
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** 20 real persona lines, then `bad`, then one more real line. */
const fileWith = async (name: string, bad: string): Promise<string> => {
  const file = join(work, name);
  await writeFile(file, [...good, bad, good[0].replace('kindness', 'kindness, always')].join('\n'));
  return file;
};

describe('a deeply nested bad line costs only itself', () => {
  it(`unterminated ${DEPTH.toLocaleString('en')} levels deep: the line is skipped, the others kept`, async () => {
    const bad = `{"question":"x","a":${'['.repeat(DEPTH)}`;
    const file = await readDataset(await fileWith('unterminated.jsonl', bad));
    expect(file.counts).toEqual({ lines: 22, records: 21, skipped: 1, blank: 0 });
    expect(file.skipped).toEqual([
      {
        file: join(work, 'unterminated.jsonl'),
        line: 21,
        // The end of the line: where a closing ']' was still expected.
        column: bad.length + 1,
        reason: 'invalid-json',
        message: "invalid JSON: a closing ']' was expected",
      },
    ]);
  });

  it('a syntax error after a deep but well-formed field points at the error', async () => {
    const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
    const bad = `{"extra":${deep} "question":"x"}`;
    const file = await readDataset(await fileWith('comma.jsonl', bad));
    expect(file.counts?.records).toBe(21);
    expect(file.skipped.map((s) => [s.line, s.column, s.message])).toEqual([
      [21, bad.indexOf(' "question"') + 2, "invalid JSON: a ',' was expected"],
    ]);
  });

  it('a wrong-type line with a deep extra field is skipped at the wrong value', async () => {
    const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
    const bad = `{"deep":${deep},"question":42,"answer_matching_behavior":" Yes","answer_not_matching_behavior":" No"}`;
    const file = await readDataset(await fileWith('wrong-type.jsonl', bad));
    expect(file.counts?.records).toBe(21);
    expect(file.skipped.map((s) => [s.line, s.column, s.reason, s.message])).toEqual([
      [21, bad.indexOf('42') + 1, 'wrong-type', '"question" must be a string, got number'],
    ]);
  });
});

/** One physical JSON-ish line: valid JSON, its truncations and small mutations. */
const jsonishLine = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc
    .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.string({ maxLength: 3 }))
    .map(([json, cut, insert]) => {
      const at = json.length ? cut % json.length : 0;
      return json.slice(0, at) + insert + json.slice(at + 1);
    }),
  fc.string({ maxLength: 30 }),
);

describe('the iterative scan agrees with jsonc-parser where jsonc-parser can recurse', () => {
  it('first syntax error: same code and offset as parse()', () => {
    fc.assert(
      fc.property(jsonishLine, (text) => {
        const errors: ParseError[] = [];
        parse(text, errors, {
          disallowComments: true,
          allowTrailingComma: false,
          allowEmptyContent: false,
        });
        const expected = errors[0]
          ? { code: printParseErrorCode(errors[0].error), offset: errors[0].offset }
          : null;
        expect(firstJsonSyntaxError(text)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('value offsets: same node as findNodeAtLocation for every path of a valid document', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 5 }), (text) => {
        const root = parseTree(text)!;
        const paths: Array<Array<string | number>> = [[]];
        const visit = (value: unknown, path: Array<string | number>) => {
          if (Array.isArray(value)) {
            value.forEach((v, i) => {
              paths.push([...path, i]);
              visit(v, [...path, i]);
            });
          } else if (value && typeof value === 'object') {
            for (const [k, v] of Object.entries(value)) {
              paths.push([...path, k]);
              visit(v, [...path, k]);
            }
          }
        };
        visit(JSON.parse(text), []);
        for (const path of paths) {
          expect(valueOffset(text, path)).toBe(findNodeAtLocation(root, path)?.offset);
        }
        expect(valueOffset(text, ['no such key', 7])).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});
