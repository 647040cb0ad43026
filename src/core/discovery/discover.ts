import { textDigest, DIGEST_BYTES } from '../digest.js';
import { toFloat32, type RowData } from '../io/half.js';
import { pairPrompt } from '../dataset/prompt.js';
import { readRowContents } from '../dataset/stored-rows.js';
import { excerpt } from '../dataset/text.js';
import type { DatasetFile, Example } from '../dataset/types.js';
import type { Embedder, EmbedProgress, TextSource } from '../embed/types.js';
import type { DiscoveredCluster, DiscoveryReport } from '../report/types.js';
import type { DiscoverMode } from './discover-mode.js';
import { clusterPrompts } from './cluster.js';
import { ClusterTermCounts } from './terms.js';

/** Terms kept per cluster in the report, and how many of them make its name. */
const TERMS_KEPT = 8;
const TERMS_IN_NAME = 3;
const EXAMPLES_KEPT = 5;
/** Prompts read back from their files at a time. */
const READ_BATCH = 1024;

/**
 * Why behaviors are discovered for this mixture, or null when they are not. 'unlabeled': every
 * input is a pairwise or HH-RLHF file without a behavior field and the rows form one behavior
 * (named after its file), where priority means nothing; several unlabeled files stay one behavior
 * each, since the user may have split them by source.
 */
export function discoveryReason(
  files: readonly DatasetFile[],
  examples: readonly Example[],
  mode: DiscoverMode,
): DiscoveryReport['reason'] | null {
  if (mode === 'off') return null;
  if (mode !== 'unlabeled') return 'requested';
  if (files.length === 0) return null;
  if (files.some((f) => f.schema === 'evals' || f.behaviorField !== undefined)) return null;
  const first = examples[0]?.behavior;
  return examples.every((e) => e.behavior === first) ? 'unlabeled' : null;
}

export type { DiscoverMode };

export interface DiscoverOptions {
  /** 'unlabeled' clusters with an automatic k, as 'auto' does. */
  mode: Exclude<DiscoverMode, 'off'>;
  reason: DiscoveryReport['reason'];
  seed: number;
  signal?: AbortSignal;
  onEmbedProgress?: (p: EmbedProgress) => void;
}

/** The prompts of a mixture: one per pair (both rows), or one per unpaired row. */
interface PromptUnits {
  /** Rows of each unit (one or two). */
  rows: number[][];
  /** Unit of each row. */
  unitOf: Int32Array;
  unit: 'pair' | 'row';
}

function promptUnits(examples: readonly Example[]): PromptUnits {
  const rows: number[][] = [];
  const unitOf = new Int32Array(examples.length);
  const byPair = new Map<number, number>();
  examples.forEach((e, r) => {
    if (e.pair === undefined) {
      unitOf[r] = rows.push([r]) - 1;
      return;
    }
    const known = byPair.get(e.pair);
    if (known !== undefined) {
      rows[known].push(r);
      unitOf[r] = known;
      return;
    }
    const unit = rows.push([r]) - 1;
    byPair.set(e.pair, unit);
    unitOf[r] = unit;
  });
  return { rows, unitOf, unit: byPair.size > 0 ? 'pair' : 'row' };
}

/** The prompt texts of `units`, read back from the rows' files (a pair: its shared beginning). */
async function readPrompts(
  examples: readonly Example[],
  units: readonly number[][],
  signal?: AbortSignal,
): Promise<string[]> {
  const flat = units.flat();
  const contents = await readRowContents(
    flat.map((r) => examples[r]),
    signal,
  );
  const out: string[] = [];
  let at = 0;
  for (const unit of units) {
    const texts = unit.map((_, i) => contents[at + i].text);
    at += unit.length;
    const chosen = unit.findIndex((r) => examples[r].label === 1);
    const main = texts[chosen >= 0 ? chosen : 0];
    const prompt = texts.length === 2 ? pairPrompt(texts[0], texts[1]) : main;
    // Two sides that share nothing (no common beginning): the preferred side stands for the pair.
    out.push(prompt === '' ? main : prompt);
  }
  return out;
}

