/**
 * Behavior discovery through the built CLI on the first 120 pairs of the bundled HH-RLHF sample
 * (no behavior field): the summary says so, the Markdown report lists the clusters, and rows.jsonl
 * of --save-embeddings names each row's discovered behavior.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/report/types.js';
import { cli, root } from './cli-helpers.js';
import { tempDir } from './embed-helpers.js';

const cache = tempDir('cli-discovery-cache');
// Line 87 has an empty reply (skipped): 119 pairs.
const hh = path.join(tempDir('cli-discovery-data'), 'harmless-first120.jsonl');
writeFileSync(
  hh,
  readFileSync(path.join(root, 'examples', 'hh-rlhf', 'harmless-base-test-first300.jsonl'), 'utf8')
    .split('\n')
    .slice(0, 120)
    .join('\n') + '\n',
);

describe('CLI: discovered behaviors', () => {
  it('clusters an unlabeled HH-RLHF file and says so in the summary, the reports and rows.jsonl', async () => {
    const dir = tempDir('cli-discovery');
    const json = path.join(dir, 'report.json');
    const md = path.join(dir, 'report.md');
    const emb = path.join(dir, 'emb');
    const result = await cli(
      [
        'analyze',
        hh,
        '--cache-dir',
        cache,
        '--no-rebalance',
        '--steps',
        '5',
        '--no-progress',
        '--json',
        json,
        '--markdown',
        md,
        '--save-embeddings',
        emb,
      ],
      300_000,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as Report;
    const d = report.discovery!;
    expect(d.reason).toBe('unlabeled');
    expect(d.criterion).toBe('silhouette');
    expect(d.k).toBeGreaterThanOrEqual(2);
    expect(d.k).toBeLessThanOrEqual(11); // capped: 10 prompts per cluster on average
    expect(d.prompts).toBe(119);
    expect(d.clusters.reduce((s, c) => s + c.size, 0)).toBe(119);
    expect(report.behaviors).toHaveLength(d.k);
    expect(result.stdout).toMatch(
      /Behaviors discovered \(the input names no behaviors\): \d+ clusters of 119 pair prompts/,
    );
    const markdown = await readFile(md, 'utf8');
    expect(markdown).toContain('## Discovered behaviors');
    for (const c of d.clusters) expect(markdown).toContain(c.terms.slice(0, 3).join(', '));
    const rows = (await readFile(path.join(emb, 'rows.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { behavior: string; pair: number; line: number });
    const names = new Set(d.clusters.map((c) => c.name));
    expect(rows).toHaveLength(238);
    expect(rows.every((r) => names.has(r.behavior))).toBe(true);
    // Both rows of a pair share its cluster; every cluster's first prompt is where the report says.
    for (let i = 0; i < rows.length; i += 2) expect(rows[i + 1].behavior).toBe(rows[i].behavior);
    for (const c of d.clusters) {
      const firstLine = Math.min(...rows.filter((r) => r.behavior === c.name).map((r) => r.line));
      expect(c.examples[0].line).toBe(firstLine);
      expect(report.behaviors.find((b) => b.name === c.name)!.files[0].firstLine).toBe(firstLine);
    }
    // The sidecar gives the browse table's cluster filter: each row's cluster, as in rows.jsonl.
    const sidecar = JSON.parse(await readFile(json.replace(/\.json$/, '.rows.json'), 'utf8')) as {
      clusters: string[];
      cluster: number[];
    };
    expect(new Set(sidecar.clusters)).toEqual(names);
    expect(sidecar.cluster.map((c) => sidecar.clusters[c])).toEqual(rows.map((r) => r.behavior));
  }, 300_000);

  it('takes a fixed k, and off keeps one behavior per file', async () => {
    const fixed = await cli(
      [
        'analyze',
        hh,
        '--cache-dir',
        cache,
        '--no-rebalance',
        '--steps',
        '5',
        '--no-progress',
        '--discover-behaviors',
        '3',
      ],
      300_000,
    );
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/3 clusters of 119 pair prompts.*k = 3 as set/);
    const off = await cli(
      [
        'analyze',
        hh,
        '--cache-dir',
        cache,
        '--no-rebalance',
        '--steps',
        '5',
        '--no-progress',
        '--discover-behaviors',
        'off',
      ],
      300_000,
    );
    expect(off.code).toBe(0);
    expect(off.stdout).not.toContain('Behaviors discovered');
    expect(off.stdout).toMatch(/1 behavior\(s\)/);
    // 15 pairs: too few to choose k (a usage error, exit 2), and too few to split when unlabeled.
    const small = path.join(path.dirname(hh), 'harmless-first15.jsonl');
    writeFileSync(small, readFileSync(hh, 'utf8').split('\n').slice(0, 15).join('\n') + '\n');
    const tooFew = await cli(
      ['analyze', small, '--cache-dir', cache, '--no-progress', '--discover-behaviors', 'auto'],
      300_000,
    );
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toContain(
      'cannot discover behaviors in 15 prompts: automatic k needs at least 20',
    );
    const bad = await cli(['analyze', hh, '--discover-behaviors', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--discover-behaviors');
  }, 600_000);
});
