import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHalfBits } from '../../src/core/io/half.js';
import { npyHeader } from '../../src/core/io/npy.js';
import type { Report } from '../../src/core/report/types.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');
const blocker = path.join(root, 'test/fixtures/precomputed/no-onnxruntime.cjs');
const BEHAVIORS = ['agreeableness', 'risk-seeking', 'subscribes-to-total-utilitarianism'];

const cli = async (args: string[], nodeArgs: string[] = []) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, bin, ...args], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

/** A NPY pair written the way numpy.save does: NAME.npy (float32) and NAME.row_id.npy (int64). */
const writeShard = async (dir: string, name: string, ids: number[], rows: Float32Array[]) => {
  const d = rows[0].length;
  const data = new Float32Array(ids.length * d);
  rows.forEach((r, k) => data.set(r, k * d));
  await writeFile(
    path.join(dir, `${name}.npy`),
    Buffer.concat([npyHeader([ids.length, d]), Buffer.from(data.buffer)]),
  );
  const idBytes = Buffer.from(BigInt64Array.from(ids.map(BigInt)).buffer);
  await writeFile(
    path.join(dir, `${name}.row_id.npy`),
    Buffer.concat([npyHeader([ids.length], '<i8'), idBytes]),
  );
};

/** The numbers of a report (not its model, timings or date). */
const numbers = (r: Report) => ({
  behaviors: r.behaviors,
  priority: r.priority,
  simulation: r.simulation,
  rebalancing: r.rebalancing,
  inputs: r.inputs,
  skipped: r.skipped,
});

let work: string;
let rowsFile: string;
let local: Report;
let matrix: Float32Array[];

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/cli.js')))
    throw new Error('dist/cli.js is missing: `npm test` builds before the unit tests');
  work = await mkdtemp(path.join(tmpdir(), 'pl-precomputed-'));
  const data = path.join(work, 'persona');
  await mkdir(data);
  for (const b of BEHAVIORS) {
    const lines = (await readFile(path.join(root, 'examples/persona', `${b}.jsonl`), 'utf8'))
      .split('\n')
      .slice(0, 80);
    await writeFile(path.join(data, `${b}.jsonl`), lines.join('\n') + '\n');
  }
  rowsFile = path.join(work, 'rows.parquet');
  expect((await cli(['export-rows', data, '--out', rowsFile])).code).toBe(0);
  // The local run, with its vectors saved: the shards below carry exactly these vectors.
  const emb = path.join(work, 'emb');
  const json = path.join(work, 'local.json');
  const r = await cli([
    'analyze',
    data,
    '--no-cache',
    '--steps',
    '10',
    '--json',
    json,
    '--save-embeddings',
    emb,
  ]);
  expect(r.code, r.stderr).toBe(0);
  local = JSON.parse(await readFile(json, 'utf8')) as Report;
  const npy = await readFile(path.join(emb, 'embeddings.npy'));
  const d = local.model.dimension;
  const offset = npy.length - 240 * d * 4;
  const all = new Float32Array(
    npy.buffer.slice(npy.byteOffset + offset, npy.byteOffset + npy.length),
  );
  matrix = Array.from({ length: 240 }, (_, i) => all.slice(i * d, (i + 1) * d));
});

/** Shards of the local vectors: row ids shuffled, split unevenly over three NPY pairs. */
const shardsOf = async (name: string, edit?: (ids: number[]) => number[]) => {
  const dir = path.join(work, name);
  await mkdir(dir);
  let ids = Array.from({ length: 240 }, (_, i) => (i * 97) % 240); // a fixed permutation
  if (edit) ids = edit(ids);
  const cuts = [0, 31, 150, ids.length];
  for (let s = 0; s < 3; s++) {
    const part = ids.slice(cuts[s], cuts[s + 1]);
    await writeShard(
      dir,
      `part-${s}`,
      part,
      part.map((i) => matrix[i % 240]),
    );
  }
  return dir;
};

