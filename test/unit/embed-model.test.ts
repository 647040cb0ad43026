import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledModelDir, type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import type { Pooling } from '../../src/core/embed/types.js';
import { cosine, expectedFixture, ortHasCuda, row, tempDir } from './embed-helpers.js';

// The bundled int8 model against vectors the original fp32 PyTorch model produced
// (tools/model/export_model.py), one embedder (one child process) per pooling.
describe('bundled all-MiniLM-L6-v2', () => {
  const fixture = expectedFixture();
  const embedders: ChildEmbedder[] = [];
  afterAll(async () => Promise.all(embedders.map((e) => e.dispose())));
  const results = new Map<Pooling, Float32Array>();

  for (const pooling of ['mean', 'cls', 'last-token'] as const) {
    it(`matches the original model with ${pooling} pooling (cosine >= 0.99)`, async () => {
      const embedder = await createEmbedder({ pooling, cacheDir: false, device: 'cpu' });
      embedders.push(embedder);
      expect(embedder.info.dimension).toBe(384);
      expect(embedder.info.pooling).toBe(pooling);
      expect(embedder.info.kind).toBe('sentence-embedding');
      const out = await embedder.embed(fixture.sentences);
      expect(out.rows).toBe(fixture.sentences.length);
      fixture.sentences.forEach((_, i) => {
        expect(cosine(row(out.data, 384, i), fixture.vectors[pooling][i])).toBeGreaterThanOrEqual(
          0.99,
        );
      });
      results.set(pooling, out.data);
    });
  }

  it('gives different vectors for different poolings', () => {
    const mean = results.get('mean')!;
    for (const other of ['cls', 'last-token'] as const) {
      const sims = fixture.sentences.map((_, i) =>
        cosine(row(mean, 384, i), row(results.get(other)!, 384, i)),
      );
      expect(Math.min(...sims)).toBeLessThan(0.9);
    }
  });

  it('reports the SHA-256 of the ONNX file it runs', () => {
    const sums = readFileSync(join(bundledModelDir(), 'SHA256SUMS'), 'utf8');
    const line = sums.split('\n').find((l) => l.endsWith('onnx/model_quantized.onnx'))!;
    expect(embedders[0].info.sha256).toBe(line.split(/\s+/)[0]);
    expect(embedders[0].info.deviceReason).toBe('cpu requested');
  });
});

describe('device selection on this machine', () => {
  const hasCuda = ortHasCuda();

  it.skipIf(hasCuda || process.platform !== 'linux' || process.arch !== 'x64')(
    'auto tries cuda, then falls back to cpu and says why',
    async () => {
      const embedder = await createEmbedder({ device: 'auto', cacheDir: false });
      try {
        expect(embedder.info.device).toBe('cpu');
        expect(embedder.info.deviceReason).toMatch(/^cuda unavailable \(.+\); fell back to cpu$/);
        const out = await embedder.embed(['still works on cpu']);
        expect(out.dim).toBe(384);
      } finally {
        await embedder.dispose();
      }
    },
  );

  it.skipIf(hasCuda)('a forced cuda without CUDA is a clear error', async () => {
    await expect(createEmbedder({ device: 'cuda', cacheDir: false })).rejects.toThrow(
      /Device "cuda" was requested but onnxruntime could not start it: .+ Use device "auto"/,
    );
  });

  it.skipIf(process.platform === 'win32')('a forced dml off Windows is a clear error', async () => {
    await expect(createEmbedder({ device: 'dml', cacheDir: false })).rejects.toThrow(
      /Device "dml" was requested but onnxruntime could not start it/,
    );
  });
});

describe('model sources', () => {
  it('refuses a Hugging Face id without allowDownload, saying how to allow it', async () => {
    await expect(
      createEmbedder({
        model: 'sentence-transformers/not-downloaded-here',
        cacheDir: false,
        downloadDir: '/nonexistent',
      }),
    ).rejects.toThrow(/downloading is off\. Allow it \(CLI --allow-download/);
  });

  it('loads a local model folder given by path', async () => {
    const embedder = await createEmbedder({
      model: bundledModelDir(),
      cacheDir: false,
      device: 'cpu',
    });
    try {
      expect(embedder.info.id).toBe(bundledModelDir());
      expect((await embedder.embed(['a local folder'])).dim).toBe(384);
    } finally {
      await embedder.dispose();
    }
  });

  it('loads a Hugging Face id from the download cache without the network', async () => {
    const downloadDir = tempDir('embed-hub');
    const id = 'sentence-transformers/all-MiniLM-L6-v2';
    cpSync(bundledModelDir(), join(downloadDir, id), { recursive: true });
    const embedder = await createEmbedder({
      model: id,
      downloadDir,
      cacheDir: false,
      device: 'cpu',
    });
    try {
      expect(embedder.info.id).toBe(id);
      expect((await embedder.embed(['from the download cache'])).dim).toBe(384);
    } finally {
      await embedder.dispose();
      rmSync(downloadDir, { recursive: true, force: true });
    }
  });

  it('says so when a local folder does not exist', async () => {
    await expect(createEmbedder({ model: './no/such/model', cacheDir: false })).rejects.toThrow(
      /The model folder .*no\/such\/model does not exist/,
    );
  });
});
