/**
 * Embedding what DPO compares (issue #12, part 2), on the bundled HH-RLHF harmless-base sample
 * (examples/hh-rlhf, the first 300 test records) with the bundled model (256 tokens): a text too
 * long for the model loses the start of its prompt, never the reply that differs, so almost no
 * pair embeds its two sides identically; cut at the end (the former policy) about one in ten did.
 */
import { toFloat32 } from '../../src/core/io/half.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateFindings } from '../../src/cli/gate.js';
import { readDatasets, readRowContents } from '../../src/core/dataset/index.js';
import { type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import type { TextSource } from '../../src/core/embed/types.js';
import { textDigest } from '../../src/core/digest.js';
import { analyze, type AnalyzeResult } from '../../src/core/pipeline.js';
import { buildDiagnostics } from '../../src/extension/diagnostics-model.js';

const root = path.resolve(__dirname, '../..');
const HH = path.join(root, 'examples/hh-rlhf/harmless-base-test-first300.jsonl');
const PAIRWISE = path.join(root, 'examples/pairwise/harmless-pairs-string.jsonl');

/** Pairs whose two rows have bitwise identical vectors, counted here from the raw rows. */
const identicalPairs = (
  rows: readonly { pair?: number }[],
  data: Float32Array,
  dim: number,
): number => {
  const byPair = new Map<number, number[]>();
  rows.forEach((r, i) => {
    if (r.pair !== undefined) byPair.set(r.pair, [...(byPair.get(r.pair) ?? []), i]);
  });
  let same = 0;
  for (const [a, b] of byPair.values()) {
    const x = data.subarray(a * dim, (a + 1) * dim);
    const y = data.subarray(b * dim, (b + 1) * dim);
    if (x.every((v, k) => v === y[k])) same += 1;
  }
  return same;
};

let hh: AnalyzeResult;
const embedders: ChildEmbedder[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  hh = await analyze([HH], { simulation: { preset: 'fast-preview', steps: 10 }, rebalance: false });
}, 600_000);

afterAll(async () => {
  await Promise.all(embedders.map((e) => e.dispose()));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('pairwise texts keep their reply when the prompt is too long', () => {
  it('on HH-RLHF harmless-base at most 1% of the pairs embed identically', () => {
    const checks = hh.report.pairChecks!;
    expect(checks.pairs).toBe(299); // one of the 300 records has an empty reply (skipped)
    expect(checks.identicalPairs / checks.pairs).toBeLessThanOrEqual(0.01);
    expect(identicalPairs(hh.examples, toFloat32(hh.embeddings.data), hh.embeddings.dim)).toBe(
      checks.identicalPairs,
    );
    expect(hh.report.warnings?.some((w) => w.kind === 'identical-pairs')).toBe(false);
    // Long transcripts are cut, at the start of their prompt.
    expect(checks.truncation).toMatchObject({ measured: true, maxTokens: 256 });
    expect(checks.truncation.truncatedRows).toBeGreaterThan(50);
    expect(checks.truncation.promptCutRows).toBeGreaterThan(0.9 * checks.truncation.truncatedRows);
  });

  it('cut at the end instead (the same texts without their prompt boundary), about 9% do', async () => {
    const embedder = await createEmbedder({ device: 'cpu' });
    embedders.push(embedder);
    const texts = (await readRowContents(hh.examples)).map((c) => c.text);
    const cutAtEnd = await embedder.embed(texts);
    const same = identicalPairs(hh.examples, cutAtEnd.data, cutAtEnd.dim);
    expect(same / 299).toBeGreaterThan(0.05);
  });

  it('a text that fits is embedded exactly as without a boundary', async () => {
    const embedder = embedders[0] ?? (await createEmbedder({ device: 'cpu' }));
    if (!embedders.includes(embedder)) embedders.push(embedder);
    const [file] = await readDatasets([PAIRWISE]);
    const rows = file.examples.filter((e) => e.text.length < 200).slice(0, 24);
    expect(rows.length).toBe(24);
    expect(rows.every((r) => (r.promptChars ?? 0) > 0)).toBe(true);
    const withBoundary: TextSource = {
      length: rows.length,
      // A digest of its own, so that the cache cannot hand back the vectors of the plain texts.
      digest: (r) => textDigest(`boundary test ${r}\u0000${rows[r].text}`),
      textLength: (r) => rows[r].text.length,
      texts: async (list) => list.map((r) => rows[r].text),
      promptChars: (r) => rows[r].promptChars ?? 0,
    };
    const a = await embedder.embed(withBoundary);
    const b = await embedder.embed(rows.map((r) => r.text));
    expect([...a.truncation!]).toEqual(new Array<number>(24).fill(0));
    expect(a.data).toEqual(b.data);
  });
});

describe('pairs that embed identically are reported where they are', () => {
  it('warns with the lines of the pairs, gates on identical-pairs, and diagnoses those lines', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pl-identical-'));
    dirs.push(dir);
    // Real pairs; in two of them the rejected reply is the chosen one in capitals, which the
    // uncased bundled model cannot tell apart.
    const lines = (await readFile(PAIRWISE, 'utf8')).split('\n').filter(Boolean).slice(0, 30);
    for (const at of [4, 17]) {
      const r = JSON.parse(lines[at]) as { prompt: string; chosen: string; rejected: string };
      lines[at] = JSON.stringify({ ...r, rejected: r.chosen.toUpperCase() });
    }
    const file = path.join(dir, 'capitals.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await analyze([file], {
      simulation: { preset: 'fast-preview', steps: 5 },
      rebalance: false,
    });
    const w = result.report.warnings?.find((x) => x.kind === 'identical-pairs');
    expect(w?.count).toBe(2);
    expect(w?.examples).toEqual([
      { file, line: 5 },
      { file, line: 18 },
    ]);
    expect(w?.message).toMatch(/^2 pairs of 30 \(6\.7%\) embed their chosen and rejected sides/);
    expect(gateFindings(result.report, ['identical-pairs'])).toEqual(['identical-pairs: 2']);
    const diagnostics = buildDiagnostics(result.report, result.skipped, {
      maxLabelErrorHintsPerFile: 0,
    }).get(file)!;
    const identical = diagnostics.filter((d) => d.code === 'identical-pairs');
    expect(identical.map((d) => [d.line, d.severity])).toEqual([
      [4, 'warning'],
      [17, 'warning'],
    ]);
  });
});
