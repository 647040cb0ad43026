/**
 * Peak memory of reading: `check` (rows counted, not kept) and a full read (every row kept, as
 * analyze reads), on synthetic persona files of the given sizes built from examples/persona.
 *   npx tsx bench/reader-memory.ts [--sizes 100,1000] [--dir /tmp/pl-reader-bench]
 * Each measurement runs in its own process and reports that process's peak RSS.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkDatasets } from '../src/core/check.js';
import { readDatasets } from '../src/core/dataset/index.js';

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

const child = async (mode: string, file: string): Promise<void> => {
  const t0 = performance.now();
  let records: number;
  if (mode === 'check') {
    const report = await checkDatasets([file]);
    records = report.files[0].records;
  } else {
    const [read] = await readDatasets([file]);
    records = read.counts!.records;
  }
  const seconds = (performance.now() - t0) / 1000;
  process.send!({ records, seconds, maxRssKiB: process.resourceUsage().maxRSS });
};

const measure = (mode: string, file: string) =>
  new Promise<{ records: number; seconds: number; maxRssKiB: number }>((resolve, reject) => {
    const p = fork(__filename, ['--child', mode, file]);
    p.once('message', (m) => resolve(m as { records: number; seconds: number; maxRssKiB: number }));
    p.once('error', reject);
    p.once('exit', (code) => code !== 0 && reject(new Error(`${mode} exited with ${code}`)));
  });

const main = async (): Promise<void> => {
  if (process.argv.includes('--child')) {
    const i = process.argv.indexOf('--child');
    return child(process.argv[i + 1], process.argv[i + 2]);
  }
  const dir = arg('--dir', path.join(tmpdir(), 'pl-reader-bench'));
  await mkdir(dir, { recursive: true });
  const sizes = arg('--sizes', '100,1000').split(',').map(Number);
  console.log('input     mode   records    time     peak RSS');
  for (const mb of sizes) {
    const file = path.join(dir, `persona-${mb}MB.jsonl`);
    await synthesize(file, mb);
    for (const mode of ['check', 'read']) {
      const r = await measure(mode, file);
      console.log(
        `${`${mb} MB`.padEnd(9)} ${mode.padEnd(6)} ${String(r.records).padStart(8)} ${`${r.seconds.toFixed(1)} s`.padStart(8)} ${`${Math.round(r.maxRssKiB / 1024)} MiB`.padStart(10)}`,
      );
    }
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
