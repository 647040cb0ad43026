/**
 * The pair checks (issue #12, part 5) on real pairs from the bundled HH-RLHF sample
 * (examples/pairwise/harmless-pairs-string.jsonl) with the bundled model: length bias, near-
 * identical pairs, repeated and shared prompts, each counted with its file:line examples, and the
 * expected figures computed here from the raw JSON fields.
 */
import { toFloat32 } from '../../src/core/io/half.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateFindings, parseFailOn } from '../../src/cli/gate.js';
import { formatSummary } from '../../src/cli/summary.js';
import { runPairChecks } from '../../src/core/analysis/pair-checks.js';
import { renderMarkdown } from '../../src/shared/markdown.js';
import { analyze, type AnalyzeResult } from '../../src/core/pipeline.js';
import { checkMixture } from '../../src/core/pair-check-inputs.js';
import { buildDiagnostics } from '../../src/extension/diagnostics-model.js';

const SOURCE = path.resolve(__dirname, '../../examples/pairwise/harmless-pairs-string.jsonl');

interface Pair {
  prompt: string;
  chosen: string;
  rejected: string;
}

let dir: string;
let files: { a: string; b: string; longer: string };
let raw: { a: Pair[]; b: Pair[]; longer: Pair[] };
let result: AnalyzeResult;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pl-pair-checks-'));
  const pairs = (await readFile(SOURCE, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Pair)
    // Their "category" field would name the behaviors; here the file names do.
    .map(({ prompt, chosen, rejected }) => ({ prompt, chosen, rejected }));
  const a = pairs.slice(0, 60);
  // Line 61: line 11's prompt again, the preference the other way round (an exact repeat).
  a.push({ ...a[10], chosen: a[10].rejected, rejected: a[10].chosen });
  // Line 62: line 21's prompt in capitals without its punctuation, another record's replies.
  a.push({
    prompt: a[20].prompt.toUpperCase().replace(/[?.!,]/g, ''),
    chosen: a[30].chosen,
    rejected: a[30].rejected,
  });
  const b = pairs.slice(60, 120);
  // Line 61 of b: line 6 of a, as it is (the same prompt in two behaviors).
  b.push(a[5]);
  // A behavior where "chosen" is simply the longer reply.
  const longer = pairs.slice(120, 160).map((p) =>
    p.chosen.length >= p.rejected.length
      ? p
      : {
          ...p,
          chosen: p.rejected,
          rejected: p.chosen,
        },
  );
  raw = { a, b, longer };
  files = {
    a: path.join(dir, 'a.jsonl'),
    b: path.join(dir, 'b.jsonl'),
    longer: path.join(dir, 'longer.jsonl'),
  };
  for (const key of ['a', 'b', 'longer'] as const)
    await writeFile(files[key], raw[key].map((p) => JSON.stringify(p)).join('\n') + '\n');
  result = await analyze([files.a, files.b, files.longer], {
    simulation: { preset: 'fast-preview', steps: 5 },
    rebalance: false,
  });
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const warning = (kind: string) => result.report.warnings?.find((w) => w.kind === kind);

describe('pair checks on real pairs', () => {
  it('skips only the record with an empty reply', () => {
    expect(result.skipped.map((l) => [path.basename(l.file), l.reason])).toEqual([
      ['b.jsonl', 'empty-text'],
    ]);
  });

  it('length bias: the fraction of longer chosen replies and the correlation, per behavior', () => {
    const bias = result.report.pairChecks!.lengthBias;
    for (const key of ['a', 'b', 'longer'] as const) {
      // The reader skips a record with an empty reply (one in b) and a chosen equal to rejected.
      const d = raw[key]
        .filter(
          (p) => p.chosen !== p.rejected && p.chosen.trim() !== '' && p.rejected.trim() !== '',
        )
        .map((p) => p.chosen.length - p.rejected.length);
      const mean = d.reduce((s, x) => s + x, 0) / d.length;
      const rms = Math.sqrt(d.reduce((s, x) => s + x * x, 0) / d.length);
      expect(bias.perBehavior[key].pairs).toBe(d.length);
      expect(bias.perBehavior[key].fractionChosenLonger).toBeCloseTo(
        d.filter((x) => x > 0).length / d.length,
        12,
      );
      expect(bias.perBehavior[key].correlation).toBeCloseTo(mean / rms, 12);
    }
    expect(bias.perBehavior.longer.fractionChosenLonger).toBeGreaterThan(0.9);
    const w = warning('length-bias')!;
    expect(w.message).toMatch(/longer: chosen longer in \d+% of \d+ pairs/);
    expect(w.examples).toContainEqual({ file: files.longer, line: 1 });
  });

  it('repeated prompts within a behavior, exactly and up to case and punctuation', () => {
    // The raw prompts' own repeats in the copied lines, counted from the JSON fields.
    const repeats = (list: Pair[]) => list.length - new Set(list.map((p) => p.prompt)).size;
    const exact = warning('duplicate-prompts')!;
    expect(exact.count).toBe(repeats(raw.a) + repeats(raw.b) + repeats(raw.longer));
    expect(exact.examples).toContainEqual({ file: files.a, line: 61 });
    const near = warning('near-duplicate-prompts')!;
    expect(near.examples).toContainEqual({ file: files.a, line: 62 });
  });

  it('the same prompt in two behaviors, with its line in each', () => {
    const shared = warning('shared-prompts')!;
    expect(shared.count).toBeGreaterThanOrEqual(1);
    expect(shared.examples).toEqual(
      expect.arrayContaining([
        { file: files.a, line: 6 },
        { file: files.b, line: 61 },
      ]),
    );
    expect(shared.message).toMatch(/a, b/);
  });

  it('near-identical pairs follow the cosine threshold', async () => {
    const { examples, embeddings } = result;
    const cosines: number[] = [];
    const byPair = new Map<number, number[]>();
    examples.forEach((e, i) => byPair.set(e.pair!, [...(byPair.get(e.pair!) ?? []), i]));
    for (const [x, y] of byPair.values()) {
      const d = embeddings.dim;
      let dot = 0;
      const g = toFloat32(embeddings.data); // a model's vectors: float32 already
      for (let k = 0; k < d; k++) dot += g[x * d + k] * g[y * d + k];
      cosines.push(dot); // the bundled model's vectors are unit length
    }
    for (const threshold of [0.95, 0.99]) {
      const { report } = await checkMixture(
        examples,
        embeddings,
        256,
        { nearIdenticalCosine: threshold },
        undefined,
      );
      const expected = cosines.filter((c) => c >= threshold - 1e-6 && c < 1 - 1e-7).length;
      expect(Math.abs(report.nearIdenticalPairs - expected)).toBeLessThanOrEqual(1);
    }
  });

  it('every face shows the findings with their lines; --fail-on takes the kinds', () => {
    const summary = formatSummary(result.report);
    expect(summary).toMatch(/! shared-prompts: .*\n {4}e\.g\. (a|b)\.jsonl:\d+/);
    const markdown = renderMarkdown(result.report);
    expect(markdown).toMatch(/- \*\*duplicate-prompts\*\*: .*\(e\.g\. a\.jsonl:61/);
    const kinds = parseFailOn('length-bias,shared-prompts,identical-pairs');
    const found = gateFindings(result.report, kinds);
    expect(found).toHaveLength(2);
    expect(found[0]).toBe(`length-bias: ${warning('length-bias')!.count}`);
    expect(found[1]).toBe(`shared-prompts: ${warning('shared-prompts')!.count}`);
    expect(parseFailOn('warning')).toContain('identical-pairs');
    expect(parseFailOn('warning')).not.toContain('length-bias');
  });

  it('costs a small fraction of the embedding: linear in the rows', () => {
    const { examples, embeddings } = result;
    const n = examples.length;
    const t0 = performance.now();
    runPairChecks({
      rows: examples.map((e) => ({
        behavior: e.behavior,
        label: e.label,
        file: e.file,
        line: e.line,
        pair: e.pair,
      })),
      data: embeddings.data,
      dim: embeddings.dim,
      responseLength: new Float64Array(n),
      promptKeys: examples.map((_, i) => ({ exact: String(i >> 1), near: String(i >> 1) })),
    });
    // 322 rows: far below a millisecond a row (embedding them takes tens of milliseconds each).
    expect(performance.now() - t0).toBeLessThan(n);
  });
});

describe('pair checks on a Parquet file', () => {
  it('name each example by its row index, in every face', async () => {
    // Behavior a's records as a Parquet file: record k (0-based) is row k, line k + 1 of a.jsonl.
    const file = path.join(dir, 'a.parquet');
    const { parquetWriteFile } = await import('hyparquet-writer');
    parquetWriteFile({
      filename: file,
      columnData: (['prompt', 'chosen', 'rejected'] as const).map((name) => ({
        name,
        data: raw.a.map((p) => p[name]),
        type: 'STRING' as const,
      })),
    });
    const parquet = await analyze([file, files.b], {
      simulation: { preset: 'fast-preview', steps: 5 },
      rebalance: false,
    });
    const exact = parquet.report.warnings!.find((w) => w.kind === 'duplicate-prompts')!;
    // a.jsonl:61 repeats line 11's prompt: rows 60 and 10 of the Parquet file.
    expect(exact.examples).toContainEqual({ file, line: 61 });
    expect(formatSummary(parquet.report)).toMatch(
      /duplicate-prompts: .*\n {4}e\.g\. .*a\.parquet row 60/,
    );
    expect(formatSummary(parquet.report)).not.toMatch(/a\.parquet:\d/);
    const markdown = renderMarkdown(parquet.report);
    expect(markdown).toMatch(/- \*\*duplicate-prompts\*\*: .*\(e\.g\. .*a\.parquet row 60/);
    expect(markdown).not.toMatch(/a\.parquet:\d/);
    // The Problems panel: the diagnostic sits on row 60's place and its text names the row.
    const diagnostics = buildDiagnostics(parquet.report, parquet.skipped, {
      maxLabelErrorHintsPerFile: 5,
    }).get(file)!;
    const onRow60 = diagnostics.find((d) => d.code === 'duplicate-prompts' && d.line === 60)!;
    expect(onRow60.message).toMatch(/\(row 60\)$/);
    for (const d of diagnostics) expect(d.message).not.toMatch(/this line|line \d/);
  }, 600_000);
});
