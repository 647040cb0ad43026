import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, readDatasets } from '../../src/core/dataset/index.js';
import type { DatasetFile } from '../../src/core/dataset/types.js';
import { recordCopies, writeRebalancedJsonl } from '../../src/core/io/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AGREEABLENESS = resolve(ROOT, 'examples/persona/agreeableness.jsonl');
const OPENNESS = resolve(ROOT, 'examples/persona/openness.jsonl');
const PAIRS = resolve(ROOT, 'examples/pairwise/harmless-pairs-string.jsonl');
const BROKEN = resolve(ROOT, 'test/fixtures/datasets/broken.jsonl');

const linesOf = async (file: string) =>
  (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');

/** A written line without the marker --rebalance-out appends: the source line, verbatim. */
const unmark = (line: string): string => {
  const cut = line.lastIndexOf(', "_preference_lens": {');
  expect(cut).toBeGreaterThan(0);
  return `${line.slice(0, cut)}}`;
};
const markerOf = (line: string): { behavior: string; copy: number } =>
  (JSON.parse(line) as { _preference_lens: { behavior: string; copy: number } })._preference_lens;

describe('recordCopies', () => {
  it('gives the integer part to all and one more to exactly round(fraction x n), seeded', () => {
    const copies = recordCopies(1000, 2.25, 7, 'b');
    expect(copies.reduce((a, b) => a + b, 0)).toBe(2250);
    expect(new Set(copies)).toEqual(new Set([2, 3]));
    expect(recordCopies(1000, 2.25, 7, 'b')).toEqual(copies);
    expect(recordCopies(1000, 2.25, 8, 'b')).not.toEqual(copies);
    expect(recordCopies(1000, 2.25, 7, 'other behavior')).not.toEqual(copies);
    expect(recordCopies(3, 0, 1, 'b')).toEqual(new Uint32Array([0, 0, 0]));
    expect(() => recordCopies(3, -1, 1, 'b')).toThrow('weight of "b" must be a finite number >= 0');
  });
});

describe('writeRebalancedJsonl', () => {
  let dir = '';
  let persona: DatasetFile[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plens-rebalance-'));
    persona = await readDatasets([AGREEABLENESS, OPENNESS]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('into a folder: one file per source, original lines marked, counts per weight', async () => {
    const out = join(dir, 'persona-rebalanced');
    const result = await writeRebalancedJsonl(out, persona, { agreeableness: 2.5, openness: 0.5 });
    expect(result.files).toEqual([join(out, 'agreeableness.jsonl'), join(out, 'openness.jsonl')]);
    expect(result.lines).toBe(3000);
    expect(result.behaviors).toEqual({
      agreeableness: { weight: 2.5, records: 1000, written: 2500 },
      openness: { weight: 0.5, records: 1000, written: 500 },
    });
    const source = new Set(await linesOf(AGREEABLENESS));
    const written = await linesOf(result.files[0]);
    expect(written).toHaveLength(2500);
    for (const line of written) expect(source.has(unmark(line))).toBe(true);
    // Every record is there two or three times, so the behavior keeps all of its examples; the
    // copies are numbered 0, 1(, 2).
    const counts = new Map<string, number>();
    for (const line of written) counts.set(unmark(line), (counts.get(unmark(line)) ?? 0) + 1);
    expect(counts.size).toBe(1000);
    expect(new Set(counts.values())).toEqual(new Set([2, 3]));
    expect(new Set(written.map((l) => markerOf(l).copy))).toEqual(new Set([0, 1, 2]));
    expect(await linesOf(result.files[1])).toHaveLength(500);

    // Re-reading the output with the default duplicate rule keeps every copy: the marked copies
    // are the upsampling, not duplicates.
    const again = await readDataset(result.files[0]);
    expect(again.examples).toHaveLength(2500);
    expect(again.skipped).toHaveLength(0);
    expect(again.examples[0].behavior).toBe('agreeableness');
  });

  it('into one .jsonl file: behavior names kept, copies kept, lines shuffled', async () => {
    const out = join(dir, 'persona-one.jsonl');
    const result = await writeRebalancedJsonl(out, persona, { agreeableness: 2, openness: 1 });
    expect(result.lines).toBe(3000);
    const written = await linesOf(out);
    // Shuffled: the two behaviors are interleaved, not one block after the other.
    const firstHalf = written.slice(0, 1500).map((l) => markerOf(l).behavior);
    expect(new Set(firstHalf)).toEqual(new Set(['agreeableness', 'openness']));
    const again = await readDataset(out);
    expect(again.skipped).toHaveLength(0);
    const perBehavior = new Map<string, number>();
    for (const e of again.examples)
      perBehavior.set(e.behavior, (perBehavior.get(e.behavior) ?? 0) + 1);
    expect(Object.fromEntries(perBehavior)).toEqual({ agreeableness: 2000, openness: 1000 });
  });

  it('is deterministic for a seed and changes with it', async () => {
    const a = await writeRebalancedJsonl(
      join(dir, 'a.jsonl'),
      persona,
      { openness: 1.3 },
      { seed: 3 },
    );
    const b = await writeRebalancedJsonl(
      join(dir, 'b.jsonl'),
      persona,
      { openness: 1.3 },
      { seed: 3 },
    );
    const c = await writeRebalancedJsonl(
      join(dir, 'c.jsonl'),
      persona,
      { openness: 1.3 },
      { seed: 4 },
    );
    const [textA, textB, textC] = await Promise.all(
      [a, b, c].map((r) => readFile(r.files[0], 'utf8')),
    );
    expect(textA).toBe(textB);
    expect(textA).not.toBe(textC);
    expect(a.lines).toBe(1000 + 1300);
  });

  it('into one .jsonl file: pairs count once per record, skipped lines are left out', async () => {
    const files = await readDatasets([PAIRS, BROKEN]);
    const out = join(dir, 'mixed', 'all.jsonl');
    const result = await writeRebalancedJsonl(out, files, { 'multi-turn': 2, 'single-turn': 0 });
    expect(result.files).toEqual([out]);
    expect(result.behaviors['multi-turn']).toEqual({ weight: 2, records: 212, written: 424 });
    expect(result.behaviors['single-turn']).toEqual({ weight: 0, records: 87, written: 0 });
    expect(result.behaviors.broken).toEqual({ weight: 1, records: 3, written: 3 });
    const written = await linesOf(out);
    expect(written).toHaveLength(424 + 3);
    const broken = (await readFile(BROKEN, 'utf8')).split('\n');
    // The three kept lines of broken.jsonl (1, 15, 19), verbatim under the marker.
    const fromBroken = written.filter((l) => markerOf(l).behavior === 'broken').map(unmark);
    expect(new Set(fromBroken)).toEqual(new Set([broken[0], broken[14], broken[18]]));
    expect(written.every((l) => !l.includes('"single-turn"'))).toBe(true);
  });

  it('never overwrites a source', async () => {
    await expect(
      writeRebalancedJsonl(resolve(ROOT, 'examples/persona'), persona, {}),
    ).rejects.toThrow('is one of the sources');
    await expect(writeRebalancedJsonl(OPENNESS, persona, {})).rejects.toThrow(
      'is one of the sources',
    );
  });

  it('refuses a source that changed since it was read', async () => {
    const [file] = await readDatasets([OPENNESS]);
    const shorter = (await readFile(OPENNESS, 'utf8')).split('\n').slice(0, 10).join('\n');
    await expect(
      writeRebalancedJsonl(
        join(dir, 'x.jsonl'),
        [file],
        {},
        { overlays: new Map([[OPENNESS, shorter]]) },
      ),
    ).rejects.toThrow('changed since it was analyzed');
  });
});
