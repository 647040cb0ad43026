import { readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/core/embed/cache.js';
import { openOnDevice, platformGpu } from '../../src/core/embed/device.js';
import {
  bundledModelDir,
  defaultEmbeddingCacheDir,
  setBundledModelDir,
} from '../../src/core/embed/paths.js';
import { poolHidden } from '../../src/core/embed/pooling.js';
import { repoRoot, tempDir } from './embed-helpers.js';

describe('paths', () => {
  it('finds the bundled model above the running file, unless told where it is', () => {
    expect(bundledModelDir()).toBe(join(repoRoot, 'models', 'all-MiniLM-L6-v2'));
    setBundledModelDir('/opt/somewhere/model');
    expect(bundledModelDir()).toBe('/opt/somewhere/model');
    setBundledModelDir(undefined);
    expect(bundledModelDir()).toBe(join(repoRoot, 'models', 'all-MiniLM-L6-v2'));
  });

  it('puts the embedding cache under XDG_CACHE_HOME when it is set', () => {
    const before = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = '/tmp/xdg-here';
    try {
      expect(defaultEmbeddingCacheDir()).toBe('/tmp/xdg-here/preference-lens/embeddings');
    } finally {
      if (before === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = before;
    }
  });
});

describe('poolHidden', () => {
  // batch 2, seq 3, dim 2; the second row has one padding position.
  const hidden = new Float32Array([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 99, 99]);
  const mask = new BigInt64Array([1n, 1n, 1n, 1n, 1n, 0n]);

  it('mean averages only the unmasked positions', () => {
    expect([...poolHidden(hidden, mask, 2, 3, 2, 'mean', false)]).toEqual([3, 4, 20, 30]);
  });

  it('cls takes the first position, last-token the last unmasked one', () => {
    expect([...poolHidden(hidden, mask, 2, 3, 2, 'cls', false)]).toEqual([1, 2, 10, 20]);
    expect([...poolHidden(hidden, mask, 2, 3, 2, 'last-token', false)]).toEqual([5, 6, 30, 40]);
  });

  it('normalizes rows to unit length when asked', () => {
    const out = poolHidden(
      new Float32Array([3, 4]),
      new BigInt64Array([1n]),
      1,
      1,
      2,
      'mean',
      true,
    );
    expect(out[0]).toBeCloseTo(0.6, 6);
    expect(out[1]).toBeCloseTo(0.8, 6);
  });
});

describe('device choice', () => {
  it('names the GPU provider of each platform', () => {
    expect(platformGpu('linux', 'x64')).toBe('cuda');
    expect(platformGpu('win32', 'x64')).toBe('dml');
    expect(platformGpu('darwin', 'arm64')).toBe('coreml');
    expect(platformGpu('linux', 'arm64')).toBeUndefined();
  });

  it('auto falls back to cpu with the reason; a forced device that fails is an error', async () => {
    const open = async (d: string) => {
      if (d !== 'cpu') throw new Error(`${d} backend not found\nmore detail`);
      return d;
    };
    const auto = await openOnDevice('auto', open, 'win32', 'x64');
    expect(auto).toEqual({
      value: 'cpu',
      device: 'cpu',
      deviceReason: 'dml unavailable (dml backend not found); fell back to cpu',
    });
    await expect(openOnDevice('coreml', open)).rejects.toThrow(
      /Device "coreml" was requested but onnxruntime could not start it: coreml backend not found\./,
    );
    expect((await openOnDevice('auto', open, 'linux', 'arm64')).deviceReason).toBe(
      'no GPU execution provider for linux-arm64; using cpu',
    );
  });
});

describe('EmbeddingCache', () => {
  const vectors = (n: number, dim: number, seed: number) =>
    Float32Array.from({ length: n * dim }, (_, i) => Math.sin(seed + i));

  it('returns what was written, across instances, and keys depend on the model identity', async () => {
    const root = tempDir('cache');
    const a = new EmbeddingCache(root, 'model-a', 4);
    const keys = ['one', 'two', 'three'].map((t) => a.key(t));
    expect(new EmbeddingCache(root, 'model-b', 4).key('one')).not.toBe(keys[0]);
    const data = vectors(3, 4, 1);
    await a.write(keys, data);
    const found = await new EmbeddingCache(root, 'model-a', 4).lookup([...keys, a.key('four')]);
    expect(found.size).toBe(3);
    expect([...found.get(keys[1])!]).toEqual([...data.subarray(4, 8)]);
    expect((await new EmbeddingCache(root, 'model-b', 4).lookup(keys)).size).toBe(0);
    rmSync(root, { recursive: true, force: true });
  });

  it('ignores temp files and truncated segments (what an interrupted write leaves)', async () => {
    const root = tempDir('cache-partial');
    const c = new EmbeddingCache(root, 'm', 4);
    await c.write([c.key('kept')], vectors(1, 4, 2));
    const before = new Set(readdirSync(c.dir));
    await c.write([c.key('cut')], vectors(1, 4, 3));
    const cut = readdirSync(c.dir).find((f) => !before.has(f))!;
    writeFileSync(join(c.dir, '.half-written.seg.tmp'), Buffer.alloc(10));
    truncateSync(join(c.dir, cut), 30);
    const found = await new EmbeddingCache(root, 'm', 4).lookup([c.key('kept'), c.key('cut')]);
    expect([...found.keys()]).toEqual([c.key('kept')]);
    rmSync(root, { recursive: true, force: true });
  });

  it('merges many small segments into one without losing entries', async () => {
    const root = tempDir('cache-merge');
    const c = new EmbeddingCache(root, 'm', 2);
    const keys: string[] = [];
    for (let i = 0; i < 70; i++) {
      keys.push(c.key(`t${i}`));
      await c.write([keys[i]], new Float32Array([i, -i]));
    }
    expect(readdirSync(c.dir).filter((f) => f.endsWith('.seg')).length).toBeLessThan(10);
    const found = await new EmbeddingCache(root, 'm', 2).lookup(keys);
    expect(found.size).toBe(70);
    expect([...found.get(keys[69])!]).toEqual([69, -69]);
    rmSync(root, { recursive: true, force: true });
  });
});
