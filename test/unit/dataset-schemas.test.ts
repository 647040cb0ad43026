import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  answerLabel,
  DatasetInputError,
  DatasetSchemaError,
  detectSchema,
  readDataset,
  readDatasets,
} from '../../src/core/dataset/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const fixture = (name: string) => resolve(ROOT, 'test/fixtures/datasets', name);

describe('answer pairs', () => {
  it('labels +1 when the behavior-matching answer is the affirmative one', () => {
    expect(answerLabel(' Yes', [' No'])).toEqual({ ok: true, label: 1 });
    expect(answerLabel(' No', [' Yes'])).toEqual({ ok: true, label: -1 });
    expect(answerLabel('True', ['False'])).toEqual({ ok: true, label: 1 });
    expect(answerLabel(' disagree.', [' Agree'])).toEqual({ ok: true, label: -1 });
    expect(answerLabel(' (A)', [' (B)'])).toEqual({ ok: true, label: 1 });
    expect(answerLabel(' (B)', [' (A)'])).toEqual({ ok: true, label: -1 });
    expect(answerLabel('A)', ['(b'])).toEqual({ ok: true, label: 1 });
  });

  it('refuses unknown, mixed and contradictory pairs', () => {
    expect(answerLabel(' Maybe', [' No']).ok).toBe(false);
    expect(answerLabel(' Yes', [' False']).ok).toBe(false);
    expect(answerLabel(' (A)', [' No']).ok).toBe(false);
    expect(answerLabel(' (A)', [' (A)']).ok).toBe(false);
    expect(answerLabel(' Yes', []).ok).toBe(false);
  });
});

describe('multiple choice evals (advanced-ai-risk style)', () => {
  it('reads (A)/(B), lists of not-matching letters, True/False and Agree/Disagree', async () => {
    const file = await readDataset(fixture('multiple-choice.jsonl'));
    expect(file.schema).toBe('evals');
    expect(file.examples.map((e) => [e.line, e.label])).toEqual([
      [1, -1], // matching (B), not matching (A)
      [2, 1], // matching (A)
      [3, -1], // matching (B), not matching [(A), (C)]
      [4, 1], // matching (A), not matching [(B), (C)]
      [5, -1], // matching False
      [6, 1], // matching Agree
    ]);
    expect(file.examples[0].display).toBeUndefined();
    expect(file.skipped).toEqual([
      {
        file: fixture('multiple-choice.jsonl'),
        line: 7,
        column: 83,
        reason: 'unknown-answer',
        message: 'inconsistent answer pair " (A)" / " Yes"',
      },
    ]);
  });
});

