import { constants as bufferConstants } from 'node:buffer';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, readDataset, readLines } from '../../src/core/dataset/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;

let work: string;
let persona: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pl-long-'));
  persona = (await readFile(resolve(ROOT, 'examples/persona/agreeableness.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l !== '');
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** A whole JSON array of real records on one line: what a .json file renamed .jsonl holds. */
const jsonArrayLine = (minBytes: number): string => {
  const records: string[] = [];
  let bytes = 2;
  for (let i = 0; bytes < minBytes; i++) {
    const record = persona[i % persona.length];
    records.push(record);
    bytes += Buffer.byteLength(record) + 1;
  }
  return `[${records.join(',')}]`;
};

describe('a line longer than the limit is one skipped line', () => {
  it('is reported as line-too-long with its size, and the lines after it are read', async () => {
    const long = jsonArrayLine(3 * MiB);
    const file = join(work, 'array.jsonl');
    await writeFile(file, [...persona.slice(0, 20), long, ...persona.slice(20, 30)].join('\n'));
    const read = await readDataset(file, { maxLineBytes: 1 * MiB });
    expect(read.counts).toEqual({ lines: 31, records: 30, skipped: 1, blank: 0 });
    expect(read.skipped).toEqual([
      {
        file,
        line: 21,
        column: 1,
        reason: 'line-too-long',
        message: `line too long (${Buffer.byteLength(long)} bytes)`,
      },
    ]);
    expect(read.examples.map((e) => e.line)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => i + 1),
      ...Array.from({ length: 10 }, (_, i) => i + 22),
    ]);
  });

  it('the same through an editor overlay', async () => {
    const long = jsonArrayLine(2 * MiB);
    const file = join(work, 'unsaved.jsonl');
    const text = [...persona.slice(0, 5), long, persona[5]].join('\r\n');
    const read = await readDataset(file, {
      overlays: new Map([[file, text]]),
      maxLineBytes: 1 * MiB,
    });
    expect(read.counts).toEqual({ lines: 7, records: 6, skipped: 1, blank: 0 });
    expect(read.skipped[0]).toMatchObject({ line: 6, reason: 'line-too-long' });
  });

  it('a line at the limit is read', async () => {
    const file = join(work, 'at-limit.jsonl');
    const line = persona[0];
    await writeFile(file, `${line}\n${persona[1]}\n`);
    const read = await readDataset(file, { maxLineBytes: Buffer.byteLength(line) });
    expect(read.skipped).toEqual([]);
    expect(read.counts?.records).toBe(2);
  });

  it('is never held whole: reading a 160 MiB line under a 1 MiB limit takes less than half of it', async () => {
    const file = join(work, 'huge.jsonl');
    const out = createWriteStream(file);
    out.write(`${persona[0]}\n`);
    const block = jsonArrayLine(MiB).slice(0, MiB);
    for (let i = 0; i < 160; i++) if (!out.write(block)) await once(out, 'drain');
    out.end(`\n${persona[1]}\n`);
    await once(out, 'finish');
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = used();
    let peak = before;
    const read = await readDataset(file, {
      maxLineBytes: MiB,
      onProgress: () => {
        peak = Math.max(peak, used());
      },
    });
    expect(read.skipped.map((s) => [s.line, s.message])).toEqual([
      [2, `line too long (${160 * MiB} bytes)`],
    ]);
    expect(read.counts?.records).toBe(2);
    expect(peak - before).toBeLessThan(80 * MiB);
  });

  it('the default limit lets V8 hold every line it allows', () => {
    // A line has at most as many UTF-16 units as UTF-8 bytes.
    expect(MAX_LINE_BYTES).toBeLessThan(bufferConstants.MAX_STRING_LENGTH);
    expect(MAX_LINE_BYTES).toBeGreaterThanOrEqual(64 * MiB);
  });

  it('with the default limit, a 600 MiB line (beyond V8 strings) is skipped, not a crash', async () => {
    const file = join(work, 'beyond-v8.jsonl');
    await writeFile(file, `${persona.slice(0, 20).join('\n')}\n`);
    const start = Buffer.byteLength(`${persona.slice(0, 20).join('\n')}\n`);
    // A sparse run of NUL bytes: costs no disk, reads as one 600 MiB line.
    await truncate(file, start + 600 * MiB);
    await appendFile(file, `\n${persona[20]}\n`);
    const read = await readDataset(file);
    expect(read.skipped).toEqual([
      {
        file,
        line: 21,
        column: 1,
        reason: 'line-too-long',
        message: `line too long (${600 * MiB} bytes)`,
      },
    ]);
    expect(read.counts).toEqual({ lines: 22, records: 21, skipped: 1, blank: 0 });
  }, 60_000);
});

describe('line splitting matches node:readline', () => {
  it('on a file whose terminators and multi-byte characters straddle 64 KiB chunks', async () => {
    // Deterministic mix: \n, \r\n, lone \r, empty lines, a BOM, 2-4 byte characters, and a \r
    // as the last byte of the first chunk followed by \n as the first byte of the next.
    const pieces = ['\uFEFFfirst'];
    const words = ['a', 'é', '€uro', '𝄞clef', '', ' ', 'plain text'];
    const ends = ['\n', '\r\n', '\r', '\n\n'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let i = 0; i < 30000; i++) pieces.push(words[next() % 7] + ends[next() % 4]);
    let text = pieces.join('');
    const head = Buffer.from(text)
      .subarray(0, 64 * 1024 - 1)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    const pad = 64 * 1024 - 1 - Buffer.byteLength(head);
    text = head + 'x'.repeat(pad) + '\r\n' + text.slice(head.length) + 'no terminator';
    expect(Buffer.from(text)[64 * 1024 - 1]).toBe(0x0d);
    const file = join(work, 'terminators.txt');
    await writeFile(file, text);
    const expected: string[] = [];
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of rl) expected.push(line);
    expected[0] = expected[0].replace(/^\uFEFF/, '');
    const got: string[] = [];
    for await (const { line, text: t } of readLines(file)) {
      expect(line).toBe(got.length + 1);
      got.push(t);
    }
    expect(got).toEqual(expected);
    expect(got.length).toBeGreaterThan(30000);
  });
});
