/**
 * An unlabeled mixture for measuring behavior discovery: persona behaviors turned into TRL
 * pairwise records (prompt = the question, chosen = the answer matching the behavior, rejected =
 * the other), shuffled with a seed, with no behavior field; the source of every line is kept aside.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../src/core/analysis/rng.js';

export interface Mixture {
  /** JSONL text, one pairwise record per line. */
  jsonl: string;
  /** Source behavior of line i + 1. */
  sources: string[];
}

export function buildMixture(
  personaDir: string,
  behaviors: readonly string[],
  perBehavior: number,
  seed: number,
  /** Lines skipped at the start of each behavior's file (0: its first lines). */
  from = 0,
): Mixture {
  const records: { source: string; line: string }[] = [];
  for (const behavior of behaviors) {
    const lines = readFileSync(path.join(personaDir, `${behavior}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(from, from + perBehavior);
    for (const line of lines) {
      const r = JSON.parse(line) as {
        question: string;
        answer_matching_behavior: string;
        answer_not_matching_behavior: string;
      };
      records.push({
        source: behavior,
        line: JSON.stringify({
          prompt: r.question,
          chosen: r.answer_matching_behavior,
          rejected: r.answer_not_matching_behavior,
        }),
      });
    }
  }
  new Rng(seed, 0xb1e4d).shuffle(records);
  return {
    jsonl: records.map((r) => r.line).join('\n') + '\n',
    sources: records.map((r) => r.source),
  };
}

/**
 * Weighted purity of a clustering against known sources: Σ_c max_s |c ∩ s| / N, each cluster
 * counted by its majority source.
 */
export function weightedPurity(clusters: readonly string[], sources: readonly string[]): number {
  const counts = new Map<string, Map<string, number>>();
  clusters.forEach((c, i) => {
    const bySource = counts.get(c) ?? new Map<string, number>();
    bySource.set(sources[i], (bySource.get(sources[i]) ?? 0) + 1);
    counts.set(c, bySource);
  });
  let majority = 0;
  for (const bySource of counts.values()) majority += Math.max(...bySource.values());
  return majority / clusters.length;
}
