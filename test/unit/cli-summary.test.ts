import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report/types.js';
import { cli, personaSample, root } from './cli-helpers.js';

let work: string;
let cache: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pl-summary-'));
  cache = path.join(work, 'cache');
});

describe('the terminal summary', () => {
  it('explains its columns, counts skipped lines by reason and names excluded behaviors', async () => {
    const data = await personaSample(
      path.join(work, 'mixed'),
      ['agreeableness', 'risk-seeking'],
      30,
    );
    // Two bad lines, and a behavior with too few examples of one answer to be analyzed.
    await writeFile(
      path.join(data, 'agreeableness.jsonl'),
      (await readFile(path.join(data, 'agreeableness.jsonl'), 'utf8')) + '{"question": oops\n[1]\n',
    );
    const few = (
      await readFile(path.join(root, 'examples/persona/narcissism.jsonl'), 'utf8')
    ).split('\n');
    await writeFile(path.join(data, 'narcissism.jsonl'), few.slice(0, 1).join('\n') + '\n');
    const json = path.join(work, 'mixed.json');
    const result = await cli([
      'analyze',
      data,
      '--cache-dir',
      cache,
      '--steps',
      '5',
      '--json',
      json,
      '--no-progress',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(result.stdout).toMatch(/^dist += /m);
    expect(result.stdout).toMatch(/^norm += /m);
    expect(result.stdout).toMatch(/^level += priority level/m);
    const reasons = Object.entries(report.skipped.byReason).map(([r, n]) => `${r} ${n}`);
    expect(reasons).toHaveLength(2);
    for (const r of reasons) expect(result.stdout).toContain(r);
    expect(result.stdout).toMatch(/Skipped lines by reason: /);
    expect(report.excluded).toHaveLength(1);
    expect(result.stdout).toContain(`- narcissism: ${report.excluded![0].reason}`);
  });

  it('without CUDA says "no GPU provider available, using CPU"; --verbose gives the details', async () => {
    const data = await personaSample(
      path.join(work, 'device'),
      ['agreeableness', 'risk-seeking'],
      10,
    );
    const json = path.join(work, 'device.json');
    const plain = await cli([
      'analyze',
      data,
      '--cache-dir',
      cache,
      '--steps',
      '2',
      '--json',
      json,
      '--no-progress',
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    // Only where CUDA cannot load (this CI machine): with a GPU, `auto` uses it and says so.
    if (report.model.device !== 'cpu') return;
    // The report keeps onnxruntime's reason.
    expect(report.model.deviceReason).toMatch(/^cuda unavailable \(.+\); fell back to cpu$/);
    const first = plain.stdout.split('\n')[0];
    expect(first).toMatch(/on cpu: no GPU provider available, using CPU$/);
    expect(plain.stdout).not.toMatch(/unavailable|Failed to load/);
    const verbose = await cli([
      'analyze',
      data,
      '--cache-dir',
      cache,
      '--steps',
      '2',
      '--verbose',
      '--no-progress',
    ]);
    expect(verbose.stdout.split('\n')[0]).toContain(report.model.deviceReason);
  });

  it('a run in which no behavior can be analyzed exits 2 and says why', async () => {
    const data = path.join(work, 'none');
    await mkdir(data);
    const lines = (
      await readFile(path.join(root, 'examples/persona/agreeableness.jsonl'), 'utf8')
    ).split('\n');
    await writeFile(path.join(data, 'tiny.jsonl'), lines.slice(0, 3).join('\n') + '\n');
    const result = await cli([
      'analyze',
      data,
      '--cache-dir',
      cache,
      '--steps',
      '2',
      '--no-progress',
    ]);
    expect(result.code).toBe(2);
    const line = result.stderr.split('\n').find((l) => l.startsWith('preference-lens: '));
    expect(line).toMatch(
      /no behavior can be analyzed: tiny needs at least 2 examples of each answer/,
    );
  });
});
