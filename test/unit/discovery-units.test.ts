import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/analysis/rng.js';
import { pairPrompt } from '../../src/core/dataset/prompt.js';
import { clusterPrompts } from '../../src/core/discovery/cluster.js';
import { gram, meanSilhouette } from '../../src/core/discovery/silhouette.js';
import { ClusterTermCounts, terms } from '../../src/core/discovery/terms.js';
import { parseDiscoverMode } from '../../src/core/discovery/discover-mode.js';
import { analyzeOptions, readSettings, type SettingsReader } from '../../src/extension/config.js';
import manifest from '../../package.json' with { type: 'json' };

/** Three seeded blobs on the sphere in d = 32: rows i % 3 share a direction. */
const blobs = (n: number, dim = 32, spread = 0.6): Float32Array => {
  const rng = new Rng(99);
  const centers = Array.from({ length: 3 }, () => Array.from({ length: dim }, () => rng.normal()));
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) data[i * dim + j] = centers[i % 3][j] + spread * rng.normal();
  return data;
};

describe('discovery: clustering', () => {
  it('is reproducible: the same seed gives the same clusters and scores', () => {
    const data = blobs(300);
    const a = clusterPrompts(data, 300, 32, { k: 'auto', seed: 5 });
    const b = clusterPrompts(data, 300, 32, { k: 'auto', seed: 5 });
    expect(Array.from(a.assignment)).toEqual(Array.from(b.assignment));
    expect(a.scores).toEqual(b.scores);
  });

  it('chooses k = 3 for three blobs by silhouette and recovers them', () => {
    const data = blobs(300);
    const c = clusterPrompts(data, 300, 32, { k: 'auto', seed: 1 });
    expect(c.criterion).toBe('silhouette');
    expect(c.k).toBe(3);
    expect(c.kRange).toEqual([2, 12]);
    // Every blob lands in one cluster.
    for (let blob = 0; blob < 3; blob++) {
      const labels = new Set<number>();
      for (let i = blob; i < 300; i += 3) labels.add(c.assignment[i]);
      expect(labels.size).toBe(1);
    }
  });

  it('caps k so that clusters keep 10 prompts on average, and numbers clusters largest first', () => {
    const data = blobs(45);
    const c = clusterPrompts(data, 45, 32, { k: 'auto', seed: 1 });
    expect(c.kRange).toEqual([2, 4]);
    const fixed = clusterPrompts(blobs(301), 301, 32, { k: 3, seed: 1 });
    expect(fixed.criterion).toBe('fixed');
    const sizes = [0, 1, 2].map((k) => fixed.assignment.filter((x) => x === k).length);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
    expect(() => clusterPrompts(blobs(15), 15, 32, { k: 'auto', seed: 1 })).toThrow(/at least 20/);
  });

  it('computes the cosine silhouette by its definition', () => {
    // Two tight pairs at right angles: a = 1 − cos(pair) , b = 1 − cos(other pair) = 1.
    const eps = 0.1;
    const unit = (x: number, y: number): number[] => {
      const n = Math.hypot(x, y);
      return [x / n, y / n];
    };
    const points = [unit(1, 0), unit(1, eps), unit(0, 1), unit(eps, 1)];
    const cosPair = points[0][0] * points[1][0] + points[0][1] * points[1][1];
    const a = 1 - cosPair;
    // Mean distance of point 0 to the other pair: 1 − mean cos.
    const b0 = 1 - (points[0][0] * points[2][0] + points[0][0] * points[3][0]) / 2;
    const b1 =
      1 -
      (points[1][0] * points[2][0] +
        points[1][1] * points[2][1] +
        points[1][0] * points[3][0] +
        points[1][1] * points[3][1]) /
        2;
    const s0 = (b0 - a) / Math.max(a, b0);
    const s1 = (b1 - a) / Math.max(a, b1);
    const expected = (2 * s0 + 2 * s1) / 4; // symmetric
    const got = meanSilhouette(gram(points), Int32Array.from([0, 0, 1, 1]), 2);
    expect(got).toBeCloseTo(expected, 6);
  });
});

describe('discovery: names', () => {
  it('drops stop-words, short words and numbers', () => {
    expect(terms("What's the best gun for 2024? I'd like a Glock, the AI's pick")).toEqual([
      'best',
      'gun',
      'glock',
      'pick',
    ]);
  });

  it('ranks terms by c-TF-IDF and skips terms found in every cluster', () => {
    const counts = new ClusterTermCounts(3);
    counts.add(0, 'rifle rifle rifle pistol statement');
    counts.add(1, 'allah prayer prayer statement pistol');
    counts.add(2, 'physics statement');
    // Words: 5 + 5 + 2 = 12, A = 4. Cluster 0: rifle 3·ln(1 + 4/3) = 2.54, pistol 1·ln(1 + 4/2)
    // = 1.10; "statement" is in all three clusters and names none.
    expect(counts.topTerms(3)).toEqual([
      ['rifle', 'pistol'],
      ['prayer', 'allah', 'pistol'],
      ['physics'],
    ]);
  });
});

describe('discovery: prompts of pairs', () => {
  it('takes an HH transcript up to its final Assistant turn', () => {
    const prompt = '\n\nHuman: Where do deer live?\n\nAssistant: In forests.\n\nHuman: And bears?';
    expect(
      pairPrompt(`${prompt}\n\nAssistant: Also forests.`, `${prompt}\n\nAssistant: Caves, mostly.`),
    ).toBe(prompt.trim().replace(/\s+$/, ''));
  });

  it('cuts a shared beginning of the replies back to a whole word', () => {
    expect(pairPrompt('Name a fruit.\nGrapes', 'Name a fruit.\nGuava')).toBe('Name a fruit.');
    expect(pairPrompt('Q?\nI think yes', 'Q?\nI think no')).toBe('Q?\nI think');
    expect(pairPrompt('Is it so?\n"x" Yes', 'Is it so?\n"x" No')).toBe('Is it so?\n"x"');
  });
});

describe('discovery: option values', () => {
  it('parses unlabeled, off, auto and k', () => {
    expect(parseDiscoverMode('auto')).toBe('auto');
    expect(parseDiscoverMode(' OFF ')).toBe('off');
    expect(parseDiscoverMode('unlabeled')).toBe('unlabeled');
    expect(parseDiscoverMode('7')).toBe(7);
    expect(parseDiscoverMode(7)).toBe(7);
    expect(parseDiscoverMode('0')).toBeNull();
    expect(parseDiscoverMode('2.5')).toBeNull();
    expect(parseDiscoverMode('many')).toBeNull();
  });
});

describe('discovery: the VS Code setting', () => {
  const props = manifest.contributes.configuration.properties as Record<
    string,
    { default: unknown }
  >;
  const reader =
    (value: unknown): SettingsReader =>
    <T>(key: string) =>
      key === 'discoverBehaviors'
        ? {
            key,
            defaultValue: props['preferenceLens.discoverBehaviors'].default as T,
            workspaceValue: value as T,
          }
        : { key, defaultValue: props[`preferenceLens.${key}`]?.default as T };

  it('is declared with the default unlabeled and reaches the analysis options', () => {
    expect(props['preferenceLens.discoverBehaviors'].default).toBe('unlabeled');
    expect(analyzeOptions(readSettings(reader('4'), true)).discoverBehaviors).toBe(4);
    expect(analyzeOptions(readSettings(reader('off'), true)).discoverBehaviors).toBe('off');
    expect(analyzeOptions(readSettings(reader('lots'), true)).discoverBehaviors).toBe('unlabeled');
  });
});
