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
    const json = path.join(work, 'rebalanced.json');
    const out = path.join(work, 'rebalanced');
    const result = await quick('--json', json, '--rebalance-out', out);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const weights = report.rebalancing!.weights;
    for (const b of BEHAVIORS) {
      const lines = (await readFile(path.join(out, `${b}.jsonl`), 'utf8')).trim().split('\n');
      const w = weights[b];
      expect(lines.length).toBe(Math.floor(w) * 160 + Math.round((w - Math.floor(w)) * 160));
    }
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
