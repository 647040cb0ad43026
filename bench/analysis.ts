/**
 * Timing of the analysis on a mixture the size of Anthropic's persona evals (136 behaviors x 1000
 * examples) with synthetic seeded embeddings, at d = 384 (the bundled MiniLM) and d = 4096 (a 7B
 * causal LM). Prints wall-clock seconds per stage (the per-behavior stages on worker threads; the
 * bootstrap products and the joint run's scores in the linear-algebra worker; timed one after the
 * other); the lead divides by the embedding time of the same texts.
 *
 *   npx tsx bench/analysis.ts [--dims 384,4096] [--behaviors 136] [--per 1000] [--sample 17] [--threads 2] [--end-to-end]
 */
import { analyzeEmbeddings } from '../src/core/analysis/analyze.js';
import type { Matrix } from '../src/core/analysis/matrix.js';
import { priorityGaps, priorityLevels } from '../src/core/analysis/priority.js';
import { Rng } from '../src/core/analysis/rng.js';
import {
  type BehaviorRows,
  jointRun,
  meanDifference,
  splitBehavior,
} from '../src/core/analysis/runs.js';
import { REFERENCE_SIMULATION } from '../src/core/analysis/simulate.js';
import { behaviorRunsAll, behaviorStatsAll } from '../src/core/analysis/parallel.js';
import { DEFAULT_ANALYSIS_THREADS } from '../src/core/analysis/worker-pool.js';
import { GemmWorker } from '../src/core/analysis/gemm-client.js';
import { stepJointRun } from '../src/core/analysis/joint-steps.js';

export interface AnalysisBenchOptions {
  dims?: number[];
  behaviors?: number;
  perBehavior?: number;
  bootstrapReps?: number;
  /** Also time analyzeEmbeddings with its defaults (adds misalignment and rebalancing runs). */
  endToEnd?: boolean;
  /**
   * Time the per-behavior stages (statistics, bootstrap, alone runs) on the first k behaviors and
   * scale by behaviors / k (they are independent per behavior, so linear); the joint run always
   * uses every behavior. Default: all behaviors.
   */
  sampleBehaviors?: number;
  /** Worker threads of the per-behavior stages (default: the analysis's default). */
  threads?: number;
  log?: (line: string) => void;
}

export interface AnalysisBenchResult {
  dim: number;
  rows: number;
  behaviors: number;
  /** Per-behavior stages were measured on this many behaviors and scaled linearly. */
  sampledBehaviors: number;
  threads: number;
  /** Where the bootstrap products and the joint run's scores ran. */
  linearAlgebra: 'onnxruntime' | 'webassembly';
  /** Wall-clock seconds (the worker threads run in parallel), except priority (CPU seconds). */
  seconds: {
    statistics: number;
    priority: number;
    aloneRuns: number;
    jointRun: number;
    /** statistics + priority + alone + joint: the figure to compare with embedding time. */
    total: number;
    endToEnd?: number;
  };
}

/** Unit-norm rows: a shared component, a per-behavior topic and a per-behavior class direction, plus noise. */
export function syntheticEmbeddings(
  behaviors: number,
  per: number,
  dim: number,
  seed = 42,
): { matrix: Matrix; groups: BehaviorRows[] } {
  const rng = new Rng(seed);
  const n = behaviors * per;
  // Shared memory, as the embedder allocates it: the analysis workers read it without a copy.
  const data = new Float32Array(new SharedArrayBuffer(n * dim * 4));
  const row = new Float64Array(dim);
  const common = Float64Array.from({ length: dim }, () => rng.normal() / Math.sqrt(dim));
  const groups: BehaviorRows[] = [];
  for (let b = 0; b < behaviors; b++) {
    const topic = Float64Array.from({ length: dim }, () => rng.normal() / Math.sqrt(dim));
    const dir = Float64Array.from({ length: dim }, () => rng.normal() / Math.sqrt(dim));
    const sep = 0.05 + 0.4 * rng.float();
    const rows = new Int32Array(per);
    const labels = new Int8Array(per);
    for (let i = 0; i < per; i++) {
      const r = b * per + i;
      const s = i % 2 === 0 ? 1 : -1;
      rows[i] = r;
      labels[i] = s;
      let len = 0;
      for (let k = 0; k < dim; k++) {
        // Uniform noise with the variance of N(0, 1/dim): cheaper to draw than normals at 557M values.
        const noise = (rng.float() - 0.5) * Math.sqrt(12 / dim);
        row[k] = 0.6 * common[k] + topic[k] + (s * sep * dir[k]) / 2 + 0.5 * noise;
        len += row[k] * row[k];
      }
      len = Math.sqrt(len);
      for (let k = 0; k < dim; k++) data[r * dim + k] = row[k] / len;
    }
    groups.push({ name: `behavior-${b}`, rows, labels });
  }
  return { matrix: { data, rows: n, dim }, groups };
}

/**
 * CPU seconds of this (single-threaded) process since `start`: on a shared machine wall time
 * mostly measures the neighbours.
 */
function seconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

function now(): NodeJS.CpuUsage {
  return process.cpuUsage();
}