/** Visits every prompt in order, READ_BATCH at a time, so the texts never all sit in memory. */
async function forEachPrompt(
  examples: readonly Example[],
  units: PromptUnits,
  visit: (unit: number, prompt: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (let start = 0; start < units.rows.length; start += READ_BATCH) {
    const batch = units.rows.slice(start, start + READ_BATCH);
    const prompts = await readPrompts(examples, batch, signal);
    prompts.forEach((p, i) => visit(start + i, p));
  }
}

export interface DiscoveryResult {
  report: DiscoveryReport;
  /** Discovered behavior of each row (the rows' own `behavior` is set to it too). */
  behaviorOfRow: string[];
}

/**
 * Behavior discovery: embeds each prompt with `embedder` (its cache included), clusters the
 * prompts (spherical k-means, cluster.ts), names each cluster by its c-TF-IDF terms and size, and
 * gives every row its cluster's name as its behavior, so that the rest of the pipeline analyzes
 * the clusters as behaviors.
 */
export async function discoverBehaviors(
  examples: Example[],
  embedder: Embedder<RowData>,
  options: DiscoverOptions,
): Promise<DiscoveryResult> {
  const { signal } = options;
  const t0 = performance.now();
  const units = promptUnits(examples);
  const n = units.rows.length;
  const digests = new Uint8Array(n * DIGEST_BYTES);
  const lengths = new Uint32Array(n);
  await forEachPrompt(
    examples,
    units,
    (u, prompt) => {
      digests.set(textDigest(prompt), u * DIGEST_BYTES);
      lengths[u] = prompt.length;
    },
    signal,
  );
  const source: TextSource = {
    length: n,
    digest: (u) => digests.subarray(u * DIGEST_BYTES, (u + 1) * DIGEST_BYTES),
    textLength: (u) => lengths[u],
    texts: (rows, s) =>
      readPrompts(
        examples,
        rows.map((u) => units.rows[u]),
        s,
      ),
  };
  const embedded = await embedder.embed(source, signal, options.onEmbedProgress);
  const t1 = performance.now();

  const clustering = clusterPrompts(toFloat32(embedded.data), n, embedded.dim, {
    k: options.mode === 'unlabeled' ? 'auto' : options.mode,
    seed: options.seed,
  });
  const k = clustering.k;
  const counts = new ClusterTermCounts(k);
  const sizes = new Array<number>(k).fill(0);
  const samples: DiscoveredCluster['examples'][] = Array.from({ length: k }, () => []);
  await forEachPrompt(
    examples,
    units,
    (u, prompt) => {
      const c = clustering.assignment[u];
      sizes[c] += 1;
      counts.add(c, prompt);
      if (samples[c].length < EXAMPLES_KEPT) {
        const row = examples[units.rows[u][0]];
        samples[c].push({ file: row.file, line: row.line, text: excerpt(prompt, 160) });
      }
    },
    signal,
  );
  const top = counts.topTerms(TERMS_KEPT);
  const noun = units.unit === 'pair' ? 'pairs' : 'rows';
  const clusters: DiscoveredCluster[] = top.map((terms, c) => ({
    name: `#${c + 1} ${terms.slice(0, TERMS_IN_NAME).join(', ') || 'untitled'} (${sizes[c]} ${noun})`,
    terms,
    size: sizes[c],
    examples: samples[c],
  }));
  const behaviorOfRow = examples.map(
    (_, r) => clusters[clustering.assignment[units.unitOf[r]]].name,
  );
  examples.forEach((e, r) => (e.behavior = behaviorOfRow[r]));
  const t2 = performance.now();
  return {
    behaviorOfRow,
    report: {
      method: 'spherical-kmeans',
      reason: options.reason,
      k,
      kRange: clustering.kRange,
      criterion: clustering.criterion,
      scores: clustering.scores.map((s) => ({ k: s.k, silhouette: round(s.silhouette) })),
      seed: options.seed,
      unit: units.unit,
      prompts: n,
      selectionSample: clustering.selectionSample,
      fitSample: clustering.fitSample,
      embedMs: Math.round(t1 - t0),
      clusterMs: Math.round(t2 - t1),
      clusters,
    },
  };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
