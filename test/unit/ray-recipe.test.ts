import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report/types.js';

// Needs the recipe's Python environment (recipes/ray/setup.sh; CI creates it and runs
// `npm run test:ray`). Without it the test is skipped and says why.
const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');
const python =
  process.env.PREFERENCE_LENS_RAY_PYTHON ?? path.join(root, 'recipes/ray/.venv/bin/python');
const hasPython = existsSync(python);
if (!hasPython) {
  console.warn(
    `ray-recipe.test.ts skipped: no Python environment at ${python} (run recipes/ray/setup.sh, then npm run test:ray)`,
  );
}
const BEHAVIORS = ['agreeableness', 'risk-seeking', 'subscribes-to-total-utilitarianism'];

const cli = (args: string[]) =>
  run(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 64 * 1024 * 1024 });

let work: string;
let rowsFile: string;
let data: string;
beforeAll(async () => {
  if (!hasPython) return;
  work = await mkdtemp(path.join(tmpdir(), 'pl-ray-'));
  data = path.join(work, 'persona');
  await mkdir(data);
  // The bundled sample: 120 lines of three persona behaviors (360 rows).
  for (const b of BEHAVIORS) {
    const lines = (await readFile(path.join(root, 'examples/persona', `${b}.jsonl`), 'utf8'))
      .split('\n')
      .slice(0, 120);
    await writeFile(path.join(data, `${b}.jsonl`), lines.join('\n') + '\n');
  }
  rowsFile = path.join(work, 'rows.parquet');
  await cli(['export-rows', data, '--out', rowsFile]);
});

describe.skipIf(!hasPython)('the Ray recipe and outside shards', () => {
  it('a local Ray run on the bundled model gives the direct CLI run’s report numbers', async () => {
    const shards = path.join(work, 'shards');
    await run(
      python,
      [
        path.join(root, 'recipes/ray/embed_rows.py'),
        ...[
          '--rows',
          rowsFile,
          '--out',
          shards,
          '--model',
          path.join(root, 'models/all-MiniLM-L6-v2'),
        ],
        ...['--local-cpus', '2', '--concurrency', '1'],
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    );
    const localJson = path.join(work, 'local.json');
    const rayJson = path.join(work, 'ray.json');
    await cli(['analyze', data, '--no-cache', '--steps', '20', '--json', localJson]);
    await cli([
      'analyze',
      '--embeddings',
      shards,
      '--rows',
      rowsFile,
      '--steps',
      '20',
      '--json',
      rayJson,
    ]);
    const local = JSON.parse(await readFile(localJson, 'utf8')) as Report;
    const ray = JSON.parse(await readFile(rayJson, 'utf8')) as Report;
    expect(ray.model.deviceReason).toMatch(/precomputed embeddings/);
    expect(ray.model.sha256).toBe(local.model.sha256);
    expect(ray.behaviors.map((b) => b.name)).toEqual(local.behaviors.map((b) => b.name));
    // float32 rounding: the two runs embed with two onnxruntime builds (Node, Python).
    const close = (a: number, b: number) =>
      expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b)));
    ray.behaviors.forEach((b, i) => {
      const l = local.behaviors[i];
      for (const k of [
        'distinguishability',
        'normalizedDistinguishability',
        'trace',
        'concentration',
        'priorityLevel',
      ] as const)
        close(b[k], l[k]);
      expect([b.nPositive, b.nNegative]).toEqual([l.nPositive, l.nNegative]);
      expect(b.suspects.map((s) => s.line)).toEqual(l.suspects.map((s) => s.line));
    });
    for (const [name, c] of Object.entries(ray.simulation.perBehavior))
      c.testAccuracy.forEach((v, k) =>
        close(v, local.simulation.perBehavior[name].testAccuracy[k]),
      );
  }, 300_000);

  it('long HH-RLHF pairs: the recipe cuts the prompt from its start, as the local run does', async () => {
    // The bundled HH-RLHF sample's first 80 pairs: many transcripts exceed the model's 256 tokens,
    // and cut at their end both sides of such a pair would be the same text.
    const hh = path.join(work, 'hh');
    await mkdir(hh);
    const lines = (
      await readFile(path.join(root, 'examples/hh-rlhf/harmless-base-test-first300.jsonl'), 'utf8')
    )
      .split('\n')
      .slice(0, 80);
    const file = path.join(hh, 'harmless.jsonl');
    await writeFile(file, lines.join('\n') + '\n');
    const hhRows = path.join(work, 'hh-rows.parquet');
    await cli(['export-rows', file, '--out', hhRows]);
    const shards = path.join(work, 'hh-shards');
    await run(
      python,
      [
        path.join(root, 'recipes/ray/embed_rows.py'),
        ...[
          '--rows',
          hhRows,
          '--out',
          shards,
          '--model',
          path.join(root, 'models/all-MiniLM-L6-v2'),
        ],
        ...['--local-cpus', '2', '--concurrency', '1'],
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    );
    const common = ['--discover-behaviors', 'off', '--steps', '20', '--no-rebalance'];
    const localJson = path.join(work, 'hh-local.json');
    const rayJson = path.join(work, 'hh-ray.json');
    await cli(['analyze', file, '--no-cache', ...common, '--json', localJson]);
    await cli(['analyze', '--embeddings', shards, '--rows', hhRows, ...common, '--json', rayJson]);
    const local = JSON.parse(await readFile(localJson, 'utf8')) as Report;
    const ray = JSON.parse(await readFile(rayJson, 'utf8')) as Report;
    // The local run did cut texts, keeping their responses.
    expect(local.pairChecks!.truncation.promptCutRows).toBeGreaterThan(10);
    expect(local.pairChecks!.identicalPairs).toBe(0);
    expect(ray.pairChecks!.identicalPairs).toBe(0);
    expect(ray.pairChecks!.nearIdenticalPairs).toBe(local.pairChecks!.nearIdenticalPairs);
    const [l, r] = [local.behaviors[0], ray.behaviors[0]];
    for (const k of ['distinguishability', 'trace', 'concentration'] as const)
      expect(Math.abs(r[k] - l[k]), k).toBeLessThan(1e-5 * Math.max(1, Math.abs(l[k])));
  }, 300_000);

  it('shards written by numpy and pyarrow are analyzed with the numpy statistics of the same vectors', async () => {
    const shards = path.join(work, 'outside', 'shards');
    const expectedFile = path.join(work, 'expected.json');
    await run(python, [
      path.join(root, 'test/ray/outside_shards.py'),
      rowsFile,
      shards,
      expectedFile,
    ]);
    const json = path.join(work, 'outside.json');
    await cli([
      'analyze',
      '--embeddings',
      shards,
      '--rows',
      rowsFile,
      '--answer-rows',
      path.join(work, 'outside', 'answer_rows.npy'),
      '--steps',
      '5',
      '--json',
      json,
    ]);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const expected = JSON.parse(await readFile(expectedFile, 'utf8')) as Record<
      string,
      Record<string, number>
    >;
    expect(report.behaviors.map((b) => b.name).sort()).toEqual(Object.keys(expected).sort());
    for (const b of report.behaviors) {
      for (const [k, v] of Object.entries(expected[b.name])) {
        const got = b[k as keyof typeof b] as number;
        expect(Math.abs(got - v), `${b.name} ${k}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(v)));
      }
    }
  }, 120_000);
});
