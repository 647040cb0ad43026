import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/analysis/rng.js';
import type { Example } from '../../src/core/dataset/types.js';
import { buildSidecar } from '../../src/core/report/sidecar.js';
import { fixturePayload } from './report-fixture.js';

/** Three behaviors, two labels each, as well-separated clusters in 24 dimensions. */
function clustered(perGroup: number): { examples: Example[]; data: Float32Array; dim: number } {
  const dim = 24;
  const rng = new Rng(5);
  const examples: Example[] = [];
  const rows: number[][] = [];
  for (const [b, behavior] of ['alpha', 'beta', 'gamma'].entries()) {
    for (const label of [1, -1] as const) {
      for (let k = 0; k < perGroup; k++) {
        examples.push({
          text: `${behavior} ${label} ${k}`,
          behavior,
          label,
          file: `/data/${behavior}.jsonl`,
          line: examples.filter((e) => e.behavior === behavior).length + 1,
        });
        rows.push(
          Array.from(
            { length: dim },
            (_, d) =>
              (d === b * 2 ? 8 : 0) + (d === b * 2 + 1 ? 4 * label : 0) + 0.3 * rng.normal(),
          ),
        );
      }
    }
  }
  return { examples, data: Float32Array.from(rows.flat()), dim };
}

const reportFor = (names: string[]) => {
  const { report } = fixturePayload({ behaviors: ['narcissism', 'risk-averse', 'agreeableness'] });
  report.behaviors.forEach((b, i) => (b.name = names[i]));
  return report;
};

describe('buildSidecar', () => {
  const names = ['alpha', 'beta', 'gamma'];

  it('holds every row with its behavior, label, file and line, and a seeded UMAP map', async () => {
    const { examples, data, dim } = clustered(40);
    const emb = { data, rows: examples.length, dim };
    const sc = (await buildSidecar(examples, emb, reportFor(names), { worker: false }))!;
    expect(sc.rows).toBe(240);
    expect(sc.x).toHaveLength(240);
    expect(sc.projection.method).toBe('umap');
    examples.forEach((e, i) => {
      expect(sc.behaviors[sc.behavior[i]]).toBe(e.behavior);
      expect(sc.label[i]).toBe(e.label);
      expect(sc.files[sc.file[i]]).toBe(e.file);
      expect(sc.line[i]).toBe(e.line);
    });
    // The six clusters stay apart: each row's nearest other row on the map shares its group.
    let same = 0;
    for (let i = 0; i < sc.rows; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < sc.rows; j++) {
        if (j === i) continue;
        const d = (sc.x[i] - sc.x[j]) ** 2 + (sc.y[i] - sc.y[j]) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      }
      if (sc.behavior[best] === sc.behavior[i] && sc.label[best] === sc.label[i]) same++;
    }
    expect(same / sc.rows).toBeGreaterThan(0.95);
    // Seeded: the same map again, in a worker thread too.
    const again = (await buildSidecar(examples, emb, reportFor(names)))!;
    expect(again.x).toEqual(sc.x);
    expect(again.y).toEqual(sc.y);
  });

  it('falls back to the first two principal components beyond the UMAP limit', async () => {
    const { examples, data, dim } = clustered(40);
    const emb = { data, rows: examples.length, dim };
    const sc = (await buildSidecar(examples, emb, reportFor(names), {
      worker: false,
      umapMaxRows: 100,
    }))!;
    expect(sc.projection.method).toBe('pca');
    expect(sc.projection.reason).toContain('above the UMAP limit of 100');
    expect(sc.rows).toBe(240);
    // The first component separates the behaviors' cluster centers (offsets 8 on axes 0, 2, 4).
    const meanX = (b: number): number => {
      const xs = sc.x.filter((_, i) => sc.behavior[i] === b);
      return xs.reduce((a, v) => a + v, 0) / xs.length;
    };
    const centers = [0, 1, 2].map((b) => {
      const ys = sc.y.filter((_, i) => sc.behavior[i] === b);
      return [meanX(b), ys.reduce((a, v) => a + v, 0) / ys.length];
    });
    const dist = (a: number[], b: number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
    expect(dist(centers[0], centers[1])).toBeGreaterThan(3);
    expect(dist(centers[1], centers[2])).toBeGreaterThan(3);
  });

  it("carries each row's whole text length, its flags as bits and the clusters", async () => {
    const { examples, data, dim } = clustered(10);
    examples[7].text = 'x'.repeat(500);
    const emb = { data, rows: examples.length, dim };
    const report = reportFor(names);
    // Without flags from the pipeline, the rows the report lists as label hints are flagged.
    report.behaviors.forEach((b) => (b.suspects = []));
    const hinted = examples[12];
    report.behaviors[1].suspects = [
      { file: hinted.file, line: hinted.line, label: hinted.label, projection: 0, text: '' },
    ];
    const sc = (await buildSidecar(examples, emb, report, { worker: false }))!;
    expect(sc.length![7]).toBe(500);
    expect(sc.text[7]).toHaveLength(241);
    expect(sc.length![0]).toBe(examples[0].text.length);
    expect(sc.flagKinds).toEqual(['possible-label-error']);
    expect(sc.flags!.flatMap((f, i) => (f ? [i] : []))).toEqual([12]);
    expect(sc.clusters).toBeUndefined();
    // Flags from the pipeline (any kinds), and discovered clusters.
    const of = examples.map((_, i) => (i % 3) - (i === 0 ? 1 : 0));
    const withFlags = (await buildSidecar(examples, emb, report, {
      worker: false,
      flags: [
        { kind: 'possible-label-error', rows: [1, 2] },
        { kind: 'none-here', rows: [] },
        { kind: 'identical-pair', rows: [2, 3] },
      ],
      clusters: { names: ['c0', 'c1', 'c2'], of },
    }))!;
    expect(withFlags.flagKinds).toEqual(['possible-label-error', 'identical-pair']);
    expect(withFlags.flags!.slice(0, 5)).toEqual([0, 1, 3, 2, 0]);
    expect(withFlags.clusters).toEqual(['c0', 'c1', 'c2']);
    expect(withFlags.cluster!.slice(0, 4)).toEqual([-1, 1, 2, 0]);
  });
});
