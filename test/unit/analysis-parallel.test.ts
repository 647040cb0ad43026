import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/core/analysis/analyze.js';
import { behaviorRunsAll, behaviorStatsAll } from '../../src/core/analysis/parallel.js';
import { aloneRun, groupRows, jointRun, splitBehavior } from '../../src/core/analysis/index.js';
import { fixedRowDots, ParallelRowDots } from '../../src/core/analysis/parallel-dots.js';
import { FAST_PREVIEW } from '../../src/core/analysis/simulate.js';
import { runInWorkers } from '../../src/core/analysis/worker-pool.js';
import { GemmWorker } from '../../src/core/analysis/gemm-client.js';
import type { Curve } from '../../src/core/report/types.js';
import { personaFixture } from './analysis-helpers.js';

// The real MiniLM embeddings of four persona behaviors.
const { meta, data, input } = personaFixture();
const matrix = { data, rows: meta.labels.length, dim: meta.dim };
const groups = groupRows(input);
const statsJobs = groups.map((g) => ({
  name: g.name,
  positives: g.rows.filter((_, i) => g.labels[i] > 0),
  negatives: g.rows.filter((_, i) => g.labels[i] < 0),
}));
const sim = { ...FAST_PREVIEW, steps: 60 };
const runJobs = groups.map((g, i) => ({
  split: splitBehavior(matrix, g, i, sim.testFraction, sim.seed),
  params: sim,
  misalignment: true,
  model: 'minilm',
}));

