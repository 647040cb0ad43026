/**
 * Embedding throughput of the bundled model, at each precision (exact and fast, alternating), on
 * 1000 persona statements (examples/persona):
 * (a) a bare onnxruntime-node session on the same pre-tokenized batches, (b) the project's embedder
 * (child process, tokenizer, pooling, cache writes) with a cold cache, (c) b / a, (d) the speed-up of
 * a warm-cache re-run in a new embedder, (e) peak memory of the parent and of the child,
 * (f) sentence-transformers (PyTorch fp32, the original model) on the same texts and (g) b / f,
 * (h) fidelity: the 24 bundled behaviors' distinguishability against the fp32 model.
 *
 *   npx tsx bench/embed.ts [--count 1000] [--batch 32] [--threads N] [--repeat 5] [--no-peer]
 *     [--no-fidelity]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Ort from 'onnxruntime-node';
import { findEncoderOnnx } from '../src/core/embed/encoder-backend.js';
import {
  bundledModelDir,
  createEmbedder,
  isPrecision,
  PRECISIONS,
} from '../src/core/embed/index.js';
import { fastOnnx } from '../src/core/embed/precision.js';
import type { Precision } from '../src/core/embed/types.js';
import { type Fidelity, measureFidelity } from './fidelity.js';
import { startPeer } from './sentence-transformers-peer.js';

export interface EmbedBenchOptions {
  count?: number;
  batchSize?: number;
  threads?: number;
  /** Each timed phase runs this many times, in alternation; the median counts. */
  repeat?: number;
  /** Time sentence-transformers beside the pipeline (skipped when Python or the package is missing). */
  peer?: boolean;
  /** Measure the distinguishability of the 24 bundled behaviors against fp32 (24,000 texts). */
  fidelity?: boolean;
  /** The bundled model's precisions to measure (default both, alternating). */
  precisions?: readonly Precision[];
  log?: (line: string) => void;
}

export interface EmbedBenchRow {
  metric: string;
  value: number;
  unit: string;
  goal?: string;
  ok?: boolean;
}

const statements = (count: number): string[] => {
  const file = join(__dirname, '..', 'examples', 'persona', 'agreeableness.jsonl');
  const all = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { statement: string }).statement);
  return all.slice(0, count);
};

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** (a): the same batches (sorted by length, as the embedder cuts them) straight into onnxruntime. */
const rawOrt = async (
  texts: string[],
  batchSize: number,
  precision: Precision,
  threads?: number,
): Promise<number> => {
  // Loaded here, not at the top: the embedder's parent side never loads them.
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const ort = await import('onnxruntime-node');
  const dir = bundledModelDir();
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const sorted = [...new Set(texts)].sort((a, b) => a.length - b.length);
  const batches: Record<string, Ort.Tensor>[] = [];
  for (let s = 0; s < sorted.length; s += batchSize) {
    const enc = tokenizer(sorted.slice(s, s + batchSize), {
      padding: true,
      truncation: true,
      max_length: 256,
    });
    const dims = enc.input_ids.dims as number[];
    batches.push({
      input_ids: new ort.Tensor('int64', enc.input_ids.data as BigInt64Array, dims),
      attention_mask: new ort.Tensor('int64', enc.attention_mask.data as BigInt64Array, dims),
      token_type_ids: new ort.Tensor(
        'int64',
        (enc.token_type_ids?.data as BigInt64Array | undefined) ??
          new BigInt64Array(dims[0] * dims[1]),
        dims,
      ),
    });
  }
  const onnx = precision === 'fast' ? fastOnnx(dir) : findEncoderOnnx(dir);
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  const start = process.hrtime.bigint();
  for (const feeds of batches) await session.run(feeds);
  const elapsed = seconds(start);
  await session.release();
  return elapsed;
};

