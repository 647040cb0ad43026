// Writes test/fixtures/analysis/minilm-hh.{f32,json}: the bundled all-MiniLM-L6-v2 embeddings of
// the bundled HH-RLHF sample (299 pairs, chosen and rejected rows as the reader makes them), with
// each row's label and pair id, for tests of the paired statistics on real embeddings.
// Run from the repository root, after npm run build:
//   node bin/preference-lens.js analyze examples/hh-rlhf/harmless-base-test-first300.jsonl \
//     --save-embeddings /tmp/hh-emb --no-rebalance
//   npx tsx tools/crosscheck/make-hh-fixture.mts /tmp/hh-emb
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? '/tmp/hh-emb';
// A version-1 .npy of float32 rows, as --save-embeddings writes it: 10 header bytes, the header.
const bytes = readFileSync(path.join(dir, 'embeddings.npy'));
const headerLength = bytes.readUInt16LE(8);
const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
const dim = Number(/'shape': \(\d+, (\d+)\)/.exec(header)![1]);
const data = bytes.subarray(10 + headerLength);
const rows = readFileSync(path.join(dir, 'rows.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { label: number; line: number; pair: number });
writeFileSync('test/fixtures/analysis/minilm-hh.f32', data);
writeFileSync(
  'test/fixtures/analysis/minilm-hh.json',
  JSON.stringify({
    model: 'all-MiniLM-L6-v2 (bundled)',
    source: 'examples/hh-rlhf/harmless-base-test-first300.jsonl',
    dim,
    labels: rows.map((r) => r.label),
    pairs: rows.map((r) => r.pair),
    lines: rows.map((r) => r.line),
  }) + '\n',
);
