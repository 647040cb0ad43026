import { readFileSync, readdirSync } from 'node:fs';
import { syntheticEmbeddings } from './bench/analysis.js';
import { GemmWorker } from './src/core/analysis/gemm-client.js';
import { behaviorRunsAll } from './src/core/analysis/parallel.js';
import { jointRun, splitBehavior } from './src/core/analysis/runs.js';
import { stepJointRun } from './src/core/analysis/joint-steps.js';
import { REFERENCE_SIMULATION } from './src/core/analysis/simulate.js';
const seen: Record<string, number> = {};
const sample = () => {
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      seen[t] = Math.max(seen[t] ?? 0, (Number(f[11]) + Number(f[12])) / 100);
    } catch {}
  }
};
(async () => {
  const { matrix, groups } = syntheticEmbeddings(136, 1000, 4096);
  const gemm = await GemmWorker.start(matrix, 2);
  const sim = REFERENCE_SIMULATION;
  const splits = groups.map((g, i) => splitBehavior(matrix, g, i, sim.testFraction, sim.seed));
  const jobs = splits.map((split) => ({ split, params: sim, misalignment: false, model: 'x' }));
  const mode = process.argv[2];
  sample(); const base = { ...seen };
  const timer = setInterval(sample, 50);
  const t = performance.now();
  const T: string[] = [];
  await Promise.all([
    mode !== 'joint' ? behaviorRunsAll(matrix, jobs, { threads: 2, gemm }).then(() => T.push('alone ' + ((performance.now() - t) / 1000).toFixed(2))) : null,
    mode !== 'alone' ? stepJointRun(matrix, jointRun(matrix, splits, sim), { gemm, threads: 2 }).then(() => T.push('joint ' + ((performance.now() - t) / 1000).toFixed(2))) : null,
  ]);
  clearInterval(timer); sample();
  let total = 0;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(seen)) { const d = v - (base[k] ?? 0); total += d; if (d > 0.1) parts.push(`${k}:${d.toFixed(1)}`); }
  console.log(mode, T.join(' '), 'cpu', total.toFixed(1), parts.join(' '));
  gemm?.dispose();
})();
