/**
 * What the pair checks and the truncation measurement cost next to the embedding (issue #12):
 * the bundled HH-RLHF sample (examples/hh-rlhf, 598 rows) analyzed with the bundled model from
 * an empty cache and again warm, and the checks alone on 100,000 synthetic rows at d = 384.
 *   npx tsx bench/pair-checks.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../src/core/analysis/rng.js';
import { runPairChecks } from '../src/core/analysis/pair-checks.js';
import { analyze } from '../src/core/pipeline.js';
import {
  readRowContents,
  rowDigest,
  rowPromptChars,
  rowTextLength,
} from '../src/core/dataset/index.js';
import type { Example } from '../src/core/dataset/types.js';
import { boundaryDigest } from '../src/core/digest.js';
import { createEmbedder } from '../src/core/embed/index.js';
import type { TextSource } from '../src/core/embed/types.js';

const HH = path.resolve(__dirname, '../examples/hh-rlhf/harmless-base-test-first300.jsonl');

/**
 * The truncation measurement's share of a warm run: the same cached rows embedded with their true
 * lengths (long ones are read back and tokenized) and with lengths of 0 (nothing is measured).
 */
const measureCost = async (examples: readonly Example[], cacheDir: string) => {
  const embedder = await createEmbedder({ cacheDir, device: 'cpu' });
  try {
    const source = (lengths: boolean): TextSource => ({
      length: examples.length,
      digest: (r) => boundaryDigest(rowDigest(examples[r]), rowPromptChars(examples[r])),
      textLength: (r) => (lengths ? rowTextLength(examples[r]) : 0),
      promptChars: (r) => rowPromptChars(examples[r]),
      texts: async (rows) =>
        (await readRowContents(rows.map((r) => examples[r]))).map((c) => c.text),
    });
    await embedder.embed(source(false));
    const a = performance.now();
    await embedder.embed(source(false));
    const b = performance.now();
    await embedder.embed(source(true));
    const c = performance.now();
    console.log(
      `warm, in one process: ${Math.round(b - a)} ms from the cache without measuring, ${Math.round(c - b)} ms with the truncation measured`,
    );
  } finally {
    await embedder.dispose();
  }
};

const main = async () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'pl-bench-checks-'));
  let perRowMs = 0;
  try {
    const options = {
      embed: { cacheDir, device: 'cpu' as const },
      simulation: { preset: 'fast-preview' as const, steps: 10 },
      rebalance: false,
    };
    for (const run of ['cold', 'warm']) {
      const { report, examples } = await analyze([HH], options);
      if (run === 'warm') await measureCost(examples, cacheDir);
      const t = report.timings;
      const checks = report.pairChecks!;
      if (run === 'cold') perRowMs = t.embedMs / report.inputs[0].rows;
      console.log(
        `${run}: ${t.embeddedRows} embedded, ${t.cachedRows} cached; embed ${t.embedMs} ms (truncation measured for ${checks.truncation.truncatedRows} cut of ${report.inputs[0].rows} rows), checks ${t.checksMs} ms (${checks.ms} ms without reading the prompts back) = ${((100 * (t.checksMs ?? 0)) / t.embedMs).toFixed(1)}% of the embedding`,
      );
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return perRowMs;
};

const scale = (perRowMs: number) => {
  // The checks alone at scale: 50,000 pairs, d = 384.
  const n = 100_000;
  const dim = 384;
  const rng = new Rng(1);
  const data = Float32Array.from({ length: n * dim }, () => rng.normal());
  const rows = Array.from({ length: n }, (_, r) => ({
    behavior: `b${(r >> 1) % 8}`,
    label: (r % 2 === 0 ? 1 : -1) as 1 | -1,
    file: 'synthetic.jsonl',
    line: (r >> 1) + 1,
    pair: r >> 1,
  }));
  const t0 = performance.now();
  runPairChecks({
    rows,
    data,
    dim,
    responseLength: Float64Array.from({ length: n }, () => rng.int(2000)),
    promptKeys: rows.map((_, r) => ({ exact: String(rng.int(n)), near: String(r >> 1) })),
  });
  console.log(
    `checks alone, ${n} rows at d = ${dim}: ${Math.round(performance.now() - t0)} ms (embedding them at the cold run's ${perRowMs.toFixed(0)} ms a row: ${Math.round((perRowMs * n) / 1000)} s)`,
  );
};

void main().then(scale);
