import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, personaSample } from './cli-helpers.js';

let work: string;
let data: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pl-usage-'));
  data = await personaSample(path.join(work, 'persona'), ['agreeableness', 'risk-seeking'], 20);
});

/**
 * A usage error: exit 2 (1 is the failed gate), exactly one line on stderr, nothing on stdout,
 * and nothing read or embedded: no progress line, and the cache folder never created.
 */
const expectUsageError = async (args: string[], pattern: RegExp) => {
  const cache = path.join(work, `cache-${Math.random().toString(36).slice(2)}`);
  const result = await cli(['analyze', data, '--cache-dir', cache, ...args], 20_000);
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^preference-lens: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stdout).toBe('');
  expect(existsSync(cache)).toBe(false);
};

describe('usage errors exit 2 with one line, before any work', () => {
  it.each([
    [['--batch', '0'], /--batch/],
    [['--steps', '-1'], /--steps/],
    [['--lr', 'NaN'], /--lr/],
    [['--test-fraction', '1.5'], /--test-fraction/],
    [['--device', 'bogus'], /--device.*bogus/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--batch-size', '1.5'], /--batch-size/],
    [['--seed', '4294967296'], /--seed/],
    [['--steps', ''], /--steps/],
    [['--beta', '0x10'], /--beta/],
    [['--loss', 'dpo'], /--loss.*dpo.*sigmoid, ipo, hinge, robust/],
    [['--label-smoothing', '0.5'], /--label-smoothing.*0 <= x < 0\.5/],
    [['--label-smoothing', '-0.1'], /--label-smoothing/],
    [['--loss', 'ipo', '--label-smoothing', '0.1'], /sigmoid and robust losses only.*ipo/],
    [['--precision', 'medium'], /--precision.*medium.*fast, exact/],
    [
      ['--precision', 'fast', '--model', 'Xenova/all-MiniLM-L6-v2'],
      /--precision chooses between the bundled model's graphs.*--model Xenova/,
    ],
  ])('%j', async (args, pattern) => {
    await expectUsageError(args, pattern);
  });

  it('a --model path that does not exist is refused before reading', async () => {
    await expectUsageError(
      ['--model', './no-such-model'],
      /--model \.\/no-such-model: no such model folder/,
    );
    await expectUsageError(['--aligned-model', path.join(work, 'nope')], /--aligned-model/);
  });

  it('a missing argument and an unknown command are usage errors too', async () => {
    const missing = await cli(['analyze'], 20_000);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const unknown = await cli(['analyse', data], 20_000);
    expect(unknown.code).toBe(2);
  });

  it('--help and --version still exit 0', async () => {
    expect((await cli(['--version'], 20_000)).code).toBe(0);
    const help = await cli(['analyze', '--help'], 20_000);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--priority-threshold/);
  });
});

describe('numeric options are validated', () => {
  it.each([['abc'], ['NaN'], ['-5'], ['Infinity'], ['']])(
    '--priority-threshold %j is refused (it used to turn the warnings off)',
    async (value) => {
      await expectUsageError(['--priority-threshold', value], /--priority-threshold/);
    },
  );

  it.each([['abc'], ['-0.1']])('--distinguishability-threshold %j is refused', async (value) => {
    await expectUsageError(['--distinguishability-threshold', value], /--distinguishability/);
  });

  it.each([
    ['--max-suspects', '-1'],
    ['--analysis-threads', '0'],
    ['--threads', '2.5'],
    ['--beta', '0'],
  ])('%s %s is refused', async (option, value) => {
    await expectUsageError([option, value], new RegExp(option));
  });
});

describe('every output path is checked before the work starts', () => {
  it('--json under /proc fails at once (it used to hang in mkdir)', async () => {
    await expectUsageError(['--json', '/proc/nope/x.json'], /--json \/proc\/nope\/x\.json/);
  });

  it('--json naming a folder fails before reading (it used to fail with EISDIR at the end)', async () => {
    await expectUsageError(['--json', work], /is a folder/);
  });

  it.each([
    ['--markdown', (w: string) => path.join(w, 'persona', 'agreeableness.jsonl', 'x.md')],
    ['--html', (w: string) => path.join(w, 'persona', 'agreeableness.jsonl', 'x.html')],
    ['--save-embeddings', (w: string) => path.join(w, 'persona', 'agreeableness.jsonl')],
    ['--rebalance-out', (w: string) => path.join(w, 'persona', 'risk-seeking.jsonl', 'out')],
  ])('%s under a file is refused', async (option, target) => {
    await expectUsageError(
      [option, target(work)],
      new RegExp(`${option} .*(not a folder|is a file)`),
    );
  });

  it('an output that would overwrite an input is refused', async () => {
    await expectUsageError(
      ['--json', path.join(data, 'agreeableness.jsonl')],
      /would overwrite an input/,
    );
    await expectUsageError(
      ['--rebalance-out', data],
      /--rebalance-out .* would overwrite an input/,
    );
  });

  it('two outputs on one path are refused', async () => {
    const file = path.join(work, 'same.json');
    await expectUsageError(['--json', file, '--markdown', file], /same path/);
  });
});
