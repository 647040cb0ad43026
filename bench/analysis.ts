/**
 * Timing of the analysis on a mixture the size of Anthropic's persona evals (136 behaviors x 1000
 * examples) with synthetic seeded embeddings, at d = 384 (the bundled MiniLM) and d = 4096 (a 7B
 * causal LM). It times the product's own analyzeEmbeddings with the scope: statistics
 * (with the bootstrap), priority, and the 100-step reference simulation of every behavior alone
 * and of the joint mixture (no flipped-label runs, no rebalancing; --end-to-end adds them). The
 * lead divides by the embedding time of the same texts.
 *
 *   npx tsx bench/analysis.ts [--dims 384,4096] [--behaviors 136] [--per 1000] [--threads 2] [--repeats 3] [--end-to-end]
 */
import { analyzeEmbeddings, type AnalysisProgress } from '../src/core/analysis/analyze.js';
import type { RowData } from '../src/core/io/half.js';
import type { Matrix } from '../src/core/analysis/matrix.js';
import { Rng } from '../src/core/analysis/rng.js';
import type { BehaviorRows } from '../src/core/analysis/runs.js';
import { DEFAULT_ANALYSIS_THREADS } from '../src/core/analysis/worker-pool.js';

export interface AnalysisBenchOptions {
  dims?: number[];
  behaviors?: number;
  perBehavior?: number;
  bootstrapReps?: number;
  /** Also time the flipped-label runs and the rebalanced joint run. */
  endToEnd?: boolean;
  /** Analysis threads (default: the analysis's default). */
  threads?: number;
  /** Runs per dimension; the median run's times are reported (default 3: this VM is noisy). */
  repeats?: number;
  log?: (line: string) => void;
}

export interface AnalysisBenchResult {
  dim: number;
  rows: number;
  behaviors: number;
  threads: number;
  /** Runs timed; seconds are the median run's. */
  runs: number;
  /** Wall-clock seconds. */
  seconds: {
    /**
     * Until the statistics and bootstrap are done (worker threads and the linear-algebra worker),
     * with the joint run under way beside them.
     */
    statistics: number;
    /** Then priority, every behavior's alone run (worker threads) and the rest of the joint run. */
    simulation: number;
    /** The figure to compare with the embedding time. */
    total: number;
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
    let t = performance.now();
    const { matrix, groups } = syntheticEmbeddings(m, per, dim);
    log(
      `d=${dim}: generated ${matrix.rows} x ${dim} synthetic embeddings (${(matrix.data.byteLength / 2 ** 30).toFixed(2)} GiB) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const labels = new Int8Array(matrix.rows);
    const behaviorIndex = new Int32Array(matrix.rows);
    groups.forEach((g, i) =>
      g.rows.forEach((r, j) => ((labels[r] = g.labels[j]), (behaviorIndex[r] = i))),
    );
    const runs: AnalysisBenchResult['seconds'][] = [];
    for (let r = 0; r < (options.repeats ?? 3); r++) {
      let simulateAt = 0;
      const onProgress = (p: AnalysisProgress): void => {
        if (p.stage === 'simulate' && !simulateAt) simulateAt = performance.now();
      };
      t = performance.now();
      await analyzeEmbeddings(
        {
          data: matrix.data as RowData,
          dim,
          labels,
          behaviorIndex,
          behaviorNames: groups.map((g) => g.name),
        },
        {
          threads,
          bootstrapReps: reps,
          misalignment: options.endToEnd === true,
          rebalance: options.endToEnd === true,
        },
        undefined,
        onProgress,
      );
      const end = performance.now();
      runs.push({
        statistics: (simulateAt - t) / 1000,
        simulation: (end - simulateAt) / 1000,
        total: (end - t) / 1000,
      });
      log(`d=${dim}: run ${r + 1}: ${runs[r].total.toFixed(2)} s`);
    }
    runs.sort((a, b) => a.total - b.total);
    const result: AnalysisBenchResult = {
      dim,
      rows: matrix.rows,
      behaviors: m,
      threads,
      runs: runs.length,
      seconds: runs[Math.floor((runs.length - 1) / 2)],
    };
    const s = result.seconds;
    log(
      `d=${dim}, ${threads} thread(s), median of ${result.runs}: statistics with bootstrap(${reps}), joint run beside them ${s.statistics.toFixed(2)} s, ` +
        `then priority, ${m} alone runs, rest of the joint run ${s.simulation.toFixed(2)} s => analysis ${s.total.toFixed(2)} s` +
        (options.endToEnd ? ' (with flipped-label runs and rebalancing)' : ''),
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
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const repeats = arg('repeats') ? Number(arg('repeats')) : undefined;
  benchAnalysis({
    threads,
    repeats,
    dims,
    behaviors,
    perBehavior,
    endToEnd: process.argv.includes('--end-to-end'),
  }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
