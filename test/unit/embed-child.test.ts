import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder, EmbeddingProcessError } from '../../src/core/embed/index.js';
import { cosine, personaStatements, row } from './embed-helpers.js';

describe('embedding child process', () => {
  it('reports a crashed child clearly, then a new child embeds the next call', async () => {
    const embedder = await createEmbedder({
      cacheDir: false,
      batchSize: 4,
      device: 'cpu',
      threads: 1,
    });
    afterAll(() => embedder.dispose());
    const texts = personaStatements().slice(0, 200);
    const firstPid = embedder.childPid!;
    let killed = false;
    const run = embedder.embed(texts, undefined, (p) => {
      if (p.done > 0 && !killed) {
        killed = true;
        process.kill(firstPid, 'SIGKILL');
      }
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingProcessError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The embedding process \\(pid ${firstPid}\\) was killed by SIGKILL.*The next embed call starts a new one\\.$`,
      ),
    );

    const out = await embedder.embed(texts.slice(0, 3));
    expect(embedder.childPid).not.toBe(firstPid);
    expect(out.rows).toBe(3);
    // Real vectors again: unit length (the model normalizes), and two different statements differ.
    const first = row(out.data, 384, 0);
    expect(Math.hypot(...first)).toBeCloseTo(1, 4);
    expect(cosine(first, row(out.data, 384, 1))).toBeLessThan(0.95);
  });

  it('disposing kills the child; the embedder refuses further work', async () => {
    const embedder = await createEmbedder({ cacheDir: false, device: 'cpu' });
    const pid = embedder.childPid!;
    await embedder.dispose();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(embedder.embed(['x'])).rejects.toThrow(/disposed/);
  });
});
