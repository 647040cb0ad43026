/**
 * Peak memory of analyze before its first embedding batch, on synthetic persona files of the given
 * sizes (the agreeableness records with numbered questions, as bench/reader-memory.ts writes):
 *   npx tsx bench/analyze-memory.ts [--sizes 100,1000] [--dir /tmp/pl-reader-bench]
 * Each measurement runs in its own process and reports that process's peak RSS:
 *   rows        readMixture, analyze's first stage: the rows as analyze holds them (no texts)
 *   rows+texts  the same rows holding their texts (keepTexts: true), as analyze held them before
 *   to-embed    analyze itself with the bundled model and an empty cache, stopped (aborted) when
 *               the first batch would be embedded: rows, digests, cache keys and lookup, the
 *               output matrix allocated
 * Embedding a file of this size with the model takes hours on a few cores; a whole run is
 * measured with the CLI on a smaller input (docs/performance.md).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyze, readMixture } from '../src/core/pipeline.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** Writes about `mb` MB (10^6 bytes) of distinct records: real persona lines, numbered questions. */
const synthesize = async (file: string, mb: number): Promise<void> => {
  if (existsSync(file) && statSync(file).size >= mb * 1e6) return;
  const source = path.resolve(__dirname, '../examples/persona/agreeableness.jsonl');
  const records = readFileSync(source, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { question: string });
  const out = createWriteStream(file);
  let bytes = 0;
  for (let i = 0; bytes < mb * 1e6; i++) {
    const r = records[i % records.length];
    const line = `${JSON.stringify({ ...r, question: `${r.question} (${i})` })}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
};

interface Measured {
  rows: number;
  seconds: number;
  maxRssKiB: number;
}

const child = async (mode: string, file: string): Promise<void> => {
  const t0 = performance.now();
  let rows = 0;
  if (mode === 'to-embed') {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'pl-bench-cache-'));
    const controller = new AbortController();
    try {
      await analyze(
        [file],
        { embed: { cacheDir, device: 'cpu' } },
        controller.signal,
        ({ stage, embed }) => {
          // The first report with counts comes after the digests, the keys and the lookup.
          if (stage === 'embed' && embed) {
            rows = embed.total;
            controller.abort();
          }
        },
      );
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  } else {
    const mixture = await readMixture([file], { read: { keepTexts: mode === 'rows+texts' } });
    rows = mixture.examples.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: Measured = { rows, seconds, maxRssKiB: process.resourceUsage().maxRSS };
  process.send!(result);
};

const measure = (mode: string, file: string) =>
  new Promise<Measured>((resolve, reject) => {
    const p = fork(__filename, ['--child', mode, file]);
    p.once('message', (m) => resolve(m as Measured));
    p.once('error', reject);
    p.once('exit', (code) => code !== 0 && reject(new Error(`${mode} exited with ${code}`)));
  });

const main = async (): Promise<void> => {
  if (process.argv.includes('--child')) {
    const i = process.argv.indexOf('--child');
    await child(process.argv[i + 1], process.argv[i + 2]);
    // The aborted run's embedding child and worker threads must not keep this process alive.
    process.exit(0);
  }
  const dir = arg('--dir', path.join(tmpdir(), 'pl-reader-bench'));
  await mkdir(dir, { recursive: true });
  const sizes = arg('--sizes', '100,1000').split(',').map(Number);
  const modes = arg('--modes', 'rows,rows+texts,to-embed').split(',');
  console.log('input     mode            rows     time     peak RSS');
  for (const mb of sizes) {
    const file = path.join(dir, `persona-${mb}MB.jsonl`);
    await synthesize(file, mb);
    for (const mode of modes) {
      const r = await measure(mode, file);
      console.log(
        `${`${mb} MB`.padEnd(9)} ${mode.padEnd(10)} ${String(r.rows).padStart(9)} ${`${r.seconds.toFixed(1)} s`.padStart(8)} ${`${Math.round(r.maxRssKiB / 1024)} MiB`.padStart(10)}`,
      );
    }
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
