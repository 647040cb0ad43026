/**
 * Measures the label hints (src/core/analysis/label-hints.ts) on real embeddings: in every
 * behavior, 5% of the labels are flipped at random (seeded), and the hints are scored against the
 * flips. Prints, pooled over the behaviors and the flip seeds: precision and recall of the hints
 * on the flipped data, the share of examples flagged on the unflipped data, the precision of the
 * ranking at recall 0.3 and 0.5 (each behavior's examples ranked by self-confidence, pooled), and
 * the same for the former rule (past the opposite class mean).
 *
 *   node bin/preference-lens.js analyze examples/persona --save-embeddings /tmp/persona-emb --no-rebalance
 *   npx tsx bench/label-hints.ts /tmp/persona-emb [--flip 0.05] [--seeds 5] [--lambda 1] [--cutoff 0.05] [--dims 64] [--per-behavior]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_LABEL_HINTS, labelHints } from '../src/core/analysis/label-hints.js';
import type { Matrix } from '../src/core/analysis/matrix.js';
import { Rng } from '../src/core/analysis/rng.js';
import { behaviorStats, meanDiffProjections } from '../src/core/analysis/stats.js';

export interface LoadedEmbeddings {
  matrix: Matrix;
  behaviors: { name: string; rows: Int32Array; labels: Int8Array }[];
}

/** embeddings.npy (float32 little-endian, C order) and rows.jsonl as --save-embeddings writes them. */
export function loadSavedEmbeddings(dir: string): LoadedEmbeddings {
  const bytes = readFileSync(path.join(dir, 'embeddings.npy'));
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  if (!header.includes("'<f4'")) throw new Error(`expected float32 little-endian: ${header}`);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!shape) throw new Error(`no 2-D shape in ${header}`);
  const [rows, dim] = [Number(shape[1]), Number(shape[2])];
  const start = 10 + headerLength;
  const data = new Float32Array(rows * dim);
  data.set(
    new Float32Array(
      bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + rows * dim * 4),
    ),
  );
  const records = readFileSync(path.join(dir, 'rows.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { behavior: string; label: 1 | -1 });
  const byName = new Map<string, { rows: number[]; labels: number[] }>();
  records.forEach((r, i) => {
    const b = byName.get(r.behavior) ?? { rows: [], labels: [] };
    b.rows.push(i);
    b.labels.push(r.label);
    byName.set(r.behavior, b);
  });
  return {
    matrix: { data, rows, dim },
    behaviors: [...byName].map(([name, b]) => ({
      name,
      rows: Int32Array.from(b.rows),
      labels: Int8Array.from(b.labels),
    })),
  };
}

/** Flips round(fraction * n) labels chosen by a seeded draw; returns the labels and which were flipped. */
export function flipLabels(
  labels: Int8Array,
  fraction: number,
  seed: number,
  salt: number,
): { labels: Int8Array; flipped: Uint8Array } {
  const n = labels.length;
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(seed, 0xf11b, salt).shuffle(perm);
  const out = Int8Array.from(labels);
  const flipped = new Uint8Array(n);
  for (let i = 0; i < Math.round(fraction * n); i++) {
    out[perm[i]] = -out[perm[i]] as 1 | -1;
    flipped[perm[i]] = 1;
  }
  return { labels: out, flipped };
}

/** Precision of a ranking (lowest score first) at the smallest prefix reaching the recall. */
export function precisionAtRecall(
  scored: { score: number; positive: boolean }[],
  recall: number,
): number {
  const sorted = [...scored].sort((a, b) => a.score - b.score);
  const total = sorted.filter((s) => s.positive).length;
  let hits = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].positive) hits++;
    if (hits >= recall * total) return hits / (i + 1);
  }
  return Number.NaN;
}

export interface HintFigures {
  precision: number;
  recall: number;
  /** Share of examples flagged when no label is flipped. */
  cleanFlagRate: number;
  /** Share of behaviors with at least one hint on the unflipped data. */
  cleanBehaviorsFlagged: number;
  rankingPrecisionAt03: number;
  rankingPrecisionAt05: number;
  flagged: number;
  flips: number;
}