describe('schema detection', () => {
  it('detects by fields present, pairwise before HH-RLHF', () => {
    expect(
      detectSchema({
        question: 'q',
        answer_matching_behavior: 'a',
        answer_not_matching_behavior: 'b',
      }),
    ).toBe('evals');
    expect(detectSchema({ prompt: 'p', chosen: 'c', rejected: 'r' })).toBe('pairwise');
    expect(detectSchema({ chosen: 'c', rejected: 'r' })).toBe('hh-rlhf');
    expect(detectSchema({ text: 'x' })).toBeNull();
    expect(detectSchema([1, 2])).toBeNull();
    expect(
      detectSchema({ instruction: 'p', chosen: 'c', rejected: 'r' }, { prompt: 'instruction' }),
    ).toBe('pairwise');
  });

  it('throws one error naming the file, the first record, its fields and the schemas expected', async () => {
    const file = fixture('not-a-dataset.jsonl');
    const error = await readDataset(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetSchemaError);
    const e = error as DatasetSchemaError;
    expect(e.file).toBe(file);
    expect(e.line).toBe(2); // line 1 is a comment, not JSON
    expect(e.fieldsFound).toEqual(['text', 'score', 'id']);
    expect(e.expected.pairwise).toEqual(['prompt', 'chosen', 'rejected']);
    expect(e.message).toBe(
      `${file}:2: no record in the file matches a known dataset schema. Fields found: text, score, id. ` +
        'Expected one of: evals (question, answer_matching_behavior, answer_not_matching_behavior); ' +
        'pairwise (prompt, chosen, rejected); hh-rlhf (chosen, rejected). ' +
        'Choose the schema or map the field names (CLI: --schema, --field key=name; VS Code: preferenceLens.schema, preferenceLens.fields).',
    );
  });

  it('names the mapped fields in the error when fields are overridden', async () => {
    const error = (await readDataset(fixture('not-a-dataset.jsonl'), {
      fields: { question: 'text' },
    }).catch((e: unknown) => e)) as DatasetSchemaError;
    expect(error.message).toContain(
      'evals (text, answer_matching_behavior, answer_not_matching_behavior)',
    );
  });

  it('reports a file with no JSON object at all, and an empty file', async () => {
    const garbage = fixture('garbage.jsonl');
    const overlays = new Map([
      [garbage, 'not json\n[1, 2]\n'],
      [fixture('empty.jsonl'), '\n\n'],
    ]);
    await expect(readDataset(garbage, { overlays })).rejects.toThrow(
      `${garbage}:1: no JSON object found, so the schema cannot be detected (line 1: invalid JSON: invalid symbol).`,
    );
    await expect(readDataset(fixture('empty.jsonl'), { overlays })).rejects.toThrow(
      'the file has no records',
    );
  });

  it('a forced schema reads what detection would refuse, reporting each line instead', async () => {
    const file = await readDataset(fixture('not-a-dataset.jsonl'), { schema: 'evals' });
    expect(file.schema).toBe('evals');
    expect(file.examples).toEqual([]);
    expect(file.skipped.map((s) => [s.line, s.reason])).toEqual([
      [1, 'invalid-json'],
      [2, 'missing-field'],
      [3, 'missing-field'],
      [4, 'missing-field'],
    ]);
    expect(file.skipped[1].message).toBe(
      'missing fields "question", "answer_matching_behavior", "answer_not_matching_behavior"',
    );
  });

  it('missing paths and folders without .jsonl files are input errors', async () => {
    await expect(readDatasets([fixture('nope.jsonl')])).rejects.toBeInstanceOf(DatasetInputError);
    await expect(readDatasets([resolve(ROOT, 'src/core/io')])).rejects.toThrow(
      'the folder has no .jsonl files',
    );
  });
});

describe('pairwise with mapped fields and a behavior field', () => {
  const options = { fields: { prompt: 'instruction', chosen: 'better', rejected: 'worse' } };

  it('maps fields, auto-detects "subset", joins strings and renders message lists', async () => {
    const file = await readDataset(fixture('pairwise-custom-fields.jsonl'), options);
    expect(file.schema).toBe('pairwise');
    expect(file.behaviorField).toBe('subset');
    expect(file.examples.map((e) => [e.line, e.behavior, e.label, e.pair, e.text])).toEqual([
      [1, 'math', 1, 0, 'Name a prime number.\n7'],
      [1, 'math', -1, 0, 'Name a prime number.\n8'],
      [2, 'geo', 1, 1, 'System: Be brief.\n\nUser: Capital of France?\n\nAssistant: Paris.'],
      [2, 'geo', -1, 1, 'System: Be brief.\n\nUser: Capital of France?\n\nAssistant: Lyon.'],
      [3, 'chat', 1, 2, 'User: Say hi.\n\nAssistant: Hi!'],
      [3, 'chat', -1, 2, 'User: Say hi.\n\nAssistant: No.'],
    ]);
    expect(file.skipped.map((s) => [s.line, s.column, s.reason, s.message])).toEqual([
      [4, 44, 'duplicate', '"better" and "worse" are identical: the pair states no preference'],
      [5, 45, 'wrong-type', '"better"[0] must be a message with a string "role"'],
      [6, 1, 'missing-field', 'missing behavior field "subset"'],
      [7, 85, 'wrong-type', 'behavior field "subset" must be a string, got array'],
    ]);
  });

  it('behaviorField "" uses the file name; an explicit field overrides detection', async () => {
    const none = await readDataset(fixture('pairwise-custom-fields.jsonl'), {
      ...options,
      behaviorField: '',
    });
    expect(none.behaviorField).toBeUndefined();
    expect(new Set(none.examples.map((e) => e.behavior))).toEqual(
      new Set(['pairwise-custom-fields']),
    );
    expect(none.examples).toHaveLength(10); // lines 1, 2, 3, 6, 7
  });
});
