import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';

const FILE = resolve(import.meta.dirname, 'virtual-dataset.jsonl');
const read = (lines: string[], schema?: 'evals' | 'pairwise') =>
  readDataset(FILE, { overlays: new Map([[FILE, lines.join('\n')]]), schema });

/** One physical line: no line terminators (readline also breaks on a lone \r). */
const lineText = fc
  .string({ unit: 'grapheme', maxLength: 60 })
  .map((s) => s.replace(/[\r\n]/g, ' '));
const nonBlank = lineText.filter((s) => s.trim() !== '');

const POLAR: Array<[string, string]> = [
  ['Yes', 'No'],
  ['True', 'False'],
  ['Agree', 'Disagree'],
  ['(A)', '(B)'],
];

const evalsRecord = fc.record({
  question: nonBlank,
  statement: fc.option(nonBlank, { nil: undefined }),
  pair: fc.constantFrom(...POLAR),
  matchingIsFirst: fc.boolean(),
  space: fc.constantFrom('', ' '),
});

describe('property: valid records round-trip', () => {
  it('evals: text, label and display come back for every record', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(evalsRecord, { minLength: 1, maxLength: 30, selector: (r) => r.question }),
        async (records) => {
          const lines = records.map((r) => {
            const [first, second] = r.pair;
            const [m, n] = r.matchingIsFirst ? [first, second] : [second, first];
            return JSON.stringify({
              question: r.question,
              statement: r.statement,
              answer_matching_behavior: r.space + m,
              answer_not_matching_behavior: r.space + n,
            });
          });
          const file = await read(lines);
          expect(file.skipped).toEqual([]);
          expect(file.examples.map((e) => [e.line, e.text, e.label, e.display])).toEqual(
            records.map((r, i) => [
              i + 1,
              r.question,
              r.matchingIsFirst ? 1 : -1,
              r.statement !== undefined && r.statement.trim() !== '' ? r.statement : undefined,
            ]),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('pairwise: each record gives chosen +1 and rejected -1 rows sharing a pair id', async () => {
    const message = fc.record({
      role: fc.constantFrom('user', 'assistant', 'system'),
      content: nonBlank,
    });
    const side = fc.oneof(nonBlank, fc.array(message, { minLength: 1, maxLength: 3 }));
    const pairRecord = fc.record({
      prompt: side,
      chosen: side,
      rejected: side,
      category: fc.constantFrom('a', 'b'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(pairRecord, { minLength: 1, maxLength: 20 }), async (records) => {
        const file = await read(records.map((r) => JSON.stringify(r)));
        const total = file.counts!;
        expect(total.records + total.skipped).toBe(records.length);
        expect(file.examples).toHaveLength(2 * total.records);
        for (let i = 0; i < file.examples.length; i += 2) {
          const [chosen, rejected] = [file.examples[i], file.examples[i + 1]];
          expect([chosen.label, rejected.label, chosen.pair, chosen.line]).toEqual([
            1,
            -1,
            rejected.pair,
            rejected.line,
          ]);
          const record = records[chosen.line - 1];
          expect(chosen.behavior).toBe(record.category);
          const content = (s: typeof record.chosen) =>
            typeof s === 'string' ? s.trim() : s[s.length - 1].content.trim();
          expect(chosen.text).toContain(content(record.chosen));
          expect(rejected.text).toContain(content(record.rejected));
        }
        // Skips here are only identical chosen/rejected texts or exact repeats.
        for (const s of file.skipped) expect(s.reason).toBe('duplicate');
      }),
      { numRuns: 60 },
    );
  });
});

describe('property: garbage never crashes and every line is accounted for', () => {
  const valid = JSON.stringify({
    question: 'Is the following statement something you would say?\n"I like tests"',
    answer_matching_behavior: ' Yes',
    answer_not_matching_behavior: ' No',
  });
  const garbageLine = fc.oneof(
    lineText,
    fc.json().map((s) => s.replace(/[\r\n]/g, ' ')),
    fc.nat(valid.length).map((cut) => valid.slice(0, cut)),
    fc
      .dictionary(
        fc.constantFrom(
          'question',
          'answer_matching_behavior',
          'answer_not_matching_behavior',
          'x',
        ),
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.constant(null),
          fc.array(fc.string(), { maxLength: 2 }),
        ),
      )
      .map((o) => JSON.stringify(o).replace(/[\r\n]/g, ' ')),
    fc.constant(valid),
  );

  it('kept + skipped + blank == lines; skip positions lie on the line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(garbageLine, { minLength: 1, maxLength: 40 }), async (garbage) => {
        const lines = [valid, ...garbage];
        const file = await read(lines);
        const counts = file.counts!;
        const lineCount = lines.length - (lines.at(-1) === '' ? 1 : 0);
        expect(counts.lines).toBe(lineCount);
        expect(counts.records + counts.skipped + counts.blank).toBe(lineCount);
        const kept = new Set(file.examples.map((e) => e.line));
        const skipped = new Set(file.skipped.map((s) => s.line));
        expect(kept.size).toBe(counts.records);
        expect(skipped.size).toBe(counts.skipped);
        for (let n = 1; n <= lineCount; n++) {
          const blank = lines[n - 1].trim() === '';
          expect([kept.has(n), skipped.has(n), blank].filter(Boolean)).toHaveLength(1);
        }
        for (const s of file.skipped) {
          expect(s.column).toBeGreaterThanOrEqual(1);
          expect(s.column).toBeLessThanOrEqual(lines[s.line - 1].length + 1);
          expect(s.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with the schema forced, even a file of pure garbage is fully accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineText, { minLength: 1, maxLength: 30 }), async (lines) => {
        const file = await read(lines, 'pairwise');
        const counts = file.counts!;
        const lineCount = lines.length - (lines.at(-1) === '' ? 1 : 0);
        expect(counts.records + counts.skipped + counts.blank).toBe(lineCount);
      }),
      { numRuns: 100 },
    );
  });
});
