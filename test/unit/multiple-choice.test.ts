/**
 * Multiple-choice evals (issue #12, part 3) on test/fixtures/multiple-choice: Anthropic-style
 * " (A)" / " (B)" questions whose options are real persona statements
 * (scripts/multiple-choice-fixture.ts). In option-text mode the order of the options does not
 * matter; in the paper's answer-token mode it decides the labels.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDatasets, splitChoices } from '../../src/core/dataset/index.js';
import { analyze, multipleChoiceMode } from '../../src/core/pipeline.js';
import { runExportRows } from '../../src/cli/export-rows.js';
import { readRowsParquet } from '../../src/core/io/parquet-rows.js';

const root = path.resolve(__dirname, '../..');
const FIXTURE = path.join(root, 'test/fixtures/multiple-choice');
const BEHAVIORS = ['desire-for-acquiring-power', 'risk-seeking'];
const STEM = 'Which of these statements is more like something you would say?';

interface McRecord {
  question: string;
  answer_matching_behavior: string;
  answer_not_matching_behavior: string;
}

const OPTIONS = /\n \(A\) (.*)\n \(B\) (.*)\n/;
const SWAP: Record<string, string> = { ' (A)': ' (B)', ' (B)': ' (A)' };

/** The record with its two options in the other order (and its answers relettered). */
const swapped = (r: McRecord): McRecord => {
  const [, a, b] = OPTIONS.exec(r.question)!;
  return {
    question: r.question.replace(OPTIONS, `\n (A) ${b}\n (B) ${a}\n`),
    answer_matching_behavior: SWAP[r.answer_matching_behavior],
    answer_not_matching_behavior: SWAP[r.answer_not_matching_behavior],
  };
};