export function evaluateHints(
  data: LoadedEmbeddings,
  options: { flip: number; seeds: number; hints: Partial<typeof DEFAULT_LABEL_HINTS> },
  log?: (line: string) => void,
): { hints: HintFigures; former: HintFigures } {
  const acc = {
    hints: { tp: 0, flagged: 0, flips: 0, clean: 0, cleanRows: 0, cleanBehaviors: 0 },
    former: { tp: 0, flagged: 0, flips: 0, clean: 0, cleanRows: 0, cleanBehaviors: 0 },
  };
  const ranked = {
    hints: [] as { score: number; positive: boolean }[],
    former: [] as { score: number; positive: boolean }[],
  };
  const { matrix } = data;
  data.behaviors.forEach((b, bi) => {
    // Unflipped data: every flag is a false alarm (as far as the original labels are right).
    const clean = labelHints(matrix, b.rows, b.labels, options.hints);
    const cleanFormer = formerRule(matrix, b.rows, b.labels);
    acc.hints.clean += clean.hints.length;
    acc.hints.cleanRows += b.rows.length;
    acc.hints.cleanBehaviors += clean.hints.length > 0 ? 1 : 0;
    acc.former.clean += cleanFormer.flagged.size;
    acc.former.cleanRows += b.rows.length;
    acc.former.cleanBehaviors += cleanFormer.flagged.size > 0 ? 1 : 0;
    let line = `${b.name.padEnd(60)} clean ${String(clean.hints.length).padStart(3)} (former ${String(cleanFormer.flagged.size).padStart(3)})`;
    for (let s = 0; s < options.seeds; s++) {
      const { labels, flipped } = flipLabels(b.labels, options.flip, 1000 + s, bi);
      const r = labelHints(matrix, b.rows, labels, options.hints);
      const f = formerRule(matrix, b.rows, labels);
      const flaggedRows = new Set(r.hints.map((h) => h.row));
      let tp = 0;
      let ftp = 0;
      let flips = 0;
      for (let i = 0; i < b.rows.length; i++) {
        if (flipped[i]) flips++;
        if (flipped[i] && flaggedRows.has(b.rows[i])) tp++;
        if (flipped[i] && f.flagged.has(b.rows[i])) ftp++;
        ranked.hints.push({ score: r.confidence[i], positive: flipped[i] === 1 });
        ranked.former.push({ score: f.score[i], positive: flipped[i] === 1 });
      }
      acc.hints.tp += tp;
      acc.hints.flagged += flaggedRows.size;
      acc.hints.flips += flips;
      acc.former.tp += ftp;
      acc.former.flagged += f.flagged.size;
      acc.former.flips += flips;
      line += ` | ${tp}/${flaggedRows.size} of ${flips}`;
    }
    log?.(line);
  });
  const figures = (a: typeof acc.hints, r: typeof ranked.hints): HintFigures => ({
    precision: a.flagged ? a.tp / a.flagged : Number.NaN,
    recall: a.tp / a.flips,
    cleanFlagRate: a.clean / a.cleanRows,
    cleanBehaviorsFlagged: a.cleanBehaviors / data.behaviors.length,
    rankingPrecisionAt03: precisionAtRecall(r, 0.3),
    rankingPrecisionAt05: precisionAtRecall(r, 0.5),
    flagged: a.flagged,
    flips: a.flips,
  });
  return { hints: figures(acc.hints, ranked.hints), former: figures(acc.former, ranked.former) };
}

/** The former rule: past the opposite class mean on the in-sample mean-difference axis. */
function formerRule(
  m: Matrix,
  rows: Int32Array,
  labels: Int8Array,
): { flagged: Set<number>; score: Float64Array } {
  const pos: number[] = [];
  const neg: number[] = [];
  rows.forEach((r, i) => (labels[i] > 0 ? pos : neg).push(r));
  const s = behaviorStats(m, pos, neg, { bootstrapReps: 0, labelHints: false });
  const projection = meanDiffProjections(m, rows, s);
  const flagged = new Set<number>();
  // Ranking score, lower is more suspicious: how far the example lies on its own class's side.
  const score = Float64Array.from(rows, (_, i) => labels[i] * projection[i]);
  rows.forEach((r, i) => {
    if (-score[i] >= s.distinguishability / 2) flagged.add(r);
  });
  return { flagged, score };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]).endsWith('label-hints.ts');
if (isMain) {
  const dir = process.argv[2];
  if (process.argv.includes('--cost')) {
    void (async () => {
      for (const dim of [384, 4096]) {
        const dims = arg('dims', DEFAULT_LABEL_HINTS.dims);
        const r = await hintCost(dim, arg('behaviors', 6), dims);
        process.stdout.write(
          `d = ${dim} (regression width ${Math.min(dim, dims)}): ${r.medianMs.toFixed(0)} ms per 1000-example behavior; 136 behaviors ≈ ${((136 * r.medianMs) / 1000).toFixed(1)} CPU-s\n`,
        );
      }
    })();
  } else if (!dir || dir.startsWith('--')) {
    process.stderr.write(
      'usage: npx tsx bench/label-hints.ts <dir from --save-embeddings> [options]\n',
    );
    process.exit(2);
  } else {
    const data = loadSavedEmbeddings(dir);
    const hints = {
      lambda: arg('lambda', DEFAULT_LABEL_HINTS.lambda),
      cutoff: arg('cutoff', DEFAULT_LABEL_HINTS.cutoff),
      dims: arg('dims', DEFAULT_LABEL_HINTS.dims),
      folds: arg('folds', DEFAULT_LABEL_HINTS.folds),
    };
    const started = performance.now();
    const result = evaluateHints(
      data,
      { flip: arg('flip', 0.05), seeds: arg('seeds', 5), hints },
      process.argv.includes('--per-behavior') ? (l) => process.stdout.write(`${l}\n`) : undefined,
    );
    const f3 = (x: number): string => x.toFixed(3);
    process.stdout.write(
      `${data.behaviors.length} behaviors, ${data.matrix.rows} rows, d = ${data.matrix.dim}; options ${JSON.stringify(hints)}\n`,
    );
    for (const [name, r] of Object.entries(result)) {
      process.stdout.write(
        `${name.padEnd(7)} precision ${f3(r.precision)} recall ${f3(r.recall)} (${r.flagged} flagged, ${r.flips} flips)  clean: ${(100 * r.cleanFlagRate).toFixed(2)}% of examples, ${(100 * r.cleanBehaviorsFlagged).toFixed(0)}% of behaviors  ranking precision@recall 0.3 ${f3(r.rankingPrecisionAt03)}, 0.5 ${f3(r.rankingPrecisionAt05)}\n`,
      );
    }
    process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

/**
 * The hints' own cost per 1000-example behavior on bench/analysis.ts's synthetic embeddings
 * (`--cost`): the median of `behaviors` behaviors, on one thread.
 */
export async function hintCost(
  dim: number,
  behaviors: number,
  dims: number,
): Promise<{ medianMs: number; hints: number }> {
  const { syntheticEmbeddings } = await import('./analysis.js');
  const { matrix, groups } = syntheticEmbeddings(behaviors, 1000, dim);
  const times: number[] = [];
  let hints = 0;
  for (const g of groups) {
    const t0 = performance.now();
    hints += labelHints(matrix, g.rows, g.labels, { dims }).hints.length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], hints };
}