describe('analyze --embeddings DIR --rows FILE', () => {
  it('gives the local run’s report from shuffled NPY shards, without onnxruntime or a child process', async () => {
    const dir = await shardsOf('ok');
    const json = path.join(work, 'pre.json');
    const r = await cli(
      ['analyze', '--embeddings', dir, '--rows', rowsFile, '--steps', '10', '--json', json],
      ['--require', blocker],
    );
    expect(r.code, r.stderr).toBe(0);
    const pre = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(pre.model.deviceReason).toMatch(/precomputed embeddings: 3 shard/);
    // Same vectors, same rows: the statistics are equal; the simulated runs to float rounding
    // (without onnxruntime the products are WebAssembly's, locally the linear-algebra worker's).
    const a = numbers(local);
    const b = numbers(pre);
    expect(b.inputs).toEqual(a.inputs);
    expect(b.behaviors.map((x) => x.name)).toEqual(a.behaviors.map((x) => x.name));
    b.behaviors.forEach((x, i) => {
      const y = a.behaviors[i];
      for (const k of ['distinguishability', 'trace', 'concentration', 'priorityLevel'] as const)
        expect(x[k]).toBeCloseTo(y[k], 10);
      expect(x.suspects).toEqual(y.suspects);
    });
    for (const [name, c] of Object.entries(pre.simulation.perBehavior)) {
      const expected = local.simulation.perBehavior[name].trainLoss;
      expect(c.trainLoss.length).toBe(expected.length);
      c.trainLoss.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 9));
    }
  });

  it('keeps float16 shards as float16 (half the memory), with the statistics of the same values in float32', async () => {
    const dir = path.join(work, 'half');
    await mkdir(dir);
    const d = matrix[0].length;
    const ids = Array.from({ length: 240 }, (_, i) => (i * 97) % 240);
    for (const [s, part] of [ids.slice(0, 100), ids.slice(100)].entries()) {
      const bits = new Uint16Array(part.length * d);
      part.forEach((i, k) => matrix[i].forEach((v, j) => (bits[k * d + j] = toHalfBits(v))));
      await writeFile(
        path.join(dir, `part-${s}.npy`),
        Buffer.concat([npyHeader([part.length, d], '<f2'), Buffer.from(bits.buffer)]),
      );
      await writeFile(
        path.join(dir, `part-${s}.row_id.npy`),
        Buffer.concat([
          npyHeader([part.length], '<i8'),
          Buffer.from(BigInt64Array.from(part.map(BigInt)).buffer),
        ]),
      );
    }
    const reports: Report[] = [];
    for (const storage of ['auto', 'float32']) {
      const json = path.join(work, `half-${storage}.json`);
      const args = ['analyze', '--embeddings', dir, '--rows', rowsFile, '--steps', '10'];
      const r = await cli([...args, '--matrix-storage', storage, '--json', json]);
      expect(r.code, r.stderr).toBe(0);
      reports.push(JSON.parse(await readFile(json, 'utf8')) as Report);
    }
    const [half, float32] = reports;
    expect(half.model.deviceReason).toMatch(/stored as float16 \(the shards are float16\)/);
    expect(float32.model.deviceReason).not.toMatch(/float16/);
    expect(numbers(half)).toEqual(numbers(float32));
  });

  it('names the shard of an unknown or a duplicated row id, and counts missing ones', async () => {
    const unknown = await shardsOf('unknown', (ids) => ids.map((i) => (i === 5 ? 240 : i)));
    const dup = await shardsOf('dup', (ids) =>
      ids.map((i, k) => (k === 0 ? ids[ids.length - 1] : i)),
    );
    const missing = await shardsOf('missing', (ids) => ids.filter((i) => i !== 3 && i !== 9));
    const go = (dir: string) => cli(['analyze', '--embeddings', dir, '--rows', rowsFile]);
    const u = await go(unknown);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(
      /part-\d\.npy: row id 240 is unknown \(the rows file has ids 0\.\.239\)/,
    );
    const d = await go(dup);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/part-2\.npy: row id 143 is duplicated \(also in .*part-0\.npy\)/);
    const m = await go(missing);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(
      /2 of 240 rows have no embedding in any of its 3 shard\(s\) \(row ids 3, 9\)/,
    );
    const noRows = await cli(['analyze', '--embeddings', unknown]);
    expect(noRows.code).toBe(2);
    expect(noRows.stderr).toMatch(/--embeddings needs --rows/);
  });
});
