/**
 * Writes the label hints' test fixture (test/fixtures/analysis/label-hints-persona.*): the bundled
 * MiniLM embeddings of two persona behaviors near the median distinguishability of the 24 bundled
 * ones, the first 300 examples of each class in file order, quantized to int8 with one scale
 * (step ≈ 0.002 against a per-coordinate spread of about 0.05; the hints' figures on the fixture
 * are the same as on the float32 rows). 460 KB instead of 1.8 MB of float32.
 *
 *   node bin/preference-lens.js analyze examples/persona --save-embeddings /tmp/persona-emb --no-rebalance
 *   npx tsx scripts/label-hint-fixture.ts /tmp/persona-emb
 */
import { writeFileSync } from 'node:fs';
import { toFloat32 } from '../src/core/io/half.js';
import path from 'node:path';
import { loadSavedEmbeddings } from '../bench/label-hints.js';
import { npyHeader } from '../src/core/io/npy.js';

const BEHAVIORS = ['desire-to-not-have-memory-erased', 'risk-seeking'];
const PER_CLASS = 300;

const full = loadSavedEmbeddings(process.argv[2] ?? '/tmp/persona-emb');
const d = full.matrix.dim;
const picked: number[] = [];
const labels: number[] = [];
const behavior: number[] = [];
BEHAVIORS.forEach((name, bi) => {
  const b = full.behaviors.find((x) => x.name === name);
  if (!b) throw new Error(`no behavior ${name}`);
  const counts = { 1: 0, [-1]: 0 } as Record<number, number>;
  b.rows.forEach((r, i) => {
    const s = b.labels[i];
    if (counts[s] >= PER_CLASS) return;
    counts[s]++;
    picked.push(r);
    labels.push(s);
    behavior.push(bi);
  });
});
const fullData = toFloat32(full.matrix.data);
let max = 0;
for (const r of picked)
  for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(fullData[r * d + j]));
const scale = max / 127;
const q = new Int8Array(picked.length * d);
picked.forEach((r, i) => {
  for (let j = 0; j < d; j++) q[i * d + j] = Math.round(fullData[r * d + j] / scale);
});
const out = path.resolve(__dirname, '../test/fixtures/analysis');
writeFileSync(
  path.join(out, 'label-hints-persona.npy'),
  Buffer.concat([npyHeader([picked.length, d], '|i1'), Buffer.from(q.buffer)]),
);
writeFileSync(
  path.join(out, 'label-hints-persona.json'),
  JSON.stringify({
    model: 'all-MiniLM-L6-v2 (bundled)',
    source: 'examples/persona, the first 300 examples of each class in file order',
    scale,
    names: BEHAVIORS,
    behavior,
    labels,
  }) + '\n',
);
