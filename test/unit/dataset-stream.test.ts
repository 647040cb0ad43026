import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, readDatasets } from '../../src/core/dataset/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const AGREEABLENESS = resolve(ROOT, 'examples/persona/agreeableness.jsonl');
const CRLF = resolve(ROOT, 'test/fixtures/datasets/crlf-bom.jsonl');

describe('line endings and byte-order mark', () => {
  it('reads CRLF lines and drops a BOM so line 1 column 1 is the record', async () => {
    const file = await readDataset(CRLF);
    expect(file.counts).toEqual({ lines: 3, records: 2, skipped: 0, blank: 1 });
    expect(file.examples.map((e) => [e.line, e.column, e.text, e.label])).toEqual([
      [1, 1, 'First?', 1],
      [3, 1, 'Second?', -1],
    ]);
  });

  it('an overlay with the same text gives the same rows as the disk file', async () => {
    const text = await readFile(CRLF, 'utf8');
    const fromOverlay = await readDataset(CRLF, { overlays: new Map([[CRLF, text]]) });
    expect(fromOverlay).toEqual(await readDataset(CRLF));
  });
});

describe('overlays (unsaved editor text)', () => {
  it('reads the overlay instead of the file, with its own line numbers', async () => {
    const edited = (await readFile(AGREEABLENESS, 'utf8')).split('\n');
    // The user typed a broken line 3 and deleted line 2 without saving.
    edited[2] = '{"question": "oops"';
    edited.splice(1, 1);
    const file = await readDataset(AGREEABLENESS, {
      overlays: new Map([[AGREEABLENESS, edited.join('\n')]]),
    });
    expect(file.counts).toEqual({ lines: 999, records: 998, skipped: 1, blank: 0 });
    expect(file.skipped[0]).toMatchObject({ line: 2, column: 20, reason: 'invalid-json' });
    expect(file.examples[1].line).toBe(3);
  });

  it('an overlay key may name a file that is not on disk', async () => {
    const unsaved = resolve(ROOT, 'untitled-pairs.jsonl');
    const overlays = new Map([
      [unsaved, '{"prompt": "Hi", "chosen": " Hello!", "rejected": " Go away."}'],
    ]);
    const [file] = await readDatasets([unsaved], { overlays });
    expect(file.examples.map((e) => e.text)).toEqual(['Hi Hello!', 'Hi Go away.']);
  });
});

describe('cancellation and progress', () => {
  it('stops with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(readDataset(AGREEABLENESS, { signal: controller.signal })).rejects.toThrow('stop');
  });

  it('stops in the middle of a folder', async () => {
    const controller = new AbortController();
    let calls = 0;
    const reading = readDatasets([resolve(ROOT, 'examples/persona')], {
      signal: controller.signal,
      onProgress: () => {
        calls += 1;
        if (calls === 3) controller.abort(new Error('user cancelled'));
      },
    });
    await expect(reading).rejects.toThrow('user cancelled');
  });

  it('reports bytes across all files, ending at the total', async () => {
    const seen: Array<[number, number]> = [];
    const paths = [AGREEABLENESS, resolve(ROOT, 'examples/persona/openness.jsonl')];
    await readDatasets(paths, { onProgress: (read, total) => seen.push([read, total]) });
    const total = 307954 + 330776;
    expect(seen.every(([, t]) => t === total)).toBe(true);
    expect(seen.at(-1)).toEqual([total, total]);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
    expect(seen.some(([read]) => read > 0 && read < 307954)).toBe(true);
  });
});

describe('streaming', () => {
  let dir = '';
  let big = '';
  const LINE_BYTES = 16 * 1024;
  const LINES = 4096; // 64 MiB

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plens-stream-'));
    big = join(dir, 'big.jsonl');
    const out = createWriteStream(big);
    // Every line is the same record, so only line 1 is kept: a reader holding the file would need
    // 64 MiB more heap, a streaming one only its skip list.
    const record = JSON.stringify({
      question: `Q ${'x'.repeat(LINE_BYTES - 100)}`,
      answer_matching_behavior: ' Yes',
      answer_not_matching_behavior: ' No',
    });
    for (let i = 0; i < LINES; i++) if (!out.write(`${record}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a 64 MiB file with far less than 64 MiB of extra heap', async () => {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const file = await readDataset(big, {
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    });
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(file.counts).toEqual({ lines: LINES, records: 1, skipped: LINES - 1, blank: 0 });
    expect(file.skipped.at(-1)?.message).toBe('duplicate of line 1');
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);
  });
});
