import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectMixture, sniffFile } from '../../src/extension/mixture.js';

const examples = path.resolve(__dirname, '../../examples');
const persona = ['agreeableness.jsonl', 'narcissism.jsonl', 'risk-seeking.jsonl'];
let root: string;
let folder: string;

beforeAll(async () => {
  // A folder mixing schemas: three persona behaviors, an HH-RLHF sample and a TRL pairwise file.
  root = await mkdtemp(path.join(tmpdir(), 'pl-mixture-'));
  folder = path.join(root, 'data');
  await mkdir(path.join(folder, 'nested'), { recursive: true });
  for (const name of persona)
    await copyFile(path.join(examples, 'persona', name), path.join(folder, name));
  await copyFile(
    path.join(examples, 'hh-rlhf/harmless-base-test-first300.jsonl'),
    path.join(folder, 'hh.jsonl'),
  );
  await copyFile(
    path.join(examples, 'pairwise/harmless-pairs-string.jsonl'),
    path.join(folder, 'pairs.jsonl'),
  );
  await copyFile(
    path.join(examples, 'persona/openness.jsonl'),
    path.join(folder, 'nested', 'openness.jsonl'),
  );
  await writeFile(path.join(folder, 'notes.txt'), 'not a dataset');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const base = { workspaceFolders: [] as string[], schema: null };

describe('mixture selection', () => {
  it('sniffs the schema and behavior field like the dataset readers', async () => {
    expect(await sniffFile(path.join(folder, 'narcissism.jsonl'))).toEqual({
      schema: 'evals',
      behaviorField: null,
    });
    expect((await sniffFile(path.join(folder, 'hh.jsonl'))).schema).toBe('hh-rlhf');
    expect((await sniffFile(path.join(folder, 'pairs.jsonl'))).schema).toBe('pairwise');
  });

  it('adds the same-schema files of the folder to a single-behavior file', async () => {
    const target = path.join(folder, 'narcissism.jsonl');
    const m = await selectMixture({ ...base, selected: [target], scope: 'folder' });
    expect(m.files.map((f) => path.basename(f))).toEqual(persona);
    expect(m.selected).toEqual([target]);
    expect(m.schema).toBe('evals');
    expect(m.description).toContain(
      'narcissism.jsonl analyzed together with the 2 other JSONL files',
    );
    expect(m.description).toContain('agreeableness.jsonl');
  });

  it('"file" scope analyzes the file alone', async () => {
    const target = path.join(folder, 'narcissism.jsonl');
    const m = await selectMixture({ ...base, selected: [target], scope: 'file' });
    expect(m.files).toEqual([target]);
    expect(m.description).toContain('alone');
  });

  it('"workspace" scope walks the workspace folder recursively', async () => {
    const target = path.join(folder, 'narcissism.jsonl');
    const m = await selectMixture({
      ...base,
      workspaceFolders: [root],
      selected: [target],
      scope: 'workspace',
    });
    expect(m.files.map((f) => path.relative(folder, f))).toEqual(
      [...persona, path.join('nested', 'openness.jsonl')].sort(),
    );
  });

  it('takes an explicit multi-selection or a folder as the mixture', async () => {
    const picked = [
      path.join(folder, 'risk-seeking.jsonl'),
      path.join(folder, 'agreeableness.jsonl'),
    ];
    const m = await selectMixture({ ...base, selected: picked, scope: 'folder' });
    expect(m.files).toEqual([...picked].sort());
    const all = await selectMixture({ ...base, selected: [folder], scope: 'file' });
    expect(all.files.length).toBe(6);
  });

  it('a forced schema applies to the neighbours too', async () => {
    const m = await selectMixture({
      ...base,
      selected: [path.join(folder, 'hh.jsonl')],
      scope: 'folder',
      schema: 'hh-rlhf',
    });
    // Every JSONL file of the folder (not its subfolders) counts as hh-rlhf when the setting says so.
    expect(m.files.length).toBe(5);
  });

  it('sniffs unsaved editor contents instead of the file on disk', async () => {
    const target = path.join(folder, 'pairs.jsonl');
    const overlays = new Map([
      [
        target,
        '{"question": "q", "answer_matching_behavior": " Yes", "answer_not_matching_behavior": " No"}\n',
      ],
    ]);
    const m = await selectMixture({ ...base, selected: [target], scope: 'folder', overlays });
    expect(m.schema).toBe('evals');
    expect(m.files.map((f) => path.basename(f))).toEqual([...persona, 'pairs.jsonl'].sort());
  });

  it('rejects a selection without JSONL files', async () => {
    await expect(
      selectMixture({ ...base, selected: [path.join(folder, 'notes.txt')], scope: 'folder' }),
    ).rejects.toThrow(/No JSONL/);
  });
});