function wallSince(start: number): number {
  return (performance.now() - start) / 1000;
}

export async function benchAnalysis(
  options: AnalysisBenchOptions = {},
): Promise<AnalysisBenchResult[]> {
  const dims = options.dims ?? [384, 4096];
  const m = options.behaviors ?? 136;
  const per = options.perBehavior ?? 1000;
  const reps = options.bootstrapReps ?? 200;
  const threads = options.threads ?? DEFAULT_ANALYSIS_THREADS;
  const log = options.log ?? ((line: string) => console.log(line));
  const results: AnalysisBenchResult[] = [];
  for (const dim of dims) {
    let t = now();
    const { matrix, groups } = syntheticEmbeddings(m, per, dim);
    log(
      `d=${dim}: generated ${matrix.rows} x ${dim} synthetic embeddings (${((matrix.data.byteLength / 2 ** 30) * 1).toFixed(2)} GiB) in ${seconds(t).toFixed(1)} s`,
    );
    const k = Math.min(options.sampleBehaviors ?? m, m);
    const scale = m / k;
    const cls = groups.slice(0, k).map((g) => ({
      pos: g.rows.filter((_, i) => g.labels[i] > 0),
      neg: g.rows.filter((_, i) => g.labels[i] < 0),
    }));

    // The linear-algebra worker (onnxruntime) as analyzeEmbeddings starts it; its start-up counts once.
    let w = performance.now();
    const gemm = await GemmWorker.start(matrix, threads);
    const startup = wallSince(w);
    w = performance.now();
    const stats = await behaviorStatsAll(
      matrix,
      cls.map((c, i) => ({ name: groups[i].name, positives: c.pos, negatives: c.neg })),
      { bootstrapReps: reps },
      { threads, gemm },
    );
    const statistics = startup + wallSince(w) * scale;

    // Priority needs every behavior's mean difference (the sampled ones come with the statistics).
    const b = groups.map((g, i) =>
      i < k ? stats[i].meanDiff : meanDifference(matrix, { rows: g.rows, signs: g.labels }),
    );
    t = now();
    priorityLevels(
      b,
      groups.map((g) => g.rows.length),
    );
    priorityGaps(b);
    const priority = seconds(t);

    const splits = groups.map((g, i) =>
      splitBehavior(matrix, g, i, REFERENCE_SIMULATION.testFraction, REFERENCE_SIMULATION.seed),
    );
    w = performance.now();
    await behaviorRunsAll(
      matrix,
      splits.slice(0, k).map((split) => ({
        split,
        params: REFERENCE_SIMULATION,
        misalignment: false,
        model: 'synthetic',
      })),
      { threads },
    );
    const aloneRuns = wallSince(w) * scale;

    w = performance.now();
    try {
      await stepJointRun(matrix, jointRun(matrix, splits, REFERENCE_SIMULATION), {
        gemm,
        threads,
      });
    } finally {
      gemm?.dispose();
    }
    const joint = wallSince(w);

    const result: AnalysisBenchResult = {
      dim,
      rows: matrix.rows,
      behaviors: m,
      sampledBehaviors: k,
      threads,
      linearAlgebra: gemm ? 'onnxruntime' : 'webassembly',
      seconds: {
        statistics,
        priority,
        aloneRuns,
        jointRun: joint,
        total: statistics + priority + aloneRuns + joint,
      },
    };
    if (options.endToEnd) {
      t = now();
      const labels = new Int8Array(matrix.rows);
      const behaviorIndex = new Int32Array(matrix.rows);
      groups.forEach((g, i) =>
        g.rows.forEach((r, j) => ((labels[r] = g.labels[j]), (behaviorIndex[r] = i))),
      );
      await analyzeEmbeddings({
        data: matrix.data,
        dim,
        labels,
        behaviorIndex,
        behaviorNames: groups.map((g) => g.name),
      });
      result.seconds.endToEnd = seconds(t);
    }
    const s = result.seconds;
    log(
      `d=${dim}, ${threads} thread(s): statistics with bootstrap(${reps}) ${s.statistics.toFixed(2)} s, priority ${s.priority.toFixed(2)} s, ` +
        `${m} alone runs ${s.aloneRuns.toFixed(2)} s, joint run ${s.jointRun.toFixed(2)} s => analysis ${s.total.toFixed(2)} s` +
        (s.endToEnd === undefined
          ? ''
          : `; analyzeEmbeddings end to end ${s.endToEnd.toFixed(2)} s`) +
        (k < m
          ? ` (per-behavior stages measured on ${k} behaviors, scaled x${scale.toFixed(2)})`
          : ''),
    );
    results.push(result);
  }
  return results;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const dims = arg('dims')?.split(',').map(Number);
  const behaviors = arg('behaviors') ? Number(arg('behaviors')) : undefined;
  const perBehavior = arg('per') ? Number(arg('per')) : undefined;
  const sampleBehaviors = arg('sample') ? Number(arg('sample')) : undefined;
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  benchAnalysis({
    sampleBehaviors,
    threads,
    dims,
    behaviors,
    perBehavior,
    endToEnd: process.argv.includes('--end-to-end'),
  }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