/** (a) in a fresh process of its own, as the embedder's model runs in its child: same start state. */
const rawOrtInChild = (
  count: number,
  batchSize: number,
  precision: Precision,
  threads?: number,
): number => {
  const tsx = join(
    dirname(createRequire(__filename).resolve('tsx/package.json')),
    'dist',
    'loader.mjs',
  );
  const args = ['--import', pathToFileURL(tsx).href, __filename, '--raw-only'];
  args.push('--count', String(count), '--batch', String(batchSize), '--precision', precision);
  if (threads) args.push('--threads', String(threads));
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the raw onnxruntime run failed: ${run.stderr}`);
  return Number(run.stdout.trim().split('\n').at(-1));
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One precision's timings over the alternating runs. */
interface PrecisionRuns {
  raw: number[];
  cold: number[];
  warm: number;
  load: number;
  childRss: number;
}

/** One cold and one warm pipeline run at `precision`, then its raw session; appended to `runs`. */
const timePrecision = async (
  texts: string[],
  n: number,
  precision: Precision,
  options: { batchSize: number; threads?: number; count: number },
  runs: PrecisionRuns,
  tag: string,
): Promise<void> => {
  const embedderOptions = {
    batchSize: options.batchSize,
    threads: options.threads,
    device: 'cpu' as const,
    precision,
  };
  const cacheDir = join(tmpdir(), `pl-bench-embed-${process.pid}-${tag}`);
  rmSync(cacheDir, { recursive: true, force: true });
  try {
    let start = process.hrtime.bigint();
    const first = await createEmbedder({ ...embedderOptions, cacheDir });
    runs.load = Math.min(runs.load, seconds(start));
    start = process.hrtime.bigint();
    await first.embed(texts);
    runs.cold.push(seconds(start));
    if (first.lastRun.embedded !== n) throw new Error('the cold run was not cold');
    runs.childRss = Math.max(runs.childRss, await first.childMaxRss());
    await first.dispose();

    // A re-run as the CLI makes it: a new process-side index over the same cache folder.
    const second = await createEmbedder({ ...embedderOptions, cacheDir });
    start = process.hrtime.bigint();
    await second.embed(texts);
    runs.warm = Math.min(runs.warm, seconds(start));
    if (second.lastRun.embedded !== 0) throw new Error('the warm run embedded again');
    await second.dispose();
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  runs.raw.push(rawOrtInChild(options.count, options.batchSize, precision, options.threads));
};

export async function benchEmbed(options: EmbedBenchOptions = {}): Promise<EmbedBenchRow[]> {
  const count = options.count ?? 1000;
  const batchSize = options.batchSize ?? 32;
  const repeat = Math.max(1, options.repeat ?? 5);
  const log = options.log ?? (() => {});
  const precisions = options.precisions ?? PRECISIONS;
  const texts = statements(count);
  const n = new Set(texts).size;

  const peer =
    options.peer === false ? { skipped: 'not asked for' } : await startPeer(options.threads);
  if ('skipped' in peer) log(`sentence-transformers peer skipped: ${peer.skipped}`);
  else
    log(
      `sentence-transformers peer: ${peer.info.python}, torch ${peer.info.torch}, sentence-transformers ${peer.info.sentenceTransformers}, ${peer.info.threads} thread(s)`,
    );

  // Each precision's pipeline and raw runs and the peer's alternate, and the median of each
  // counts: on a shared machine the load drifts, and alternating keeps it from favouring one side.
  // The order of the precisions flips every run for the same reason.
  const runs = new Map<Precision, PrecisionRuns>(
    precisions.map((p) => [p, { raw: [], cold: [], warm: Infinity, load: Infinity, childRss: 0 }]),
  );
  const st: number[] = [];
  let parentRss = 0;
  try {
    for (let r = 0; r < repeat; r++) {
      const order = r % 2 ? [...precisions].reverse() : precisions;
      const line: string[] = [];
      for (const p of order) {
        const pr = runs.get(p)!;
        await timePrecision(
          texts,
          n,
          p,
          { batchSize, threads: options.threads, count },
          pr,
          `${r}-${p}`,
        );
        line.push(`${p}: raw ${pr.raw.at(-1)!.toFixed(3)} s, cold ${pr.cold.at(-1)!.toFixed(3)} s`);
      }
      parentRss = process.resourceUsage().maxRSS * 1024;
      if (!('skipped' in peer)) st.push(await peer.time([...new Set(texts)], batchSize));
      log(
        `run ${r + 1}: ${line.join('; ')}` +
          (st.length ? `; sentence-transformers ${st.at(-1)!.toFixed(3)} s` : ''),
      );
    }
  } finally {
    if (!('skipped' in peer)) peer.close();
  }

  const fidelity = new Map<Precision, Fidelity>();
  if (options.fidelity !== false) {
    for (const p of precisions) {
      const embedder = await createEmbedder({
        batchSize,
        threads: options.threads,
        device: 'cpu',
        precision: p,
        cacheDir: false,
      });
      try {
        fidelity.set(p, await measureFidelity(embedder));
      } finally {
        await embedder.dispose();
      }
      for (const b of fidelity.get(p)!.behaviors)
        log(
          `fidelity ${p} ${b.name}: fp32 ${b.reference.toFixed(5)}, ours ${b.ours.toFixed(5)} (${(100 * b.relative).toFixed(2)}%)`,
        );
    }
  }

  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  const stRate = st.length ? n / median(st) : undefined;
  const rows: EmbedBenchRow[] = [];
  if (stRate !== undefined)
    rows.push({
      metric: '(f) sentence-transformers, PyTorch fp32',
      value: Math.round(stRate),
      unit: 'texts/s',
    });
  for (const p of precisions) {
    const pr = runs.get(p)!;
    const rawRate = n / median(pr.raw);
    const pipeRate = n / median(pr.cold);
    const ratio = pipeRate / rawRate;
    const speedup = median(pr.cold) / pr.warm;
    rows.push(
      {
        metric: `[${p}] (a) raw onnxruntime-node session`,
        value: Math.round(rawRate),
        unit: 'texts/s',
      },
      { metric: `[${p}] (b) embedder, cold cache`, value: Math.round(pipeRate), unit: 'texts/s' },
      {
        metric: `[${p}] (c) b / a`,
        value: Math.round(ratio * 1000) / 1000,
        unit: 'ratio',
        goal: '>= 0.9',
        ok: ratio >= 0.9,
      },
      {
        metric: `[${p}] (d) warm-cache re-run speed-up`,
        value: Math.round(speedup),
        unit: 'x',
        goal: '>= 50',
        ok: speedup >= 50,
      },
      {
        metric: `[${p}]     warm-cache re-run time`,
        value: Math.round(pr.warm * 1e4) / 10,
        unit: 'ms',
      },
      {
        metric: `[${p}]     model load (spawn + session)`,
        value: Math.round(pr.load * 1000),
        unit: 'ms',
      },
      { metric: `[${p}] (e) peak RSS, child`, value: mib(pr.childRss), unit: 'MiB' },
    );
    if (stRate !== undefined)
      rows.push({
        metric: `[${p}] (g) b / f`,
        value: Math.round((pipeRate / stRate) * 1000) / 1000,
        unit: 'ratio',
        goal: '>= 2',
        ok: pipeRate / stRate >= 2,
      });
    const f = fidelity.get(p);
    if (f)
      rows.push(
        {
          metric: `[${p}] (h) distinguishability vs fp32, max rel. diff`,
          value: Math.round(f.maxRelative * 1e4) / 100,
          unit: '%',
          goal: '<= 1%',
          ok: f.maxRelative <= 0.01,
        },
        {
          metric: `[${p}]     median rel. diff (24 behaviors)`,
          value: Math.round(f.medianRelative * 1e4) / 100,
          unit: '%',
        },
        {
          metric: `[${p}]     Spearman vs fp32`,
          value: Math.round(f.spearman * 1e5) / 1e5,
          unit: '',
          goal: '>= 0.999',
          ok: f.spearman >= 0.999,
        },
      );
  }
  rows.push({ metric: '(e) peak RSS, parent', value: mib(parentRss), unit: 'MiB' });
  return rows;
}

const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};

if (require.main === module && process.argv.includes('--raw-only')) {
  const i = process.argv.indexOf('--precision');
  const precision = i >= 0 && isPrecision(process.argv[i + 1]) ? process.argv[i + 1] : 'exact';
  void rawOrt(
    statements(flag('count') ?? 1000),
    flag('batch') ?? 32,
    precision as Precision,
    flag('threads'),
  ).then((s) => console.log(s));
} else if (require.main === module) {
  void (async () => {
    const rows = await benchEmbed({
      count: flag('count'),
      batchSize: flag('batch'),
      threads: flag('threads'),
      repeat: flag('repeat'),
      peer: !process.argv.includes('--no-peer'),
      fidelity: !process.argv.includes('--no-fidelity'),
      log: (line) => console.error(line),
    });
    console.table(
      rows.map((r) => ({
        metric: r.metric,
        value: r.value,
        unit: r.unit,
        goal: r.goal ?? '',
        ok: r.ok ?? '',
      })),
    );
  })();
}
