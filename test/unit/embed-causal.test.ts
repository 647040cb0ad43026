import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../src/core/embed/index.js';
import { DIM, forward, makeWeights, writeTinyModelDir } from './causal-fixture.js';
import { tempDir } from './embed-helpers.js';

// The dispatch point: a folder whose config.json names a causal LM goes to src/core/embed/causal,
// still inside the child process and behind the cache. The tiny LM is built by the causal tests' fixture.
describe('createEmbedder with a causal LM folder', () => {
  const root = tempDir('embed-causal');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const weights = makeWeights();

  it('embeds g(x) at the last prompt token and reads the answer rows through the child', async () => {
    const dir = join(root, 'tiny');
    writeTinyModelDir(dir, weights, 'matmul');
    const embedder = await createEmbedder({
      model: dir,
      cacheDir: join(root, 'cache'),
      device: 'cpu',
    });
    try {
      expect(embedder.info).toMatchObject({
        kind: 'causal-lm',
        dimension: DIM,
        pooling: 'last-token',
        device: 'cpu',
      });
      const out = await embedder.embed(['I like cats', 'Is the statement good ?']);
      const expected = [
        forward(weights, [1, 11, 12, 13])[3],
        forward(weights, [1, 3, 4, 6, 7, 14])[5],
      ];
      expected.forEach((vec, r) =>
        vec.forEach((x, k) => expect(out.data[r * DIM + k]).toBeCloseTo(x, 4)),
      );
      const head = await embedder.answerHead!(' Yes', ' No');
      expect(head.yesToken).toBe('▁Yes');
      expect(head.yes.length).toBe(DIM);
      await embedder.embed(['I like cats']);
      expect(embedder.lastRun).toEqual({ total: 1, cached: 1, embedded: 0 });
    } finally {
      await embedder.dispose();
    }
  });

  it('refuses a pooling other than last-token for a causal LM', async () => {
    const dir = join(root, 'tiny-pool');
    writeTinyModelDir(dir, weights, 'matmul');
    await expect(createEmbedder({ model: dir, pooling: 'mean', cacheDir: false })).rejects.toThrow(
      /is a causal LM: .* pooling must be "last-token", not "mean"/,
    );
  });

  it('refuses a logits-only export with the causal module message', async () => {
    const dir = join(root, 'tiny-fused');
    writeTinyModelDir(dir, weights, 'fused');
    await expect(createEmbedder({ model: dir, cacheDir: false, device: 'cpu' })).rejects.toThrow(
      /logits-only.*final normalized hidden state/,
    );
  });
});
