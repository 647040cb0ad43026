import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import type { EmbedProgress } from '../../src/core/embed/types.js';
import { personaStatements, tempDir } from './embed-helpers.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('embedding cache', () => {
  const statements = personaStatements();
  const dirs: string[] = [];
  const embedders: ChildEmbedder[] = [];
  const start = async (cacheDir: string | false, batchSize = 16) => {
    const e = await createEmbedder({ cacheDir, batchSize, device: 'cpu', threads: 1 });
    embedders.push(e);
    return e;
  };
  afterAll(async () => {
    await Promise.all(embedders.map((e) => e.dispose()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('misses, then hits: a warm run embeds nothing and returns the same vectors', async () => {
    const dir = tempDir('embed-cache');
    dirs.push(dir);
    const texts = [...statements.slice(0, 64), statements[0], statements[5]];
    const first = await start(dir);
    const progress: EmbedProgress[] = [];
    const cold = await first.embed(texts, undefined, (p) => progress.push(p));
    expect(first.lastRun).toEqual({ total: 66, cached: 0, embedded: 64 });
    expect(progress[0]).toEqual({ done: 0, total: 66, cached: 0 });
    expect(progress.at(-1)).toEqual({ done: 66, total: 66, cached: 0 });
    // Duplicates get their twin's row.
    expect(cold.data.subarray(64 * 384, 65 * 384)).toEqual(cold.data.subarray(0, 384));

    // A new embedder (new child, new cache index) reads the entries back from disk.
    const second = await start(dir);
    const warmProgress: EmbedProgress[] = [];
    const warm = await second.embed(texts, undefined, (p) => warmProgress.push(p));
    expect(second.lastRun).toEqual({ total: 66, cached: 66, embedded: 0 });
    expect(warmProgress).toEqual([{ done: 66, total: 66, cached: 66 }]);
    expect(warm.data).toEqual(cold.data);
  });

  it('an aborted run rejects with AbortError, keeps its finished batches, and the re-run resumes', async () => {
    const dir = tempDir('embed-abort');
    dirs.push(dir);
    const texts = statements.slice(100, 400);
    const embedder = await start(dir, 8);
    const controller = new AbortController();
    const run = embedder.embed(texts, controller.signal, (p) => {
      if (p.done >= 40) controller.abort();
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const embeddedBeforeAbort = embedder.lastRun.embedded;
    expect(embeddedBeforeAbort).toBeGreaterThanOrEqual(40);
    expect(embeddedBeforeAbort).toBeLessThan(texts.length);

    const resumed = await embedder.embed(texts);
    expect(embedder.lastRun.cached).toBeGreaterThanOrEqual(embeddedBeforeAbort);
    expect(embedder.lastRun.embedded).toBe(texts.length - embedder.lastRun.cached);
    expect(embedder.lastRun.embedded).toBeGreaterThan(0);

    // Same vectors as a run that never touched the cache (batches differ, so only float noise).
    const fresh = await start(false, 8);
    const reference = await fresh.embed(texts);
    expect(maxAbsDiff(resumed.data, reference.data)).toBeLessThan(1e-4);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const embedder = embedders[0];
    const controller = new AbortController();
    controller.abort();
    await expect(embedder.embed(['x'], controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
