import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report/types.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');
const BEHAVIORS = ['agreeableness', 'subscribes-to-total-utilitarianism', 'risk-seeking'];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const cli = async (args: string[]): Promise<CliResult> => {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

let work: string;
let data: string;
let cache: string;

/** A short run on the shared samples and cache: 5 simulated steps are enough for these checks. */
const quick = (...extra: string[]) =>
  cli(['analyze', data, '--cache-dir', cache, '--steps', '5', ...extra]);

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/cli.js'))) {
    throw new Error('dist/cli.js is missing: `npm test` builds before the unit tests');
  }
  work = await mkdtemp(path.join(tmpdir(), 'pl-cli-'));
  data = path.join(work, 'persona');
  cache = path.join(work, 'cache');
  await mkdir(data);
  // 160 lines per behavior keep the test quick while both classes stay well populated.
  for (const b of BEHAVIORS) {
    const lines = (await readFile(path.join(root, 'examples/persona', `${b}.jsonl`), 'utf8'))
      .split('\n')
      .slice(0, 160);
    await writeFile(path.join(data, `${b}.jsonl`), lines.join('\n') + '\n');
  }
});

describe('preference-lens analyze (end to end, bundled model)', () => {
  it('writes the report, Markdown, HTML and embeddings; a warm re-run embeds nothing', async () => {
    const json = path.join(work, 'report.json');
    const md = path.join(work, 'report.md');
    const html = path.join(work, 'report.html');
    const emb = path.join(work, 'emb');
    const first = await cli([
      'analyze',
      data,
      '--cache-dir',
      cache,
      '--steps',
      '60',
      '--json',
      json,
      '--markdown',
      md,
      '--html',
      html,
      '--save-embeddings',
      emb,
      '--no-progress',
    ]);
    expect(first.stderr).not.toMatch(/preference-lens: /);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/all-MiniLM-L6-v2/);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(report.version).toBe(1);
    expect(report.model.dimension).toBe(384);
    expect(report.model.device).toBe('cpu');
    expect(report.behaviors.map((b) => b.name).sort()).toEqual([...BEHAVIORS].sort());
    for (const b of report.behaviors) {
      expect(b.nPositive + b.nNegative).toBe(160);
      expect(b.distinguishability).toBeGreaterThan(0);
      expect(b.files[0].file).toBe(path.join(data, `${b.name}.jsonl`));
    }
    expect(report.priority.gaps).toHaveLength(3);
    // Flags left unset must keep the documented defaults, or no warning would ever fire.
    expect(report.thresholds).toMatchObject({
      priorityLevel: 0.5,
      relativeDistinguishability: 0.5,
    });
    expect(report.simulation.perBehavior[BEHAVIORS[0]].step).toHaveLength(61);
    expect(report.simulation.joint?.behaviors).toHaveLength(3);
    expect(report.timings.embeddedRows).toBe(480);
    expect(await readFile(md, 'utf8')).toMatch(/agreeableness/);
    const page = await readFile(html, 'utf8');
    expect(page).not.toMatch(/(src|href)=["']https?:/);
    expect(page).toMatch(/Content-Security-Policy/);
    // The sidecar beside the JSON report: every row, with its map position (UMAP: 480 rows).
    const sidecar = JSON.parse(await readFile(path.join(work, 'report.rows.json'), 'utf8')) as {
      rows: number;
      x: number[];
      line: number[];
      projection: { method: string };
    };
    expect(sidecar.rows).toBe(480);
    expect(sidecar.x).toHaveLength(480);
    expect(sidecar.projection.method).toBe('umap');
    expect(page).toContain('"sidecar":{"version":1,"rows":480');

    const npy = await readFile(path.join(emb, 'embeddings.npy'));
    expect(npy.subarray(1, 6).toString('latin1')).toBe('NUMPY');
    expect(npy.toString('latin1', 10, 80)).toMatch(/'shape': \(480, 384\)/);
    const rows = (await readFile(path.join(emb, 'rows.jsonl'), 'utf8')).trim().split('\n');
    expect(rows).toHaveLength(480);
    expect(JSON.parse(rows[0])).toMatchObject({ label: expect.any(Number), line: 1 });

    const again = await quick('--json', json);
    expect(again.code).toBe(0);
    const warm = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(warm.timings.embeddedRows).toBe(0);
    expect(warm.timings.cachedRows).toBe(480);
    expect(warm.behaviors.map((b) => b.distinguishability)).toEqual(
      report.behaviors.map((b) => b.distinguishability),
    );
  });

  it('writes the rebalanced dataset with the suggested upsampling', async () => {
    // A loose tolerance, so that a weighting is suggested on these small samples (the default
    // 0.02 may rightly find none; analysis-rebalance-search.test.ts pins the rule).
    const json = path.join(work, 'rebalanced.json');
    const out = path.join(work, 'rebalanced');
    const loose = ['--rebalance-tolerance', '0.9'];
    const result = await quick('--json', json, '--rebalance-out', out, ...loose);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(report.rebalancing!.suggested).toBe(true);
    const weights = report.rebalancing!.weights;
    for (const b of BEHAVIORS) {
      const lines = (await readFile(path.join(out, `${b}.jsonl`), 'utf8')).trim().split('\n');
      const w = weights[b];
      expect(lines.length).toBe(Math.floor(w) * 160 + Math.round((w - Math.floor(w)) * 160));
    }
    expect(result.stdout).toContain('Rebalancing suggestion (upsample):');

    // One merged file: re-analyzing it keeps every line and every behavior's name, and
    // reproduces the levels the suggestion predicted.
    const merged = path.join(work, 'rebalanced-one.jsonl');
    expect((await quick('--rebalance-out', merged, ...loose)).code).toBe(0);
    const againJson = path.join(work, 'rebalanced-again.json');
    const again = await cli([
      'analyze',
      merged,
      '--cache-dir',
      cache,
      '--steps',
      '5',
      '--no-rebalance',
      '--json',
      againJson,
    ]);
    expect(again.code).toBe(0);
    const reanalyzed = JSON.parse(await readFile(againJson, 'utf8')) as Report;
    expect(reanalyzed.skipped.total).toBe(0);
    expect(reanalyzed.behaviors.map((b) => b.name).sort()).toEqual([...BEHAVIORS].sort());
    for (const b of reanalyzed.behaviors) {
      const w = weights[b.name];
      expect(b.nPositive + b.nNegative).toBe(
        Math.floor(w) * 160 + Math.round((w - Math.floor(w)) * 160),
      );
      expect(Math.abs(b.priorityLevel - report.rebalancing!.levelsAfter[b.name])).toBeLessThan(
        0.02,
      );
    }
  });

  it('writes the rebalanced output exactly when a weighting is suggested, else says why', async () => {
    const out = path.join(work, 'strict.jsonl');
    const json = path.join(work, 'strict.json');
    const result = await quick(
      '--rebalance-out',
      out,
      '--rebalance-tolerance',
      '0',
      '--json',
      json,
    );
    expect(result.code).toBe(0);
    const rb = (JSON.parse(await readFile(json, 'utf8')) as Report).rebalancing!;
    expect(existsSync(out)).toBe(rb.suggested);
    if (!rb.suggested) {
      expect(result.stdout).toContain(`Rebalancing: ${rb.note}`);
      expect(result.stderr).toContain(`not writing ${out}`);
    }
  });

  it('lists every label hint with --max-suspects all, with one count in every face', async () => {
    // A copy of the samples with 8 answers of agreeableness swapped: the hints should find them.
    const flippedDir = path.join(work, 'flipped');
    await mkdir(flippedDir, { recursive: true });
    const planted = new Set([10, 30, 50, 70, 90, 110, 130, 150]);
    for (const b of BEHAVIORS) {
      const lines = (await readFile(path.join(data, `${b}.jsonl`), 'utf8')).trim().split('\n');
      const out = lines.map((l, i) => {
        if (b !== 'agreeableness' || !planted.has(i + 1)) return l;
        const r = JSON.parse(l) as Record<string, string>;
        [r.answer_matching_behavior, r.answer_not_matching_behavior] = [
          r.answer_not_matching_behavior,
          r.answer_matching_behavior,
        ];
        return JSON.stringify(r);
      });
      await writeFile(path.join(flippedDir, `${b}.jsonl`), out.join('\n') + '\n');
    }
    const json = path.join(work, 'hints.json');
    const md = path.join(work, 'hints.md');
    const args = ['analyze', flippedDir, '--cache-dir', cache, '--steps', '5', '--no-rebalance'];
    const result = await cli([...args, '--max-suspects', 'all', '--json', json, '--markdown', md]);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const markdown = await readFile(md, 'utf8');
    let total = 0;
    for (const b of report.behaviors) {
      const count = b.suspectCount ?? -1;
      expect(b.suspects).toHaveLength(count);
      total += count;
      const warning = b.warnings.find((w) => w.kind === 'possible-label-error');
      if (count === 0) continue;
      expect(warning?.message.startsWith(`${count} of ${b.nPositive + b.nNegative} `)).toBe(true);
      expect(markdown).toContain(`**${b.name}**: ${count} example(s)`);
      for (const s of b.suspects)
        expect(s.confidence).toBeLessThan(report.thresholds.labelHintCutoff!);
    }
    expect(result.stdout).toContain(`Label hints (information): ${total} example(s)`);
    const agreeableness = report.behaviors.find((b) => b.name === 'agreeableness')!;
    const found = agreeableness.suspects.filter((s) => planted.has(s.line)).length;
    // 160 rows make a weak classifier (recall is pinned on 600-row behaviors in
    // analysis-label-hints.test.ts); here the planted flips are at least among the hints.
    expect(found).toBeGreaterThanOrEqual(1);
    // Without `all`, the list is capped and the count stays the same.
    const capped = await cli([...args, '--max-suspects', '1', '--json', json]);
    expect(capped.code).toBe(0);
    const cappedReport = JSON.parse(await readFile(json, 'utf8')) as Report;
    const cappedAgreeableness = cappedReport.behaviors.find((b) => b.name === 'agreeableness')!;
    expect(cappedAgreeableness.suspects).toHaveLength(1);
    expect(cappedAgreeableness.suspectCount).toBe(agreeableness.suspectCount);
    // The sidecar flags every hint per row, listed or not: with none listed, the rows `all` lists.
    const unlisted = path.join(work, 'unlisted.json');
    expect((await cli([...args, '--max-suspects', '0', '--json', unlisted])).code).toBe(0);
    const unlistedReport = JSON.parse(await readFile(unlisted, 'utf8')) as Report;
    expect(unlistedReport.behaviors.flatMap((b) => b.suspects)).toEqual([]);
    const rowsFile = JSON.parse(await readFile(path.join(work, 'unlisted.rows.json'), 'utf8')) as {
      flagKinds: string[];
      flags: number[];
      files: string[];
      file: number[];
      line: number[];
      label: number[];
    };
    const bit = 1 << rowsFile.flagKinds.indexOf('possible-label-error');
    const flagged = rowsFile.flags.flatMap((f, i) =>
      f & bit
        ? [`${rowsFile.files[rowsFile.file[i]]}:${rowsFile.line[i]}:${rowsFile.label[i]}`]
        : [],
    );
    const listedAll = report.behaviors.flatMap((b) =>
      b.suspects.map((s) => `${s.file}:${s.line}:${s.label}`),
    );
    expect(listedAll.length).toBe(total);
    expect(total).toBeGreaterThan(0);
    expect(flagged.sort()).toEqual(listedAll.sort());
  });

  it('gates a pipeline with --fail-on warning', async () => {
    const result = await quick('--priority-threshold', '2', '--fail-on', 'warning');
    expect(result.stdout).toMatch(/Warnings:/);
    expect(result.code).toBe(1);
  });

  it('rejects unusable input with one line and exit code 2', async () => {
    const bad = path.join(work, 'bad.jsonl');
    await writeFile(bad, '{"foo": 1, "bar": "x"}\n{"foo": 2}\n');
    const result = await cli(['analyze', bad, '--cache-dir', cache]);
    expect(result.code).toBe(2);
    const line = result.stderr.split('\n').find((l) => l.startsWith('preference-lens:'));
    expect(line).toMatch(/bad\.jsonl/);
    expect(line).toMatch(/bad\.jsonl:1:/);
    expect(line).toMatch(/foo/);

    const missing = await cli(['analyze', path.join(work, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });

  it('reports skipped lines with their position and keeps the rest', async () => {
    const dir = path.join(work, 'mixed');
    await mkdir(dir);
    const good = (await readFile(path.join(data, 'agreeableness.jsonl'), 'utf8')).split('\n');
    await writeFile(
      path.join(dir, 'agreeableness.jsonl'),
      [...good.slice(0, 40), '{"question": "x", oops', good[0], ''].join('\n'),
    );
    const other = (await readFile(path.join(data, 'risk-seeking.jsonl'), 'utf8')).split('\n');
    await writeFile(path.join(dir, 'risk-seeking.jsonl'), other.slice(0, 40).join('\n'));
    const json = path.join(work, 'mixed.json');
    const result = await cli([
      'analyze',
      dir,
      '--cache-dir',
      cache,
      '--steps',
      '5',
      '--json',
      json,
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(report.skipped.total).toBe(2);
    expect(report.skipped.byReason).toMatchObject({ 'invalid-json': 1, duplicate: 1 });
    expect(report.skipped.lines[0]).toMatchObject({ line: 41, reason: 'invalid-json' });
    expect(result.stdout).toMatch(/skipped lines: 2/);
  });
});
