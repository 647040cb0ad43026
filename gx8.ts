import { readFileSync, readdirSync } from 'node:fs';
import { syntheticEmbeddings } from './bench/analysis.js';
import { GemmWorker } from './src/core/analysis/gemm-client.js';
import { behaviorStatsAll } from './src/core/analysis/parallel.js';
const threadsCpu = () => {
  const out: Record<string, number> = {};
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out[`${t}:${comm}`] = (Number(f[11]) + Number(f[12])) / 100;
    } catch {}
  }
  return out;
};
(async () => {
  const { matrix, groups } = syntheticEmbeddings(136, 1000, 4096);
  const gemm = await GemmWorker.start(matrix, 2);
  const jobs = groups.map((g) => ({ name: g.name, positives: g.rows.filter((_, i) => g.labels[i] > 0), negatives: g.rows.filter((_, i) => g.labels[i] < 0) }));
  const before = threadsCpu();
  const t = performance.now();
  await behaviorStatsAll(matrix, jobs, { bootstrapReps: 200 }, { threads: 2, gemm });
  const wall = (performance.now() - t) / 1000;
  const after = threadsCpu();
  let total = 0;
  for (const [k, v] of Object.entries(after)) { const d = v - (before[k] ?? 0); total += d; if (d > 0.05) console.log(k, d.toFixed(2)); }
  console.log('wall', wall.toFixed(2), 'cpu', total.toFixed(2));
  gemm?.dispose();
})();
