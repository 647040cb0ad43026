import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetChangedError,
  readDatasets,
  readRowContents,
  StoredExample,
} from '../../src/core/dataset/index.js';
import type { Example } from '../../src/core/dataset/types.js';
import { readMixture } from '../../src/core/pipeline.js';

const ROOT = resolve(import.meta.dirname, '../..');
const at = (p: string) => resolve(ROOT, p);

/** Everything a face reads from a row, the texts included (read back for stored rows). */
const facts = (e: Example) => [
  e.file,
  e.line,
  e.column,
  e.behavior,
  e.label,
  e.pair,
  e.text,
  e.display,
];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The JavaScript heap and the typed arrays' buffers (outside the heap) still referenced. */
const retained = (): number => {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

describe('keepTexts: false leaves the texts on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pl-stored-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the rows read back the same texts and displays as a read that keeps them, every schema', async () => {
    // A byte-order mark, CRLF and lone CR terminators, blank lines and multi-byte characters:
    // the byte offsets the rows are read back from must survive each.
    const quirky = join(dir, 'quirky.jsonl');
    const persona = (q: string, s: string, a: string) =>
      JSON.stringify({
        question: q,
        statement: s,
        answer_matching_behavior: a,
        answer_not_matching_behavior: a === ' Yes' ? ' No' : ' Yes',
      });
    await writeFile(
      quirky,
      '\ufeff' +
        persona('Über alles?', 'Ünïcödé 😀', ' Yes') +
        '\r\n\r\n' +
        persona('Second, after CRLF', 'two', ' No') +
        '\r' +
        `  ${persona('Indented after a lone CR', 'three', ' Yes')}\n` +
        persona('Last line, no terminator 日本語', 'four', ' No'),
    );
    const paths = [
      quirky,
      at('test/fixtures/datasets/broken.jsonl'),
      at('test/fixtures/datasets/crlf-bom.jsonl'),
      at('examples/persona/agreeableness.jsonl'),
      at('examples/pairwise/harmless-pairs-string.jsonl'),
      at('examples/pairwise/harmless-pairs-messages.jsonl'),
      at('examples/hh-rlhf/harmless-base-test-first300.jsonl'),
    ];
    const kept = (await readDatasets(paths)).flatMap((f) => f.examples);
    const stored = (await readDatasets(paths, { keepTexts: false })).flatMap((f) => f.examples);
    expect(stored.every((e) => e instanceof StoredExample)).toBe(true);
    expect(stored.map(facts)).toEqual(kept.map(facts));
    const contents = await readRowContents(stored);
    expect(contents.map((c) => [c.text, c.display])).toEqual(kept.map((e) => [e.text, e.display]));
    expect(kept.slice(0, 4).map((e) => e.display)).toEqual(['Ünïcödé 😀', 'two', 'three', 'four']);
  });

  it('rows of an overlay keep the overlay text, whatever the disk holds', async () => {
    const file = join(dir, 'overlaid.jsonl');
    const line = (q: string) =>
      JSON.stringify({
        question: q,
        answer_matching_behavior: ' Yes',
        answer_not_matching_behavior: ' No',
      });
    await writeFile(file, `${line('on disk, one')}\n${line('on disk, two')}\n`);
    const overlays = new Map([[file, `${line('unsaved, one')}\n${line('unsaved, two')}\n`]]);
    const [read] = await readDatasets([file], { keepTexts: false, overlays });
    await writeFile(file, 'no longer a dataset\n');
    expect(read.examples.map((e) => e.text)).toEqual(['unsaved, one', 'unsaved, two']);
    expect((await readRowContents(read.examples)).map((c) => c.text)).toEqual([
      'unsaved, one',
      'unsaved, two',
    ]);
  });

  it('a file changed since it was read is an error naming the line, never another text', async () => {
    const file = join(dir, 'changing.jsonl');
    const source = (await readFile(at('examples/persona/agreeableness.jsonl'), 'utf8'))
      .split('\n')
      .slice(0, 10);
    await writeFile(file, `${source.join('\n')}\n`);
    const [read] = await readDatasets([file], { keepTexts: false });
    expect(read.examples[3].text).toBe(JSON.parse(source[3]).question);

    // Same length, one letter changed in line 4's question: offsets still fit, the text does not.
    const edited = [...source];
    edited[3] = edited[3].replace('?', '!');
    expect(edited[3]).not.toBe(source[3]);
    await writeFile(file, `${edited.join('\n')}\n`);
    expect(() => read.examples[3].text).toThrow(DatasetChangedError);
    expect(() => read.examples[3].text).toThrow(`${file}:4: the file changed since it was read`);
    await expect(readRowContents(read.examples)).rejects.toThrow(`${file}:4:`);
    expect(read.examples[2].text).toBe(JSON.parse(source[2]).question);

    // A line inserted at the top shifts every offset.
    await writeFile(file, `\n${source.join('\n')}\n`);
    await expect(readRowContents(read.examples.slice(5))).rejects.toThrow(DatasetChangedError);

    // Truncated: the line is no longer there to read.
    await writeFile(file, source[0]);
    expect(() => read.examples[9].display).toThrow(`${file}:10:`);
  });

  describe('memory', () => {
    let big = '';
    let bytes = 0;
    beforeAll(async () => {
      // 24 MiB of distinct real HH-RLHF records (each made unique by a suffix on "chosen"): two
      // rows of about a transcript's length each per line.
      big = join(dir, 'big.jsonl');
      const lines = (
        await readFile(at('examples/hh-rlhf/harmless-base-test-first300.jsonl'), 'utf8')
      )
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { chosen: string; rejected: string });
      const out = createWriteStream(big);
      for (let i = 0; bytes < 24 * 1024 * 1024; i++) {
        const r = lines[i % lines.length];
        if (r.chosen.endsWith('Assistant:')) continue;
        const line = `${JSON.stringify({ chosen: `${r.chosen} (${i})`, rejected: r.rejected })}\n`;
        bytes += Buffer.byteLength(line);
        if (!out.write(line)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    });

    it("the pipeline's rows cost under 256 bytes each, whatever their texts (with them, over 1000)", async () => {
      const before = retained();
      const mixture = await readMixture([big]);
      const held = retained() - before;
      const rows = mixture.examples.length;
      expect(mixture.skipped).toEqual([]);
      expect(rows).toBeGreaterThan(25000);
      // The row object, its line's byte range and its text's SHA-256: about 170 bytes.
      expect(held / rows).toBeLessThan(256);

      // The same rows holding their texts (transcripts of about 1.5 KB each).
      const withTexts = await readMixture([big], { read: { keepTexts: true } });
      const heldWithTexts = retained() - before - held;
      expect(withTexts.examples.length).toBe(rows);
      expect(heldWithTexts / rows).toBeGreaterThan(1000);
      expect(mixture.examples[7].text).toBe(withTexts.examples[7].text);
    });
  });
});
