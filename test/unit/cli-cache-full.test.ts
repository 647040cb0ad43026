import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report/types.js';
import { cli, personaSample } from './cli-helpers.js';

// A real full disk: a 64 KiB tmpfs holds the first cache segment (32 rows x 384 floats) and not
// the second. Mounting needs root; without it, a read-only cache folder gives a real EACCES instead
// (root ignores permissions, so the two do not overlap).
let work: string;
let cacheRoot: string;
let mounted = false;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pl-full-'));
  cacheRoot = path.join(work, 'cache');
  mkdirSync(cacheRoot);
  if (process.getuid?.() === 0) {
    mounted =
      spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', cacheRoot]).status === 0;
  }
  if (!mounted) chmodSync(cacheRoot, 0o555);
});

afterAll(async () => {
  if (mounted) execFileSync('umount', [cacheRoot]);
  else chmodSync(cacheRoot, 0o755);
  await rm(work, { recursive: true, force: true });
});

const tempFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));

describe('a cache that cannot be written', () => {
  it('costs only the cache: one warning, the analysis and its report, no temporary files', async () => {
    const data = await personaSample(
      path.join(work, 'persona'),
      ['agreeableness', 'risk-seeking'],
      40,
    );
    const json = path.join(work, 'report.json');
    const result = await cli([
      'analyze',
      data,
      '--cache-dir',
      cacheRoot,
      '--batch-size',
      '32',
      '--steps',
      '5',
      '--json',
      json,
      '--no-progress',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => /warning:.*cache/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(mounted ? /ENOSPC/ : /EACCES/);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(report.behaviors).toHaveLength(2);
    expect(report.timings.embeddedRows).toBe(80);
    expect(tempFiles(cacheRoot)).toEqual([]);
  });
});
