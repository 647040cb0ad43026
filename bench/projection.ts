/**
 * The map's projection time (src/core/report/projection.ts) on seeded synthetic embeddings shaped
 * like a mixture (clusters per behavior and label, d = 384): UMAP at the limit, PCA-only at
 * 100,000 rows; and umap-learn (Python, tools/umap_learn_bench.py) on the same PCA points when it
 * is installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../src/core/analysis/rng.js';
import { computeProjection, UMAP_MAX_ROWS } from '../src/core/report/projection.js';
import { pcaBasis, pcaProject, stratifiedSample } from '../src/core/report/scatter.js';

const DIM = 384;

function mixture(rows: number, behaviors: number, seed: number) {
  const rng = new Rng(seed, 0xbe7c);
  const centers = Array.from({ length: behaviors * 2 }, () =>
    Float32Array.from({ length: DIM }, () => rng.normal() * 0.15),
  );
  const data = new Float32Array(rows * DIM);
  const strata: string[] = [];
  for (let i = 0; i < rows; i++) {
    const g = i % centers.length;
    strata.push(String(g));
    for (let d = 0; d < DIM; d++) data[i * DIM + d] = centers[g][d] + 0.05 * rng.normal();
  }
  return { emb: { data, rows, dim: DIM }, strata };
}

/** A float32 C-order .npy (what numpy.load reads). */
function npy(file: string, data: Float32Array, shape: [number, number]): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape[0]}, ${shape[1]}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(
    file,
    Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]),
  );
}

/**
 * PREFERENCE_LENS_PYTHON (as the embedding peer), else the worktree's .venv
 * (`python3 -m venv .venv && .venv/bin/pip install umap-learn`), else python3.
 */
const python = (): string => {
  if (process.env.PREFERENCE_LENS_PYTHON) return process.env.PREFERENCE_LENS_PYTHON;
  const venv = resolve(__dirname, '../.venv/bin/python');
  return existsSync(venv) ? venv : 'python3';
};

export interface ProjectionBenchRow {
  metric: string;
  ms: number;
}

export async function benchProjection(log: (line: string) => void): Promise<ProjectionBenchRow[]> {
  const rows: ProjectionBenchRow[] = [];
  const umapRows = UMAP_MAX_ROWS;
  const small = mixture(umapRows, 8, 1);
  const u = computeProjection(small.emb, { seed: 1234, strata: small.strata });
  rows.push({
    metric: `UMAP (umap-js), ${umapRows} rows x ${DIM}: PCA 30 + ${u.info.epochs} epochs`,
    ms: u.info.ms,
  });
  log(`${rows.at(-1)!.metric}: ${(u.info.ms / 1000).toFixed(1)} s`);
  const big = mixture(100_000, 100, 2);
  const p = computeProjection(big.emb, { seed: 1234, strata: big.strata });
  rows.push({ metric: `PCA only, 100000 rows x ${DIM} (above the UMAP limit)`, ms: p.info.ms });
  log(`${rows.at(-1)!.metric}: ${(p.info.ms / 1000).toFixed(1)} s`);

  // umap-learn on the same 30 PCA components of the UMAP-sized mixture.
  const fit = pcaBasis(small.emb, stratifiedSample(small.strata, 5000, 1234), 30, 1234);
  const dir = mkdtempSync(join(tmpdir(), 'pl-projection-'));
  const file = join(dir, 'pca30.npy');
  npy(file, pcaProject(small.emb, fit), [umapRows, fit.dims]);
  try {
    const out = execFileSync(python(), [resolve(__dirname, '../tools/umap_learn_bench.py'), file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    const seconds = Number(/seconds=([\d.]+)/.exec(out)?.[1]);
    if (Number.isFinite(seconds)) {
      rows.push({
        metric: `umap-learn (Python), the same ${umapRows} x 30 points`,
        ms: seconds * 1000,
      });
      log(`${rows.at(-1)!.metric}: ${seconds.toFixed(1)} s`);
    } else log(`umap-learn: ${out}`);
  } catch (e) {
    const stdout = (e as { stdout?: string }).stdout?.trim();
    log(`umap-learn: skipped (${stdout || 'python3 or the helper failed'})`);
  }
  return rows;
}
