/**
 * Writes the unlabeled mixture test/unit/discovery-purity.test.ts clusters: 60 pairs from each of
 * five bundled persona behaviors (lines 941-1000 of each file), as TRL prompt/chosen/rejected
 * without a behavior field, shuffled; the source behavior of each line goes to
 * persona-mixture.sources.json, which the reader never sees.
 *
 *   npx tsx scripts/discovery-fixture.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildMixture } from '../bench/discovery-mixture.js';
import { DEFAULT_FIVE } from '../bench/discovery-five.js';

const out = path.join('test', 'fixtures', 'discovery');
const mixture = buildMixture(path.join('examples', 'persona'), DEFAULT_FIVE, 60, 7, 940);
writeFileSync(path.join(out, 'persona-mixture.jsonl'), mixture.jsonl);
writeFileSync(
  path.join(out, 'persona-mixture.sources.json'),
  JSON.stringify(mixture.sources, null, 2) + '\n',
);
console.log(`wrote ${mixture.sources.length} pairs to ${out}`);
