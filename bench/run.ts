/**
 * `npm run bench`: embedding throughput of the bundled model (issue #2) and the analysis time on
 * 136 behaviors x 1000 examples at d = 384 and d = 4096 (issue #4), with their ratios to goal.
 * Embedding: the pipeline beside a raw onnxruntime session and sentence-transformers (PyTorch fp32,
 * tools/bench/sentence_transformers_peer.py; skipped with a line saying why when Python or the
 * package is missing), and the fidelity of the 24 bundled behaviors' distinguishability vs fp32.
 *   npm run bench [-- --quick]   (--quick: 300 texts, 20 behaviors, no projection; a smoke run only)
 *   npm run bench -- --projection   (only the map's projection: UMAP at its limit, PCA at 100k rows)
 *   npm run bench -- --embed-only [--repeat 5]   (the embedding comparison alone, 1000 statements)
 *   npm run bench -- --causal [--count 200]   (SmolLM2-135M-Instruct next to PyTorch transformers, bench/causal.ts)
 */
import { benchAnalysis } from './analysis.js';
import { benchCausal } from './causal.js';
import { benchEmbed, type EmbedBenchRow } from './embed.js';
import { DEFAULT_PRECISION } from '../src/core/embed/precision.js';
import { benchProjection } from './projection.js';

const quick = process.argv.includes('--quick');
const embedOnly = process.argv.includes('--embed-only');
const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(process.argv[repeatAt + 1]) : undefined;

const table = (rows: EmbedBenchRow[]): string => {
  const w = Math.max(...rows.map((r) => r.metric.length));
  return rows
    .map(
      (r) =>
        `${r.metric.padEnd(w)}  ${String(r.value).padStart(10)} ${r.unit.padEnd(8)}${r.goal ? `  goal ${r.goal}: ${r.ok ? 'met' : 'NOT met'}` : ''}`,
    )
    .join('\n');
};

const main = async () => {
  const os = await import('node:os');
  console.log(
    `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
  );
  if (process.argv.includes('--causal')) {
    const countAt = process.argv.indexOf('--count');
    const count = countAt >= 0 ? Number(process.argv[countAt + 1]) : 200;
    console.log(
      `Causal LM embedding (SmolLM2-135M-Instruct, ${count} persona questions, chat template)`,
    );
    await benchCausal(count, (line) => console.log(`  ${line}`));
    return;
  }
  if (process.argv.includes('--projection')) {
    console.log('Map projection (synthetic mixture, d = 384, seed 1234)');
    await benchProjection((line) => console.log(`  ${line}`));
    return;
  }
  const embedRows = await benchEmbed({
    count: quick ? 300 : 1000,
    repeat,
    // The per-run lines and the peer's skip reason.
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    '\nEmbedding (bundled all-MiniLM-L6-v2, exact and fast precision, persona statements; medians of alternating runs)',
  );
  console.log(table(embedRows));
  if (embedOnly) return;

  const rate = embedRows.find(
    (r) => r.metric === `[${DEFAULT_PRECISION}] (b) embedder, cold cache`,
  )!.value;
  const behaviors = quick ? 20 : 136;
  const per = 1000;
  const analysis = await benchAnalysis({
    behaviors,
    perBehavior: per,
    dims: [384, 4096],
    repeats: quick ? 1 : 3,
    log: () => undefined,
  });
  const embedSeconds = (behaviors * per) / rate;
  const rows: EmbedBenchRow[] = analysis.flatMap((a) => {
    const ratio = a.seconds.total / embedSeconds;
    return [
      {
        metric: `d=${a.dim}: statistics + bootstrap (joint run beside them)`,
        value: +a.seconds.statistics.toFixed(2),
        unit: 's',
      },
      {
        metric: `d=${a.dim}: then priority + ${behaviors} alone runs (100 steps)`,
        value: +a.seconds.simulation.toFixed(2),
        unit: 's',
      },
      {
        metric: `d=${a.dim}: analysis / embedding ${behaviors * per} texts (${embedSeconds.toFixed(0)} s)`,
        value: +(100 * ratio).toFixed(2),
        unit: '%',
        goal: '<= 5%',
        ok: ratio <= 0.05,
      },
    ];
  });
  console.log(
    `\nAnalysis (analyzeEmbeddings; ${behaviors} behaviors x ${per} examples, synthetic embeddings, ${analysis[0].threads} analysis thread(s), wall time, median of ${analysis[0].runs} runs)`,
  );
  console.log(table(rows));
  if (quick) return;
  console.log(
    '\nMap projection (synthetic mixture, d = 384, seed 1234; also alone: npm run bench -- --projection)',
  );
  await benchProjection((line) => console.log(`  ${line}`));
};

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
