import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/core/analysis/analyze.js';
import { behaviorRunsAll, behaviorStatsAll } from '../../src/core/analysis/parallel.js';
import { groupRows, jointRun, splitBehavior } from '../../src/core/analysis/index.js';
import { fixedRowDots, ParallelRowDots } from '../../src/core/analysis/parallel-dots.js';
import { FAST_PREVIEW } from '../../src/core/analysis/simulate.js';
import { runInWorkers } from '../../src/core/analysis/worker-pool.js';
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

  it('a joint run scores its rows on three threads with the same numbers as on one', () => {
    const splits = runJobs.map((j) => j.split);
    const plain = jointRun(matrix, splits, sim).run();
    const shared = jointRun(matrix, splits, sim);
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
