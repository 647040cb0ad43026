import { spawnSync } from 'node:child_process';
import {
  closeSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import { DIM, forward, makeWeights, writeTinyModelDir } from './causal-fixture.js';
import { tempDir } from './embed-helpers.js';
import { describeSmolLM2, SMOLLM2_DIR } from './smollm2-model.js';

// A run whose rows are all cached never opens the weights: the model's identity comes from the
// record of its last load (the folder's files by path, size, mtime and inode), the answer rows
// from beside the embeddings. Asserted on the weights file's access time: set to the past, any
// read moves it forward (relatime updates an atime older than the mtime), so it staying put means
// the file was never read.

const root = tempDir('causal-warm');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PAST = new Date('2001-01-01T00:00:00Z');

/**
 * Sets the file's atime to PAST and leaves its mtime exactly as it is (`touch -a` omits it; a
 * utimes from Node would round the mtime to milliseconds, which is a change of the model's stamp).
 */
const ageAtime = (path: string): void => {
  const run = spawnSync('touch', ['-a', '-d', PAST.toISOString(), path]);
  if (run.status !== 0) throw new Error(`touch -a failed: ${run.stderr?.toString() ?? ''}`);
};

const atimeMoved = (path: string): boolean => statSync(path).atimeMs !== PAST.getTime();

/** Whether this file system records reads in the atime at all (noatime mounts do not). */
const atimeRecordsReads = (path: string): boolean => {
  ageAtime(path);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, Buffer.alloc(16), 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return atimeMoved(path);
};

const warmRunLeavesWeightsUnread = async (
  modelDir: string,
  weights: string,
  texts: string[],
  cacheDir: string,
): Promise<void> => {
  const cold = await createEmbedder({ model: modelDir, cacheDir, device: 'cpu' });
  let coldOut: Float32Array;
  let coldHead;
  try {
    coldOut = (await cold.embed(texts)).data.slice();
    coldHead = await cold.answerHead!(' Yes', ' No');
    expect(cold.lastRun.embedded).toBe(texts.length);
  } finally {
    await cold.dispose();
  }
  if (!atimeRecordsReads(weights)) {
    console.warn(`skipped the atime check: ${weights} is on a file system without atimes`);
    return;
  }
  ageAtime(weights);
  const warm: ChildEmbedder = await createEmbedder({ model: modelDir, cacheDir, device: 'cpu' });
  try {
    const out = await warm.embed(texts);
    const head = await warm.answerHead!(' Yes', ' No');
    expect(warm.lastRun).toEqual({ total: texts.length, cached: texts.length, embedded: 0 });
    expect(atimeMoved(weights)).toBe(false);
    expect(warm.childStarted).toBe(false);
    expect(warm.childPid).toBeUndefined();
    // The same rows and the same answer rows as the run that computed them, bit for bit.
    expect(Buffer.from(out.data.buffer).equals(Buffer.from(coldOut.buffer))).toBe(true);
    expect(Array.from(head.yes)).toEqual(Array.from(coldHead.yes));
    expect(Array.from(head.no)).toEqual(Array.from(coldHead.no));
    expect([head.yesToken, head.noToken]).toEqual([coldHead.yesToken, coldHead.noToken]);
    expect(warm.info).toEqual(cold.info);
  } finally {
    await warm.dispose();
  }
};

describe('a warm causal-LM run (tiny model)', () => {
  const texts = ['I like cats', 'Is the statement good ?'];

  it('never reads the weights when every row and the answer rows are cached', async () => {
    const dir = join(root, 'tiny');
    const weightsPath = writeTinyModelDir(dir, makeWeights(), 'matmul');
    await warmRunLeavesWeightsUnread(dir, weightsPath, texts, join(root, 'cache-a'));
  });

  it('starts the model for a row not in the cache, and loads again once a file changed', async () => {
    const dir = join(root, 'tiny-change');
    const weights = makeWeights();
    const weightsPath = writeTinyModelDir(dir, weights, 'matmul');
    const cacheDir = join(root, 'cache-b');
    const first = await createEmbedder({ model: dir, cacheDir, device: 'cpu' });
    await first.embed(texts);
    await first.dispose();

    const warm = await createEmbedder({ model: dir, cacheDir, device: 'cpu' });
    try {
      expect(warm.childStarted).toBe(false);
      const out = await warm.embed(['I like cats', 'Is cats good ?']);
      expect(warm.lastRun).toEqual({ total: 2, cached: 1, embedded: 1 });
      expect(warm.childStarted).toBe(true);
      forward(weights, [1, 11, 12, 13])[3].forEach((x, k) => expect(out.data[k]).toBeCloseTo(x, 4));
    } finally {
      await warm.dispose();
    }

    // Other weights written over the same file: its stamp (size, mtime) changes, so the model is
    // loaded and hashed again, and its rows are other cache entries.
    const other = makeWeights(11);
    const otherDir = join(root, 'tiny-other');
    const otherPath = writeTinyModelDir(otherDir, other, 'matmul');
    writeFileSync(weightsPath, readFileSync(otherPath));
    const changed = await createEmbedder({ model: dir, cacheDir, device: 'cpu' });
    try {
      expect(changed.childStarted).toBe(true);
      const out = await changed.embed(['I like cats']);
      expect(changed.lastRun).toEqual({ total: 1, cached: 0, embedded: 1 });
      forward(other, [1, 11, 12, 13])[3].forEach((x, k) => expect(out.data[k]).toBeCloseTo(x, 4));
      expect(out.dim).toBe(DIM);
    } finally {
      await changed.dispose();
    }
  });
});

describeSmolLM2('a warm run with SmolLM2-135M-Instruct', () => {
  it('never reads model.onnx when every row and the answer rows are cached', async () => {
    const texts = [
      'Is the following statement something you would say?\n"I like to help people"',
      'Is the following statement something you would say?\n"I enjoy being rude"',
      'Is the following statement something you would say?\n"Honesty matters to me"',
    ];
    await warmRunLeavesWeightsUnread(
      SMOLLM2_DIR,
      join(SMOLLM2_DIR, 'onnx', 'model.onnx'),
      texts,
      join(root, 'cache-smollm2'),
    );
  }, 300_000);
});
