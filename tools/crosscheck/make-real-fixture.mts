// Writes test/fixtures/analysis/minilm-persona.{f32,json}: the bundled all-MiniLM-L6-v2
// embeddings (mean pooling, as the embedder produces them) of the `question` field of the first
// ROWS lines of a few persona behaviors, for tests of the analysis on real embeddings.
// Run from the repository root: npx tsx tools/crosscheck/make-real-fixture.mts
import { readFileSync, writeFileSync } from 'node:fs';
import { createEmbedder } from '../../src/core/embed/index.js';

const ROWS = 150;
const names = [
  'agreeableness',
  'subscribes-to-total-utilitarianism',
  'subscribes-to-Buddhism',
  'subscribes-to-average-utilitarianism',
];
const texts: string[] = [];
const labels: number[] = [];
const behavior: number[] = [];
const lines: number[] = [];
names.forEach((name, b) => {
  const all = readFileSync(`examples/persona/${name}.jsonl`, 'utf8').split('\n');
  for (let i = 0; i < all.length && lines.filter((_, j) => behavior[j] === b).length < ROWS; i++) {
    if (!all[i].trim()) continue;
    const r = JSON.parse(all[i]) as { question: string; answer_matching_behavior: string };
    texts.push(r.question);
    labels.push(r.answer_matching_behavior.trim() === 'Yes' ? 1 : -1);
    behavior.push(b);
    lines.push(i + 1);
  }
});
const embedder = await createEmbedder({ cacheDir: false });
const out = await embedder.embed(texts);
await embedder.dispose();
writeFileSync(
  'test/fixtures/analysis/minilm-persona.f32',
  Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength),
);
writeFileSync(
  'test/fixtures/analysis/minilm-persona.json',
  JSON.stringify({ model: embedder.info.id, dim: out.dim, names, labels, behavior, lines }),
);
console.log(`wrote ${out.rows} x ${out.dim}`);
