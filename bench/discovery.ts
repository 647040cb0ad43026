/**
 * Measures behavior discovery (src/core/discovery) on unlabeled mixtures of persona behaviors
 * (bench/discovery-mixture.ts): the weighted purity of the discovered clusters against the
 * behaviors the pairs came from, the k chosen, and the time discovery takes (embedding the
 * prompts; clustering and naming) next to the time of embedding the rows themselves.
 *
 *   npx tsx bench/discovery.ts [--per 1000] [--behaviors a,b,...] [--random 10] [--seed 1234] [--cold] [--k 5]
 *
 * --random R adds R mixtures of five behaviors drawn (seeded) from the 24 bundled ones;
 * --cold embeds with an empty cache, so the embedding times are a first run's.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../src/core/analysis/rng.js';
import { analyze } from '../src/core/pipeline.js';
import { buildMixture, weightedPurity } from './discovery-mixture.js';
import { DEFAULT_FIVE } from './discovery-five.js';

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};

const personaDir = path.resolve(arg('persona', 'examples/persona'));
const per = Number(arg('per', '1000'));
const seed = Number(arg('seed', '1234'));
const randomCount = Number(arg('random', '0'));
const cold = process.argv.includes('--cold');
/** --k N: discover N behaviors instead of choosing k by silhouette. */
const fixedK = process.argv.includes('--k') ? Number(arg('k', '5')) : undefined;
const named = arg('behaviors', DEFAULT_FIVE.join(',')).split(',');

const all = readdirSync(personaDir)
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.replace(/\.jsonl$/, ''))
  .sort();
const mixtures: string[][] = [named];
const rng = new Rng(seed, 0x5e7);
for (let i = 0; i < randomCount; i++) {
  const pool = [...all];
  rng.shuffle(pool);
  mixtures.push(pool.slice(0, 5).sort());
}

const main = async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pl-discovery-'));
  const purities: number[] = [];
  try {
    for (const [i, behaviors] of mixtures.entries()) {
      const mixture = buildMixture(personaDir, behaviors, per, seed);
      const file = path.join(dir, `mixture-${i}.jsonl`);
      writeFileSync(file, mixture.jsonl);
      const cacheDir = cold ? mkdtempSync(path.join(dir, 'cache-')) : undefined;
      const { report, examples } = await analyze([file], {
        embed: cacheDir ? { cacheDir } : {},
        rebalance: false,
        simulation: { steps: 0 },
        ...(fixedK === undefined ? {} : { discoverBehaviors: fixedK }),
      });
      const d = report.discovery;
      if (!d) throw new Error('no behaviors were discovered');
      const byLine = new Map<number, string>();
      for (const e of examples) byLine.set(e.line, e.behavior);
      const clusters = mixture.sources.map((_, l) => byLine.get(l + 1)!);
      const purity = weightedPurity(clusters, mixture.sources);
      purities.push(purity);
      const t = report.timings;
      console.log(
        `${i === 0 ? 'named' : `random ${i}`}: ${behaviors.join(', ')}\n` +
          `  ${mixture.sources.length} pairs, k = ${d.k} (${d.criterion} in ${d.kRange.join('..')}), ` +
          `weighted purity ${purity.toFixed(3)}\n` +
          `  silhouette: ${d.scores.map((s) => `${s.k}:${s.silhouette.toFixed(3)}`).join(' ')}\n` +
          `  clusters: ${d.clusters.map((c) => c.name).join(' | ')}\n` +
          `  time: rows embedded in ${t.embedMs} ms (${t.embeddedRows} embedded, ${t.cachedRows} cached); ` +
          `discovery ${t.discoveryMs} ms = prompts embedded in ${d.embedMs} ms + clustering and naming ${d.clusterMs} ms ` +
          `(${((100 * d.clusterMs) / Math.max(1, t.embedMs)).toFixed(1)}% of the rows' embedding time)`,
      );
      if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (purities.length > 1) {
    const sorted = [...purities].sort((a, b) => a - b);
    const mean = purities.reduce((a, b) => a + b, 0) / purities.length;
    console.log(
      `purity over ${purities.length} mixtures: mean ${mean.toFixed(3)}, min ${sorted[0].toFixed(3)}, ` +
        `median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)}, ≥ 0.75 in ${purities.filter((p) => p >= 0.75).length}`,
    );
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
