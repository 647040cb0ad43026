import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetChangedError,
  readDatasets,
  readRowContents,
  rowDigest,
  rowTextLength,
} from '../../src/core/dataset/index.js';
import { type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import type { TextSource } from '../../src/core/embed/types.js';
import { analyze } from '../../src/core/pipeline.js';
import { repoRoot, tempDir } from './embed-helpers.js';

/** The first `n` persona records of agreeableness, questions made unique, as a file in `dir`. */
const personaFile = (dir: string, n: number): { file: string; lines: string[] } => {
  const lines = readFileSync(join(repoRoot, 'examples/persona/agreeableness.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, n);
  const file = join(dir, 'agreeableness.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, lines };
};

describe('embedding rows whose texts stay on disk', () => {
  const dirs: string[] = [];
  const embedders: ChildEmbedder[] = [];
  const start = async (cacheDir: string | false) => {
    const e = await createEmbedder({ cacheDir, batchSize: 8, device: 'cpu', threads: 1 });
    embedders.push(e);
    return e;
  };
  afterAll(async () => {
    await Promise.all(embedders.map((e) => e.dispose()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('same vectors as the texts in memory; a warm run reads no text back', async () => {
    const dir = tempDir('stored-embed');
    dirs.push(dir);
    const { file } = personaFile(dir, 60);
    const [kept] = await readDatasets([file]);
    const [stored] = await readDatasets([file], { keepTexts: false });
    const reads: number[][] = [];
    const source: TextSource = {
      length: stored.examples.length,
      digest: (r) => rowDigest(stored.examples[r]),
      textLength: (r) => rowTextLength(stored.examples[r]),
      texts: async (rows) => {
        reads.push([...rows]);
        return (await readRowContents(rows.map((r) => stored.examples[r]))).map((c) => c.text);
      },
    };
    const cache = join(dir, 'cache');
    const cold = await start(cache);
    const fromDisk = await cold.embed(source);
    expect(cold.lastRun).toEqual({ total: 60, cached: 0, embedded: 60 });
    // Batches of 8 texts, each row read back once.
    expect(reads.map((r) => r.length)).toEqual([8, 8, 8, 8, 8, 8, 8, 4]);
    expect(reads.flat().sort((a, b) => a - b)).toEqual([...Array(60).keys()]);

    const inMemory = await (await start(false)).embed(kept.examples.map((e) => e.text));
    expect(fromDisk.data).toEqual(inMemory.data);

    reads.length = 0;
    const warm = await start(cache);
    const again = await warm.embed(source);
    expect(warm.lastRun).toEqual({ total: 60, cached: 60, embedded: 0 });
    expect(reads).toEqual([]);
    expect(again.data).toEqual(fromDisk.data);
    // The string API keys the cache alike: the texts in memory hit the same entries.
    await warm.embed(kept.examples.map((e) => e.text));
    expect(warm.lastRun).toEqual({ total: 60, cached: 60, embedded: 0 });
  });

  it('analyze: a file changed between reading and embedding fails with the changed line', async () => {
    const dir = tempDir('stored-changed');
    dirs.push(dir);
    const { file, lines } = personaFile(dir, 40);
    const embedder = await start(false);
    const edited = [...lines];
    edited[6] = edited[6].replace('?', '!');
    expect(edited[6]).not.toBe(lines[6]);
    const run = analyze([file], { embedder }, undefined, (p) => {
      // Saved from an editor while the run embeds: same size, one character of line 7 differs.
      if (p.stage === 'embed') writeFileSync(file, `${edited.join('\n')}\n`);
    });
    await expect(run).rejects.toThrow(DatasetChangedError);
    await expect(
      analyze([file], { embedder }, undefined, (p) => {
        if (p.stage === 'embed') writeFileSync(file, `${lines.join('\n')}\n`);
      }),
    ).rejects.toThrow(`${file}:7: the file changed since it was read`);
  });
});
