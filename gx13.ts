import { readFileSync, readdirSync } from 'node:fs';
import { syntheticEmbeddings } from './bench/analysis.js';
import { analyzeEmbeddings } from './src/core/analysis/analyze.js';
const seen: Record<string, { cpu: number; first: number; last: number }> = {};
const t0 = performance.now();
const sample = () => {
  const now = (performance.now() - t0) / 1000;
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) / 100;
      const e = (seen[t] ??= { cpu: 0, first: now, last: now });
      e.cpu = Math.max(e.cpu, cpu); e.last = now;
    } catch {}
  }
};
(async () => {
  const { matrix, groups } = syntheticEmbeddings(136, 1000, 4096);
  const labels = new Int8Array(matrix.rows); const behaviorIndex = new Int32Array(matrix.rows);
  groups.forEach((g, i) => g.rows.forEach((r, j) => ((labels[r] = g.labels[j]), (behaviorIndex[r] = i))));
  sample(); const base: Record<string, number> = Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v.cpu]));
  const timer = setInterval(sample, 20);
  const t = performance.now();
  let statsAt = 0;
  await analyzeEmbeddings({ data: matrix.data, dim: 4096, labels, behaviorIndex, behaviorNames: groups.map((g) => g.name) }, { threads: 2, bootstrapReps: 200, misalignment: false, rebalance: false }, undefined, (p) => { if (p.stage === 'simulate' && !statsAt) statsAt = performance.now() - t; });
  const wall = (performance.now() - t) / 1000;
  clearInterval(timer);
  let total = 0;
  const rows = Object.entries(seen).map(([k, v]) => ({ k, d: v.cpu - (base[k] ?? 0), first: v.first, last: v.last })).filter((r) => r.d > 0.05);
  for (const r of rows) { total += r.d; console.log(r.k, r.d.toFixed(2), 'cpu-s, alive', r.first.toFixed(1), '-', r.last.toFixed(1)); }
  console.log('wall', wall.toFixed(2), 'stats at', (statsAt / 1000).toFixed(2), 'cpu', total.toFixed(2));
})();
