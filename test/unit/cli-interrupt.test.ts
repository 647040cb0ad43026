import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report/types.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');

describe('Ctrl-C during embedding', () => {
  it('stops with exit code 130, keeps the cache consistent, and the next run resumes', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'pl-int-'));
    const data = path.join(work, 'persona');
    const cache = path.join(work, 'cache');
    await mkdir(data);
    for (const b of ['openness', 'narcissism', 'risk-averse']) {
      await writeFile(
        path.join(data, `${b}.jsonl`),
        await readFile(path.join(root, 'examples/persona', `${b}.jsonl`)),
      );
    }
    // Detached: its own process group, so the signal reaches the CLI and its embedding child
    // together, as a terminal's Ctrl-C does.
    const child = spawn(
      process.execPath,
      [bin, 'analyze', data, '--cache-dir', cache, '--batch-size', '16', '--no-progress'],
      { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const interrupted = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('[embed]') && !stderr.includes('sent')) {
          stderr += 'sent';
          setTimeout(() => {
            process.kill(-child.pid!, 'SIGINT');
            resolve();
          }, 2000);
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await interrupted;
    expect(stderr).toMatch(/interrupted; the embedding cache is consistent/);
    expect(code).toBe(130);

    const json = path.join(work, 'report.json');
    const again = spawn(
      process.execPath,
      [bin, 'analyze', data, '--cache-dir', cache, '--steps', '5', '--json', json],
      { cwd: root, stdio: 'ignore' },
    );
    expect(await new Promise((resolve) => again.on('exit', resolve))).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    // The batches finished before Ctrl-C came from the cache; the rest was embedded now.
    expect(report.timings.cachedRows).toBeGreaterThan(0);
    expect(report.timings.embeddedRows).toBeGreaterThan(0);
    expect((report.timings.cachedRows ?? 0) + (report.timings.embeddedRows ?? 0)).toBe(3000);
  });
});
