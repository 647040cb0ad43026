import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './cli-helpers.js';

// An OSC sequence that retitles the terminal, a CR that overwrites the line, a bidi override that
// reverses what follows: all arrive as data (a category field, a file name).
const HOSTILE_BEHAVIOR = '\u001b]0;pwned\u0007multi\rturn\u202e';
const HOSTILE_FILE = 'evil\u001b[31m.jsonl';

/** Any control character but the newlines the CLI writes itself. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('the CLI prints data-derived strings escaped', () => {
  it('behavior names and file names reach the terminal as visible text', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'pl-escape-'));
    const data = path.join(work, 'data');
    await mkdir(data);
    const records = (
      await readFile(path.join(root, 'examples/pairwise/harmless-pairs-string.jsonl'), 'utf8')
    )
      .split('\n')
      .filter(Boolean)
      .slice(0, 40)
      .map((line, i) => ({ ...JSON.parse(line), category: i % 2 ? HOSTILE_BEHAVIOR : 'plain' }));
    await writeFile(
      path.join(data, HOSTILE_FILE),
      records.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    const json = path.join(work, `report-${HOSTILE_FILE}.json`);
    const result = await cli([
      'analyze',
      data,
      '--cache-dir',
      path.join(work, 'cache'),
      '--steps',
      '5',
      '--priority-threshold',
      '100',
      '--json',
      json,
      '--no-progress',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    // Still there to read: in the table, the warnings and the "wrote" line.
    const visible = String.raw`\x1b]0;pwned\x07multi\rturn\u202e`;
    expect(result.stdout).toContain(visible);
    expect(result.stdout).toMatch(new RegExp(String.raw`! \\x1b\]0;pwned.*: `));
    expect(result.stderr).toContain(`wrote ${path.join(work, 'report-evil')}\\x1b[31m.jsonl.json`);
    // The report itself keeps the real name.
    const report = JSON.parse(await readFile(json, 'utf8')) as { behaviors: { name: string }[] };
    expect(report.behaviors.map((b) => b.name)).toContain(HOSTILE_BEHAVIOR);
  });

  it('an error message quoting a path is escaped too', async () => {
    const result = await cli(['analyze', path.join(tmpdir(), 'missing\u001b]0;pwned\u0007.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stderr).toContain(String.raw`missing\x1b]0;pwned\x07.jsonl`);
  });
});
