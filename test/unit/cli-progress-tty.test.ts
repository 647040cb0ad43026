import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, personaSample, root } from './cli-helpers.js';

// util-linux `script` runs the CLI on a pseudo-terminal, where it draws the bar.
const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('progress on a terminal', () => {
  it('the bar shows the rate and the ETA of the stage', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'pl-tty-'));
    const data = await personaSample(path.join(work, 'persona'), ['agreeableness'], 400);
    const command = [process.execPath, bin, 'analyze', data, '--steps', '2', '--batch-size', '16']
      .concat(['--cache-dir', path.join(work, 'cache')])
      .map((a) => `'${a}'`)
      .join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/embedding: \d+\/400 \(0 cached\) · \d+(\.\d)? rows\/s · ETA \d+s/);
  }, 150_000);
});