const records = async (behavior: string): Promise<McRecord[]> =>
  (await readFile(path.join(FIXTURE, `${behavior}.jsonl`), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as McRecord);

/** The statements a behavior agrees with, from the bundled persona file. */
const agreed = async (behavior: string): Promise<Set<string>> =>
  new Set(
    (await readFile(path.join(root, 'examples/persona', `${behavior}.jsonl`), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { statement: string; answer_matching_behavior: string })
      .filter((r) => r.answer_matching_behavior.trim() === 'Yes')
      .map((r) => r.statement),
  );

let dir: string;
/** The fixture with every second record's options swapped. */
let swappedDir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pl-mc-'));
  swappedDir = path.join(dir, 'swapped');
  await mkdir(swappedDir);
  for (const b of BEHAVIORS) {
    const list = (await records(b)).map((r, i) => (i % 2 === 0 ? swapped(r) : r));
    await writeFile(
      path.join(swappedDir, `${b}.jsonl`),
      list.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('option-text rows', () => {
  it('splits a question into its stem and lettered options', async () => {
    const [first] = await records('risk-seeking');
    const split = splitChoices(first.question)!;
    expect(split.stem).toBe(STEM);
    expect([...split.options.keys()]).toEqual(['a', 'b']);
    expect(split.options.get('a')).toBe(OPTIONS.exec(first.question)![1]);
  });

  it('pairs the stem with the matching option (+1) and the other option (−1)', async () => {
    for (const b of BEHAVIORS) {
      const [file] = await readDatasets([path.join(FIXTURE, `${b}.jsonl`)], {
        multipleChoice: 'option-text',
      });
      const agrees = await agreed(b);
      expect(file.examples).toHaveLength(240);
      expect(file.multipleChoice).toBe('option-text');
      for (const e of file.examples) {
        expect(e.text.startsWith(`${STEM}\n`)).toBe(true);
        expect(e.promptChars).toBe(STEM.length + 1);
        // +1 is the statement the persona behavior agrees with, whatever its letter.
        expect(agrees.has(e.text.slice(STEM.length + 1))).toBe(e.label === 1);
      }
      expect(new Set(file.examples.map((e) => e.pair)).size).toBe(120);
    }
  });

  it('reads swapped options as the same rows; answer-token flips their labels', async () => {
    const read = (folder: string, mode: 'option-text' | 'answer-token') =>
      readDatasets([path.join(folder, 'risk-seeking.jsonl')], { multipleChoice: mode });
    const [a] = await read(FIXTURE, 'option-text');
    const [b] = await read(swappedDir, 'option-text');
    expect(b.examples.map((e) => [e.text, e.label])).toEqual(
      a.examples.map((e) => [e.text, e.label]),
    );
    const [c] = await read(FIXTURE, 'answer-token');
    const [d] = await read(swappedDir, 'answer-token');
    expect(c.examples).toHaveLength(120);
    expect(c.splittableChoices).toBe(120);
    const flipped = c.examples.filter((e, i) => e.label !== d.examples[i].label).length;
    expect(flipped).toBe(60);
  });

  it('a record with several other options gives one negative row each', async () => {
    const [file] = await readDatasets(
      [path.join(root, 'test/fixtures/datasets/multiple-choice.jsonl')],
      { multipleChoice: 'option-text' },
    );
    const three = file.examples.filter((e) => e.line === 3);
    expect(three.map((e) => [e.text, e.label])).toEqual([
      ['Which do you prefer?\nA larger reward later', 1],
      ['Which do you prefer?\nA small reward now', -1],
      ['Which do you prefer?\nNo reward', -1],
    ]);
  });

  it('stored rows read back as option texts too', async () => {
    const [kept] = await readDatasets([path.join(FIXTURE, 'risk-seeking.jsonl')], {
      multipleChoice: 'option-text',
    });
    const [stored] = await readDatasets([path.join(FIXTURE, 'risk-seeking.jsonl')], {
      multipleChoice: 'option-text',
      keepTexts: false,
    });
    expect(stored.examples.slice(0, 6).map((e) => [e.text, e.promptChars])).toEqual(
      kept.examples.slice(0, 6).map((e) => [e.text, e.promptChars]),
    );
  });

  it('export-rows --mc-mode option-text writes the option rows with their prompt boundary', async () => {
    const out = path.join(dir, 'rows.parquet');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      expect(
        await runExportRows([path.join(FIXTURE, 'risk-seeking.jsonl')], {
          out,
          field: {},
          mcMode: 'option-text',
        }),
      ).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const { files } = await readRowsParquet(out);
    expect(files[0].examples).toHaveLength(240);
    expect(files[0].examples[0].promptChars).toBe(STEM.length + 1);
    expect(files[0].examples[0].text.startsWith(`${STEM}\n`)).toBe(true);
  });

  it('auto: option-text for sentence-embedding models, answer-token for causal LMs', () => {
    expect(multipleChoiceMode({}, 'sentence-embedding')).toBe('option-text');
    expect(multipleChoiceMode({}, 'causal-lm')).toBe('answer-token');
    expect(multipleChoiceMode({ multipleChoice: 'answer-token' }, 'sentence-embedding')).toBe(
      'answer-token',
    );
  });
});

describe('option order and distinguishability (bundled model)', () => {
  const run = (folder: string, mode: 'option-text' | 'answer-token') =>
    analyze(
      BEHAVIORS.map((b) => path.join(folder, `${b}.jsonl`)),
      {
        multipleChoice: mode,
        simulation: { preset: 'fast-preview', steps: 5 },
        rebalance: false,
      },
    ).then((r) => r.report);

  it('by default the bundled (sentence-embedding) model reads them as option texts', async () => {
    const { report, examples } = await analyze([path.join(FIXTURE, 'risk-seeking.jsonl')], {
      simulation: { preset: 'fast-preview', steps: 5 },
      rebalance: false,
    });
    expect(report.multipleChoice).toEqual({ mode: 'option-text', records: 120 });
    expect(examples).toHaveLength(240);
    expect(report.behaviors[0].nPositive).toBe(120);
  });

  it('option-text: swapping the options moves distinguishability by at most 5%; answer-token: more', async () => {
    const change = async (mode: 'option-text' | 'answer-token') => {
      const [a, b] = [await run(FIXTURE, mode), await run(swappedDir, mode)];
      expect(a.multipleChoice).toEqual({ mode, records: 240 });
      return BEHAVIORS.map((name) => {
        const x = a.behaviors.find((r) => r.name === name)!.distinguishability;
        const y = b.behaviors.find((r) => r.name === name)!.distinguishability;
        return Math.abs(y - x) / x;
      });
    };
    const optionText = await change('option-text');
    for (const c of optionText) expect(c).toBeLessThanOrEqual(0.05);
    // The paper's form on the same questions: the letters decide the labels, so the same swap
    // moves it by more than 5% (measured: 0.3% and 9%).
    const answerToken = await change('answer-token');
    expect(Math.max(...answerToken)).toBeGreaterThan(0.05);
  });
});
