import { describe, expect, it } from 'vitest';
import type { Example } from '../../src/core/dataset/types.js';
import { HalfRows, halfToFloat, toHalfBits } from '../../src/core/io/half.js';
import { nearestRows } from '../../src/core/report/neighbours.js';
import { buildSidecar } from '../../src/core/report/sidecar.js';
import { personaFixture } from './analysis-helpers.js';
import { fixturePayload } from './report-fixture.js';

/**
 * Brute force, written here: every other row's cosine (float64 sums of the float32 values, a
 * zero row as norm 1), sorted by similarity, then by row; the first k.
 */
const bruteForce = (
  data: ArrayLike<number>,
  dim: number,
  query: number,
  k: number,
): { rows: number[]; cosine: number[] } => {
  const rows = data.length / dim;
  const norm = (r: number): number => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[r * dim + j] ** 2;
    return Math.sqrt(s) || 1;
  };
  const all: { r: number; c: number }[] = [];
  for (let r = 0; r < rows; r++) {
    if (r === query) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[query * dim + j] * data[r * dim + j];
    all.push({ r, c: s / (norm(query) * norm(r)) });
  }
  all.sort((a, b) => b.c - a.c || a.r - b.r);
  const top = all.slice(0, k);
  return { rows: top.map((t) => t.r), cosine: top.map((t) => t.c) };
};

describe('sidecar neighbours', () => {
  const { meta, data } = personaFixture();
  const dim = meta.dim;
  const n = meta.labels.length;

  it('equal a brute-force cosine search on real MiniLM persona embeddings, for every row', async () => {
    const examples: Example[] = meta.labels.map((label, i) => ({
      text: `row ${i}`,
      behavior: meta.names[meta.behavior[i]],
      label: label > 0 ? 1 : -1,
      file: `/persona/${meta.names[meta.behavior[i]]}.jsonl`,
      line: i + 1,
    }));
    const { report } = fixturePayload({ behaviors: meta.names });
    report.behaviors.forEach((b) => (b.suspects = []));
    const sidecar = (await buildSidecar(examples, { data, rows: n, dim }, report, {
      worker: false,
      umapMaxRows: 0,
    }))!;
    const nb = sidecar.neighbours!;
    expect(nb.k).toBe(15);
    expect(nb.rows).toHaveLength(n);
    for (let q = 0; q < n; q++) {
      const want = bruteForce(data, dim, q, 15);
      expect(nb.rows[q]).toEqual(want.rows);
      nb.cosine[q].forEach((c, j) => expect(c).toBeCloseTo(want.cosine[j], 6));
    }
  });

  it('equal it for chosen rows of half-precision storage', () => {
    const bits = Uint16Array.from(data, (x) => toHalfBits(x));
    const halves = Float32Array.from(bits, (h) => halfToFloat(h));
    const queries = [599, 0, 137, 300];
    const near = nearestRows({ data: new HalfRows(bits), rows: n, dim }, queries, 15);
    expect(Array.from(near.queries)).toEqual(queries);
    queries.forEach((q, i) => {
      const want = bruteForce(halves, dim, q, 15);
      expect(Array.from(near.index.subarray(i * 15, i * 15 + 15))).toEqual(want.rows);
      expect(Array.from(near.cosine.subarray(i * 15, i * 15 + 15))).toEqual(want.cosine);
    });
  });
});
