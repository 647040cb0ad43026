import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastErrorLine } from '../../src/core/embed/child-stderr.js';
import { bin, personaSample, root } from './cli-helpers.js';

/** The pids of a process's children (Linux). */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

describe('a crashed embedding process', () => {
  it('exits 3 (a runtime failure, not unusable input) with the real reason, no provider log', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'pl-crash-'));
    const data = await personaSample(path.join(work, 'persona'), ['openness', 'narcissism'], 500);
    const cli = spawn(
      process.execPath,
      [bin, 'analyze', data, '--cache-dir', path.join(work, 'cache'), '--batch-size', '8'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let killed = false;
    cli.stderr.setEncoding('utf8');
    cli.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      // Embedding has started: the child is loaded (and has logged its CUDA attempt).
      if (!killed && /embedding: \d+\/1000/.test(stderr)) {
        killed = true;
        for (const pid of childrenOf(cli.pid!)) process.kill(pid, 'SIGKILL');
      }
    });
    const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
    expect(killed).toBe(true);
    expect(code).toBe(3);
    const line = stderr.split('\n').find((l) => l.startsWith('preference-lens: '));
    expect(line).toMatch(/embedding process \(pid \d+\) was killed by SIGKILL/);
    // Neither a colour code nor onnxruntime's unrelated provider log is quoted as the cause.
    expect(stderr.includes('\x1b')).toBe(false);
    expect(line).not.toMatch(/onnxruntime|provider/i);
  }, 120_000);
});

describe('the last error line of the child', () => {
  // onnxruntime's log as the child prints it on a machine without CUDA (colour codes included).
  const ortLog =
    '\x1b[1;31m2026-12-07 09:28:14.949809068 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] Failed to load library libonnxruntime_providers_shared.so with error: cannot open shared object file\x1b[m\n';

  it('skips the provider log and strips colours', () => {
    expect(lastErrorLine(ortLog)).toBeUndefined();
    expect(
      lastErrorLine(
        `${ortLog}\n<--- Last few GCs --->\n\x1b[31mFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\x1b[0m\n 1: 0xb8d0a3 node::Abort() [node]\n`,
      ),
    ).toBe('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
  });

  it('prefers the last error over later stack lines', () => {
    expect(
      lastErrorLine(
        `${ortLog}RangeError: Array buffer allocation failed\n    at new ArrayBuffer (<anonymous>)\n    at embedBatch (embed-child.js:1:2)\n`,
      ),
    ).toBe('RangeError: Array buffer allocation failed');
  });
});
