/**
 * The verdicts end to end on bundled persona data with the bundled model: a behavior with
 * shuffled labels is indistinguishable in every CLI output, the gate takes kinds, a duplicate line
 * does not fail --fail-on error, one behavior gets no priority claim, mixed schemas are named.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAIR_CHECK_KINDS, type Report } from '../../src/core/report/types.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');

const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
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
const SHUFFLED = 'subscribes-to-total-utilitarianism';

const lines = async (name: string, n: number): Promise<string[]> =>
  (await readFile(path.join(root, 'examples/persona', `${name}.jsonl`), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n);

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/cli.js'))) throw new Error('dist/cli.js is missing');
  work = await mkdtemp(path.join(tmpdir(), 'pl-verdicts-'));
  data = path.join(work, 'persona');
  cache = path.join(work, 'cache');
  await mkdir(data);
  for (const b of ['agreeableness', 'risk-seeking']) {
    const rows = await lines(b, 160);
    // One benign duplicate line in risk-seeking.
    if (b === 'risk-seeking') rows.push(rows[3]);
    await writeFile(path.join(data, `${b}.jsonl`), rows.join('\n') + '\n');
  }
  // The answers of this behavior assigned by a fixed coin (a linear congruential sequence), not
  // by the statement: no signal is left.
  let x = 12345;
  const coin = (): boolean => ((x = (x * 1103515245 + 12345) % 2 ** 31), x >= 2 ** 30);
  const shuffled = (await lines(SHUFFLED, 160)).map((l) => {
    const r = JSON.parse(l) as Record<string, string>;
    const yes = coin();
    return JSON.stringify({
      ...r,
      answer_matching_behavior: yes ? ' Yes' : ' No',
      answer_not_matching_behavior: yes ? ' No' : ' Yes',
    });
  });
  await writeFile(path.join(data, `${SHUFFLED}.jsonl`), shuffled.join('\n') + '\n');
});

const analyze = (inputs: string[], ...extra: string[]) =>
  cli(['analyze', ...inputs, '--cache-dir', cache, '--steps', '5', '--no-progress', ...extra]);

describe('verdicts in the CLI (bundled model, persona samples)', () => {
  it('shuffled labels: indistinguishable in the JSON, the summary and the Markdown', async () => {
    const json = path.join(work, 'r.json');
    const md = path.join(work, 'r.md');
    const result = await analyze([data], '--json', json, '--markdown', md);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const b = report.behaviors.find((x) => x.name === SHUFFLED)!;
    expect(b.pValueAdjusted).toBeGreaterThanOrEqual(0.05);
    expect(b.priorityMeaningful).toBe(false);
    const kinds = b.warnings.map((w) => w.kind);
    expect(kinds).toContain('indistinguishable');
    expect(kinds).not.toContain('deprioritized');
    expect(kinds).not.toContain('possible-label-error');
    for (const other of report.behaviors.filter((x) => x.name !== SHUFFLED)) {
      expect(other.pValue).toBe(0.001);
      expect(other.distinguishabilityCI[0]).toBeLessThanOrEqual(other.distinguishabilityUnbiased!);
      expect(other.distinguishabilityCI[1]).toBeGreaterThanOrEqual(
        other.distinguishabilityUnbiased!,
      );
    }
    const row = result.stdout.split('\n').find((l) => l.startsWith(SHUFFLED))!;
    expect(row.trim().split(/\s+/).at(-1)).toBe('n/a');
    expect(result.stdout).toContain(`! ${SHUFFLED}: Indistinguishable from shuffled labels`);
    const markdown = await readFile(md, 'utf8');
    expect(markdown).toMatch(new RegExp(`\\*\\*${SHUFFLED}\\*\\* \\(indistinguishable\\)`));
    expect(markdown).toMatch(/\| n\/a \(-?\d\.\d{3}\) \|/);
    // Misalignment: the base start (a zero head) has no preference to undo, and the text says
    // so; the fast-preview preset breaks Theorem 4.1's step-size condition.
    expect(markdown).toContain('"Steps to < 50%" counts steps until accuracy');
    expect(markdown).toMatch(/\| base \| no preference at start \|/);
    expect(markdown).not.toMatch(/\| base \| 0 \|/);
    expect(markdown).toContain('Theorem 4.1 bound: empirical.');
    expect(result.stdout).toContain('Theorem 4.1 bound: empirical.');
    expect(report.simulation.boundCheck?.status).toBe('empirical');
    // The duplicate line is skipped, and --fail-on error does not fail on it.
    expect(report.skipped.byReason.duplicate).toBe(1);
  });

  it('the gate takes kinds; error and warning ignore a benign duplicate and label hints', async () => {
    const error = await analyze([data], '--fail-on', 'error');
    expect(error.code).toBe(0);
    const duplicates = await analyze([data], '--fail-on', 'duplicates');
    expect(duplicates.code).toBe(1);
    expect(duplicates.stderr).toContain('duplicates: 1 line(s)');
    const kind = await analyze([data], '--fail-on', 'indistinguishable,deprioritized');
    expect(kind.code).toBe(1);
    expect(kind.stderr).toMatch(new RegExp(`indistinguishable: ${SHUFFLED}`));
    const hints = await analyze(
      [path.join(data, 'agreeableness.jsonl'), path.join(data, 'risk-seeking.jsonl')],
      '--fail-on',
      'warning',
    );
    expect(hints.code).toBe(0);
    const bad = await analyze([data], '--fail-on', 'nonsense');
    // commander rejects the value (its exit code is the option parser's, not the gate's).
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected none, warning, error or a comma list of: deprioritized/);
  });

  it('one behavior: no priority claim, a note in every output', async () => {
    const json = path.join(work, 'one.json');
    const md = path.join(work, 'one.md');
    const result = await analyze(
      [path.join(data, 'agreeableness.jsonl')],
      '--json',
      json,
      '--markdown',
      md,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    expect(report.warnings?.map((w) => w.kind)).toEqual(['single-behavior']);
    expect(report.behaviors[0].priorityMeaningful).toBe(false);
    expect(result.stdout).toContain('priority needs a mixture');
    expect(await readFile(md, 'utf8')).toContain('see behavior discovery');
  });

  it('paired rows (HH-RLHF) get the paired test, its unbiased estimate and interval', async () => {
    // Shuffling labels across pairs would call this behavior noise (chosen and rejected share
    // their prompt: p = 1 unpaired); the sign-flip test on the pair differences does not.
    const json = path.join(work, 'hh.json');
    // One behavior, as the file was before behavior discovery became the default for it.
    const result = await analyze(
      [path.join(root, 'examples/hh-rlhf/harmless-base-test-first300.jsonl')],
      '--json',
      json,
      '--discover-behaviors',
      'off',
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const b = report.behaviors[0];
    expect(b.pValue).toBeLessThan(0.05);
    expect(b.pValueAdjusted).toBeLessThan(0.05);
    expect(b.permutations).toBe(999);
    expect(b.distinguishabilityUnbiased).toBeGreaterThan(0);
    expect(b.distinguishabilityUnbiased).toBeLessThan(b.distinguishability);
    expect(b.warnings.map((w) => w.kind)).not.toContain('indistinguishable');
    expect(b.distinguishabilityCI[0]).toBeLessThanOrEqual(b.distinguishabilityUnbiased!);
    expect(b.distinguishabilityCI[1]).toBeGreaterThanOrEqual(b.distinguishabilityUnbiased!);
    expect(b.distinguishabilityCI[0]).toBeLessThan(b.distinguishabilityCI[1]);
    // The texts as embedded since prompt-first truncation (issue #12): 0.033 / 0.037 when long
    // transcripts lost their final replies instead.
    expect(result.stdout).toMatch(
      /harmless-base-test-first300\s+299\s+299\s+0\.038\s+0\.043\s+0\.001\s/,
    );
    // Besides the pair checks' findings on these pairs (issue #12), the single-behavior note only.
    const pairChecks: readonly string[] = PAIR_CHECK_KINDS;
    expect(report.warnings?.filter((w) => !pairChecks.includes(w.kind)).map((w) => w.kind)).toEqual(
      ['single-behavior'],
    );
  });

  it('a folder of mixed schemas is analyzed with a warning that names them', async () => {
    const mixed = path.join(work, 'mixed');
    await mkdir(mixed);
    await writeFile(
      path.join(mixed, 'agreeableness.jsonl'),
      (await lines('agreeableness', 80)).join('\n') + '\n',
    );
    const hh = (
      await readFile(path.join(root, 'examples/hh-rlhf/harmless-base-test-first300.jsonl'), 'utf8')
    )
      .split('\n')
      .slice(0, 40);
    await writeFile(path.join(mixed, 'harmless.jsonl'), hh.join('\n') + '\n');
    const json = path.join(work, 'mixed.json');
    const result = await analyze([mixed], '--json', json, '--fail-on', 'mixed-schemas');
    expect(result.code).toBe(1);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const w = report.warnings?.find((x) => x.kind === 'mixed-schemas');
    expect(w?.message).toMatch(/evals \(1 file: agreeableness.jsonl\)/);
    expect(w?.message).toMatch(/hh-rlhf \(1 file: harmless.jsonl\)/);
    expect(result.stdout).toContain('! mixed-schemas:');
  });
});
