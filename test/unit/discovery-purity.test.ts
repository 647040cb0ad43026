/**
 * Behavior discovery end to end on real data with the bundled model: an unlabeled mixture of
 * five persona behaviors (test/fixtures/discovery, 300 pairs, no behavior field) is clustered and
 * the clusters are scored against the behaviors the pairs came from, which the reader never sees.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeResult } from '../../src/core/pipeline.js';
import { buildDiagnostics } from '../../src/extension/diagnostics-model.js';
import { repoRoot, tempDir } from './embed-helpers.js';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'discovery', 'persona-mixture.jsonl');
const sources = JSON.parse(
  readFileSync(
    path.join(repoRoot, 'test', 'fixtures', 'discovery', 'persona-mixture.sources.json'),
    'utf8',
  ),
) as string[];
const cacheDir = tempDir('discovery-cache');
const run = (): Promise<AnalyzeResult> =>
  analyze([fixture], { embed: { cacheDir }, rebalance: false, simulation: { steps: 5 } });

/** Σ over clusters of its majority source's count, over all pairs (computed here, not by the tool). */
const purity = (clusterOfLine: Map<number, string>): number => {
  const table = new Map<string, Map<string, number>>();
  sources.forEach((source, i) => {
    const cluster = clusterOfLine.get(i + 1)!;
    const row = table.get(cluster) ?? new Map<string, number>();
    row.set(source, (row.get(source) ?? 0) + 1);
    table.set(cluster, row);
  });
  let majority = 0;
  for (const row of table.values()) majority += Math.max(...row.values());
  return majority / sources.length;
};

let first: AnalyzeResult;
beforeAll(async () => {
  first = await run();
}, 300_000);

describe('behavior discovery on an unlabeled mixture of five sources', () => {
  it('recovers the sources with weighted purity >= 0.75', () => {
    const d = first.report.discovery!;
    expect(d).toBeTruthy();
    expect(d.reason).toBe('unlabeled');
    expect(d.unit).toBe('pair');
    expect(d.prompts).toBe(300);
    const byLine = new Map(first.examples.map((e) => [e.line, e.behavior]));
    const p = purity(byLine);
    expect(p).toBeGreaterThanOrEqual(0.75);
    // The analysis ran on the clusters: one behavior per cluster, both rows of a pair in one.
    expect(first.report.behaviors.map((b) => b.name).sort()).toEqual(
      d.clusters.map((c) => c.name).sort(),
    );
    for (const c of d.clusters) {
      expect(c.name).toContain(`(${c.size} pairs)`);
      expect(c.terms.length).toBeGreaterThan(0);
      const rows = first.examples.filter((e) => e.behavior === c.name);
      expect(rows.length).toBe(2 * c.size);
    }
    expect(first.report.timings.discoveryMs).toBeGreaterThanOrEqual(0);
  });

  it('is reproducible: a second run gives the same clusters, names and assignment', async () => {
    const second = await run();
    expect(second.report.discovery!.clusters).toEqual(first.report.discovery!.clusters);
    expect(second.examples.map((e) => e.behavior)).toEqual(first.examples.map((e) => e.behavior));
  }, 300_000);

  it('puts an information diagnostic on each cluster’s first prompt, listing its examples', () => {
    const d = first.report.discovery!;
    const diagnostics = [
      ...buildDiagnostics(first.report, first.skipped, {
        maxLabelErrorHintsPerFile: 10,
      }).values(),
    ]
      .flat()
      .filter((x) => x.code === 'discovered-behavior');
    expect(diagnostics).toHaveLength(d.clusters.length);
    for (const c of d.clusters) {
      const firstLine = Math.min(
        ...first.examples.filter((e) => e.behavior === c.name).map((e) => e.line),
      );
      const diagnostic = diagnostics.find((x) => x.behavior === c.name)!;
      expect(diagnostic.line).toBe(firstLine - 1);
      expect(diagnostic.severity).toBe('information');
      expect(diagnostic.message).toContain('Behaviors discovered');
      expect(diagnostic.related!.length).toBe(Math.min(5, c.size));
      expect(diagnostic.related![0].line).toBe(firstLine - 1);
    }
  });

  it('keeps the file as one behavior with discovery off', async () => {
    const off = await analyze([fixture], {
      embed: { cacheDir },
      rebalance: false,
      simulation: { steps: 5 },
      discoverBehaviors: 'off',
    });
    expect(off.report.discovery).toBeNull();
    expect(off.report.behaviors.map((b) => b.name)).toEqual(['persona-mixture']);
  }, 300_000);
});
