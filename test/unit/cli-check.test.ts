import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/preference-lens.js');
const tracer = path.join(root, 'test/fixtures/cli/trace-heavy-loads.cjs');
const BROKEN = 'test/fixtures/datasets/broken.jsonl';
const AGREEABLENESS = 'examples/persona/agreeableness.jsonl';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const node = async (args: string[], env: Record<string, string> = {}): Promise<Result> => {
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};
const check = (...args: string[]) => node([bin, 'check', ...args]);

let work: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/cli.js'))) {
    throw new Error('dist/cli.js is missing: `npm test` builds before the unit tests');
  }
  work = await mkdtemp(path.join(tmpdir(), 'pl-check-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('preference-lens check (end to end)', () => {
  it('prints each skipped line as file:line:column: reason: message, a summary, exits 1', async () => {
    const r = await check(BROKEN, AGREEABLENESS);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const diagnostics = lines.filter((l) => l.startsWith(`${BROKEN}:`));
    // The positions and reasons dataset-broken.test.ts documents for this fixture.
    expect(diagnostics.map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual([
      `${BROKEN}:2:59: invalid-json`,
      `${BROKEN}:4:1: not-an-object`,
      `${BROKEN}:5:1: missing-field`,
      `${BROKEN}:6:14: wrong-type`,
      `${BROKEN}:7:14: empty-text`,
      `${BROKEN}:8:1: duplicate`,
      `${BROKEN}:9:49: unknown-answer`,
      `${BROKEN}:10:31: invalid-json`,
      `${BROKEN}:11:1: not-an-object`,
      `${BROKEN}:12:50: unknown-answer`,
      `${BROKEN}:13:96: invalid-json`,
      `${BROKEN}:16:50: wrong-type`,
      `${BROKEN}:17:1: not-an-object`,
      `${BROKEN}:18:97: invalid-json`,
    ]);
    expect(diagnostics[0]).toBe(`${BROKEN}:2:59: invalid-json: invalid JSON: a ',' was expected`);
    expect(r.stdout).toContain('2 file(s), 1019 line(s): 1003 record(s) kept, 14 skipped');
    // The persona file has 500 statements each way; broken.jsonl keeps lines 1, 15 and 19.
    expect(lines).toContainEqual(expect.stringMatching(/^agreeableness +500 +500$/));
    expect(lines).toContainEqual(expect.stringMatching(/^broken +2 +1$/));
    expect(r.stdout).toContain(
      'Skipped lines by reason: duplicate 1, empty-text 1, invalid-json 4, missing-field 1, not-an-object 3, unknown-answer 2, wrong-type 2',
    );
    expect(r.stdout).toContain(
      'Not analyzable: broken: needs at least 2 examples of each answer (has 2 yes, 1 no)',
    );
    expect(lines.filter(Boolean).at(-1)).toBe('check: failed: 14 line(s) would be left out');
  });

  it('clean files exit 0; --fail-on none lets skipped lines pass', async () => {
    const persona = await check('examples/persona/openness.jsonl', AGREEABLENESS);
    expect([persona.code, persona.stdout.trim().split('\n').at(-1)]).toEqual([0, 'check: ok']);
    const pairs = await check('examples/pairwise');
    // Both files hold the pair of HH-RLHF line 87, whose chosen reply is empty.
    expect(pairs.code).toBe(1);
    expect(pairs.stdout).toContain('examples/pairwise/harmless-pairs-messages.jsonl:87:');
    expect(pairs.stdout).toContain('examples/pairwise/harmless-pairs-string.jsonl:87:');
    const tolerant = await check('--fail-on', 'none', 'examples/pairwise');
    expect(tolerant.code).toBe(0);
    expect(tolerant.stdout).toContain(
      'check: passed (--fail-on none): 2 line(s) would be left out',
    );
  });

  it('unusable input exits 2 with one line saying why', async () => {
    const missing = await check('no/such/file.jsonl');
    expect([missing.code, missing.stderr]).toEqual([
      2,
      'preference-lens: no/such/file.jsonl: no such file or folder\n',
    ]);
    const notData = await check('test/fixtures/datasets/not-a-dataset.jsonl');
    expect(notData.code).toBe(2);
    expect(notData.stderr).toMatch(/no record in the file matches a known dataset schema/);
    const lonely = path.join(work, 'lonely.jsonl');
    const first = (await readFile(path.join(root, AGREEABLENESS), 'utf8')).split('\n')[0];
    await writeFile(lonely, `${first}\n`);
    const r = await check(lonely);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('check: no behavior can be analyzed');
  });

  it("the issue's deep line costs only itself: exit 1, the line reported, 20 records kept", async () => {
    const file = path.join(work, 'deep.jsonl');
    const good = (await readFile(path.join(root, AGREEABLENESS), 'utf8')).split('\n').slice(0, 20);
    await writeFile(file, [...good, `{"question":"x","a":${'['.repeat(6000)}`].join('\n'));
    const r = await check(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${file}:21:6021: invalid-json: invalid JSON: a closing ']' was expected`,
    );
    expect(r.stdout).toContain('1 file(s), 21 line(s): 20 record(s) kept, 1 skipped');
  });

  it('shows control characters from the data escaped', async () => {
    const file = path.join(work, 'pairs.jsonl');
    const rows = [0, 1, 2].map((i) =>
      JSON.stringify({
        prompt: `Question ${i}?`,
        chosen: 'Yes.',
        rejected: 'No.',
        category: 'evil\u001b]0;pwned\u0007',
      }),
    );
    await writeFile(file, rows.join('\n'));
    const r = await check(file);
    expect([r.stdout.includes('\u001b'), r.stdout.includes('\u0007')]).toEqual([false, false]);
    expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07');
  });

  it('loads no onnxruntime or transformers.js, and starts no child process or worker', async () => {
    const trace = path.join(work, 'trace.json');
    const r = await node(['-r', tracer, bin, 'check', 'examples/persona'], { TRACE_OUT: trace });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('24 file(s), 24000 line(s): 24000 record(s) kept, 0 skipped');
    expect(JSON.parse(await readFile(trace, 'utf8'))).toEqual([]);
    // The tracer does see such loads: requiring onnxruntime-node is recorded.
    await node(['-r', tracer, '-e', "try { require('onnxruntime-node') } catch {}"], {
      TRACE_OUT: trace,
    });
    expect(JSON.parse(await readFile(trace, 'utf8'))).toContain('require onnxruntime-node');
  });
});