describe('analysis on worker threads', () => {
  it('the worker entry runs jobs on other threads against the shared matrix', async () => {
    const seen: number[] = [];
    const ran = await runInWorkers(
      matrix,
      statsJobs.map((j) => ({ kind: 'stats' as const, ...j, options: { bootstrapReps: 0 } })),
      2,
      { onResult: (i) => seen.push(i) },
    );
    expect(ran).toBe(true);
    expect(seen.sort()).toEqual([0, 1, 2, 3]);
  });

  it('statistics are the same numbers on 1 and 3 threads', async () => {
    const options = { bootstrapReps: 50, seed: 7 };
    const progress: number[] = [];
    const one = await behaviorStatsAll(matrix, statsJobs, options, { threads: 1 });
    const three = await behaviorStatsAll(matrix, statsJobs, options, {
      threads: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(three).toEqual(one);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('each behavior’s alone and flipped-label runs are the same on 1 and 2 threads', async () => {
    let steps = 0;
    const one = await behaviorRunsAll(matrix, runJobs, { threads: 1 });
    const two = await behaviorRunsAll(matrix, runJobs, {
      threads: 2,
      onSteps: (n) => (steps += n),
    });
    expect(two).toEqual(one);
    expect(steps).toBe(runJobs.length * 3 * sim.steps);
    expect(two[0].misalignment.map((m) => m.start)).toEqual(['base', 'aligned']);
  });

  it('the whole analysis does not depend on the thread count', async () => {
    const options = { simulation: { steps: 40 }, bootstrapReps: 30 };
    const one = await analyzeEmbeddings(input, { ...options, threads: 1 });
    const two = await analyzeEmbeddings(input, { ...options, threads: 2 });
    expect(two).toEqual(one);
  });

  it('a full-batch joint run scores its rows on three threads with the same numbers as on one', () => {
    const splits = runJobs.map((j) => j.split);
    const full = { ...sim, steps: 15, batchSize: 'full' as const };
    const plain = jointRun(matrix, splits, full).run();
    const shared = jointRun(matrix, splits, full);
    const rows = shared.evaluatedRows()!;
    const engine = ParallelRowDots.create(matrix, rows, 3)!;
    try {
      const v = Float64Array.from({ length: meta.dim }, (_, k) => Math.sin(k));
      const a = new Float64Array(rows.length);
      const b = new Float64Array(rows.length);
      engine.dots(v, a);
      fixedRowDots(data, meta.dim, rows).dots(v, b);
      expect(a).toEqual(b);
      shared.useRowDots(engine);
      shared.run();
    } finally {
      engine.dispose();
    }
    expect(shared.curve()).toEqual(plain.curve());
    expect(shared.groups()).toEqual(plain.groups());
  });

  it('the linear-algebra worker scores a joint run’s states: same numbers on 1 and 3 threads, this thread’s to rounding', async () => {
    const splits = runJobs.map((j) => j.split);
    const plain = jointRun(matrix, splits, sim).run();
    const viaWorker = async (threads: number): Promise<ReturnType<typeof jointRun>> => {
      const gemm = await GemmWorker.start(matrix, threads);
      expect(gemm).not.toBeNull();
      try {
        const run = jointRun(matrix, splits, sim);
        run.deferScoring();
        run.run();
        expect(run.pendingStates).toBe(sim.steps + 1);
        await run.flushWith(gemm!.scorer(run.scoredRows()!));
        return run;
      } finally {
        gemm!.dispose();
      }
    };
    const one = await viaWorker(1);
    const three = await viaWorker(3);
    expect(three.curve()).toEqual(one.curve());
    expect(three.groups()).toEqual(one.groups());
    // onnxruntime's products add in another order than the WebAssembly kernel.
    const close = (a: Curve, b: Curve): void =>
      (['trainLoss', 'testLoss', 'testAccuracy', 'headChange', 'cosine'] as const).forEach((key) =>
        a[key].forEach((x, t) => expect(Math.abs(x - b[key][t])).toBeLessThanOrEqual(1e-12)),
      );
    close(one.curve(), plain.curve());
    for (const [name, c] of Object.entries(plain.groups())) close(one.groups()[name], c);
  });

  it('runs flushed one after another through one linear-algebra worker each get their own states’ scores', async () => {
    const gemm = await GemmWorker.start(matrix, 1);
    expect(gemm).not.toBeNull();
    try {
      for (const { split } of runJobs.slice(0, 3)) {
        // The same number of states each time: the worker's copy of them is reused, not stale.
        const run = aloneRun(matrix, split, sim);
        run.deferScoring();
        run.run();
        await run.flushWith(gemm!.scorer(run.scoredRows()!));
        const own = aloneRun(matrix, split, sim).run().curve();
        (['testLoss', 'testAccuracy'] as const).forEach((key) =>
          own[key].forEach((x, t) =>
            expect(Math.abs(x - run.curve()[key][t])).toBeLessThanOrEqual(1e-12),
          ),
        );
      }
    } finally {
      gemm!.dispose();
    }
  });

  it('with the linear-algebra worker (Gram-started spectral norms, float32 bootstrap) the statistics are the WebAssembly ones to the spectral tolerance, and the same on 1 and 2 threads', async () => {
    const options = { bootstrapReps: 60, seed: 11 };
    const gemm = await GemmWorker.start(matrix, 2);
    try {
      const wasm = await behaviorStatsAll(matrix, statsJobs, options, { threads: 1 });
      const ort = await behaviorStatsAll(matrix, statsJobs, options, { threads: 2, gemm });
      expect(await behaviorStatsAll(matrix, statsJobs, options, { threads: 1, gemm })).toEqual(ort);
      ort.forEach((s, i) => {
        // The replicates themselves differ by float32 rounding, as the interval does (below).
        expect({ ...s, distinguishabilityCI: null, concentration: null, replicates: null }).toEqual(
          {
            ...wasm[i],
            distinguishabilityCI: null,
            concentration: null,
            replicates: null,
          },
        );
        s.replicates.forEach((x, r) =>
          expect(Math.abs(x - wasm[i].replicates[r])).toBeLessThanOrEqual(1e-6 * x),
        );
        // Both decide by the same a-posteriori rule, from different start vectors.
        expect(Math.abs(s.concentration - wasm[i].concentration)).toBeLessThanOrEqual(
          2e-10 * wasm[i].concentration,
        );
        s.distinguishabilityCI.forEach((x, j) =>
          expect(Math.abs(x - wasm[i].distinguishabilityCI[j])).toBeLessThanOrEqual(1e-6 * x),
        );
      });
      expect(ort[0].distinguishabilityCI[0]).toBeLessThan(ort[0].distinguishabilityCI[1]);
    } finally {
      gemm?.dispose();
    }
  });

  it('keeps each bootstrap replicate’s mean difference when asked: its norm is the replicate, on either path', async () => {
    const options = { bootstrapReps: 40, seed: 11, replicateVectors: true };
    const d = matrix.dim;
    const gemm = await GemmWorker.start(matrix, 2);
    try {
      const wasm = await behaviorStatsAll(matrix, statsJobs, options, { threads: 2 });
      const ort = await behaviorStatsAll(matrix, statsJobs, options, { threads: 2, gemm });
      const plain = await behaviorStatsAll(
        matrix,
        statsJobs,
        { ...options, replicateVectors: false },
        { threads: 1 },
      );
      [wasm, ort].forEach((all, path) =>
        all.forEach((s, i) => {
          // Keeping the vectors does not move the replicates.
          if (path === 0) expect(s.replicates).toEqual(plain[i].replicates);
          expect(s.replicateVectors.length).toBe(40 * d);
          s.replicates.forEach((x, r) => {
            let sq = 0;
            for (let k = 0; k < d; k++) sq += s.replicateVectors[r * d + k] ** 2;
            // float32 vectors: their norms are the replicates to float32 rounding.
            expect(Math.abs(Math.sqrt(sq) - x)).toBeLessThanOrEqual(1e-6 * x);
          });
        }),
      );
      ort.forEach((s, i) =>
        s.replicateVectors.forEach((x, j) =>
          expect(Math.abs(x - wasm[i].replicateVectors[j])).toBeLessThanOrEqual(
            1e-5 * wasm[i].replicates[0],
          ),
        ),
      );
      expect(plain[0].replicateVectors.length).toBe(0);
    } finally {
      gemm?.dispose();
    }
  });

  it('a cancel stops the workers with the signal’s reason', async () => {
    const controller = new AbortController();
    const running = behaviorRunsAll(
      matrix,
      runJobs.map((j) => ({ ...j, params: { ...sim, steps: 100_000 } })),
      { threads: 2, signal: controller.signal, onSteps: () => controller.abort(new Error('stop')) },
    );
    await expect(running).rejects.toThrow('stop');
  });
});
