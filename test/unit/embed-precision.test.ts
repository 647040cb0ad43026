import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModelDir, type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import type { Report } from '../../src/core/report/types.js';
import {
  personaBehaviors,
  distinguishability,
  fp32Distinguishability,
} from '../../bench/fidelity.js';
import { cli, personaSample } from './cli-helpers.js';
import { cosine, expectedFixture, row, tempDir } from './embed-helpers.js';

const sumOf = (file: string): string => {
  const sums = readFileSync(path.join(bundledModelDir(), 'SHA256SUMS'), 'utf8');
  return sums
    .split('\n')
    .find((l) => l.endsWith(file))!
    .split(/\s+/)[0];
};

// The fast graph (tools/model/export_fast.py) against the original fp32 PyTorch model's vectors
// and distinguishability figures (tools/model/export_model.py, persona_reference.py).
describe('the bundled model at fast precision', () => {
  const fixture = expectedFixture();
  let fast: ChildEmbedder;
  beforeAll(async () => {
    fast = await createEmbedder({ precision: 'fast', cacheDir: false, device: 'cpu' });
  });
  afterAll(async () => fast?.dispose());

  it('runs its own ONNX file and says so', () => {
    expect(fast.info.precision).toBe('fast');
    expect(fast.info.sha256).toBe(sumOf('onnx/model_fast.onnx'));
    expect(fast.info.sha256).not.toBe(sumOf('onnx/model_quantized.onnx'));
  });

  // The exact graph keeps cosine >= 0.99 for every fixture sentence (embed-model.test.ts). The fast
  // one does not for the one-word "Yes" (dynamic int8 activations: 0.967 in Python onnxruntime too),
  // so, as issue #14 asks, the statistic the analysis reports is checked below instead.
  it('stays close to the original model sentence by sentence (mean pooling)', async () => {
    const out = await fast.embed(fixture.sentences);
    fixture.sentences.forEach((sentence, i) => {
      const c = cosine(row(out.data, 384, i), fixture.vectors.mean[i]);
      expect(c, sentence).toBeGreaterThanOrEqual(sentence === 'Yes' ? 0.96 : 0.985);
    });
  }, 60_000);

  // Two of the 24 bundled behaviors, 1000 texts each: the statistic the analysis reports. The fast
  // graph is documented within 3% of fp32 (2.76% at worst, subscribes-to-total-utilitarianism, in
  // Python onnxruntime: docs/performance.md); the exact graph's 1% is `npm run bench`'s goal.
  it.each(['agreeableness', 'subscribes-to-total-utilitarianism'])(
    "keeps %s's distinguishability within 3% of fp32",
    async (name) => {
      const [b] = personaBehaviors([name]);
      const out = await fast.embed(b.texts);
      const ours = distinguishability(out.data, out.dim, b.labels);
      const reference = fp32Distinguishability().get(name)!;
      expect(Math.abs(ours / reference - 1)).toBeLessThanOrEqual(0.03);
    },
    180_000,
  );
});

describe('precision and the embedding cache', () => {
  const embedders: ChildEmbedder[] = [];
  afterAll(async () => Promise.all(embedders.map((e) => e.dispose())));
  const texts = ['I like to keep my promises', 'I enjoy causing pain to others', 'Yes'];

  it('defaults to exact, and keeps the two precisions apart in one cache folder', async () => {
    const cacheDir = tempDir('precision-cache');
    const open = async (precision?: 'fast' | 'exact') => {
      const e = await createEmbedder({ cacheDir, device: 'cpu', precision });
      embedders.push(e);
      return e;
    };
    const exact = await open();
    expect(exact.info.precision).toBe('exact');
    const a = await exact.embed(texts);
    expect(exact.lastRun.embedded).toBe(3);

    const fast = await open('fast');
    const b = await fast.embed(texts);
    // Nothing of the exact run is served to the fast one, and the vectors differ.
    expect(fast.lastRun.embedded).toBe(3);
    expect(Array.from(b.data)).not.toEqual(Array.from(a.data));

    const fastAgain = await open('fast');
    expect(Array.from((await fastAgain.embed(texts)).data)).toEqual(Array.from(b.data));
    expect(fastAgain.lastRun.embedded).toBe(0);
    const exactAgain = await open('exact');
    expect(Array.from((await exactAgain.embed(texts)).data)).toEqual(Array.from(a.data));
    expect(exactAgain.lastRun.embedded).toBe(0);
  });

  it('is refused for a model other than the bundled one', async () => {
    await expect(
      createEmbedder({ model: bundledModelDir(), precision: 'fast', cacheDir: false }),
    ).rejects.toThrow(/precision \(fast\) chooses between the bundled model's graphs/);
  });

  it('is absent from the info of another model', async () => {
    const other = await createEmbedder({
      model: bundledModelDir(),
      cacheDir: false,
      device: 'cpu',
    });
    embedders.push(other);
    expect(other.info.precision).toBeUndefined();
  });
});

describe('preference-lens analyze --precision', () => {
  let data: string;
  let work: string;
  beforeAll(async () => {
    work = tempDir('precision-cli');
    data = await personaSample(path.join(work, 'persona'), ['agreeableness', 'risk-seeking'], 40);
  });

  it('records the precision in the report, the Markdown and the summary; the cache keeps them apart', async () => {
    const cache = path.join(work, 'cache');
    const run = async (name: string, ...flags: string[]) => {
      const json = path.join(work, `${name}.json`);
      const md = path.join(work, `${name}.md`);
      const args = ['analyze', data, '--cache-dir', cache, '--device', 'cpu', '--steps', '5'];
      const result = await cli([
        ...args,
        '--json',
        json,
        '--markdown',
        md,
        '--no-progress',
        ...flags,
      ]);
      expect(result.code, result.stderr).toBe(0);
      return {
        stdout: result.stdout,
        report: JSON.parse(await readFile(json, 'utf8')) as Report,
        markdown: await readFile(md, 'utf8'),
      };
    };
    const exact = await run('exact');
    expect(exact.report.model.precision).toBe('exact');
    expect(exact.stdout).toMatch(
      /^Model all-MiniLM-L6-v2 \(bundled\) \(sentence-embedding, d=384, exact precision\)/m,
    );
    expect(exact.markdown).toMatch(/- Model: .*mean pooling, exact precision, sha256/);

    const fast = await run('fast', '--precision', 'fast');
    expect(fast.report.model.precision).toBe('fast');
    expect(fast.report.model.sha256).toBe(sumOf('onnx/model_fast.onnx'));
    expect(fast.stdout).toMatch(/d=384, fast precision\)/);
    expect(fast.markdown).toMatch(/mean pooling, fast precision, sha256/);
    // The exact run's cache entries are not the fast run's.
    expect(fast.report.timings.embeddedRows).toBe(80);
    expect((await run('fast-again', '--precision', 'fast')).report.timings.cachedRows).toBe(80);
  }, 120_000);
});
