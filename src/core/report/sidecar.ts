/**
 * Builds the report's sidecar (per-row map coordinates, behavior, label, file, line, text) from
 * the rows and their embeddings. The projection runs on a worker thread when its bundle is there
 * (dist/projection-worker.js, or the TypeScript source under tsx), so the extension host keeps
 * answering while UMAP runs; otherwise on this thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Example } from '../dataset/types.js';
import { readRowContents } from '../dataset/stored-rows.js';
import type { Embeddings } from '../embed/types.js';
import { computeProjection, type Projection, type ProjectionOptions } from './projection.js';
import type { ProjectionRequest, ProjectionReply } from './projection-worker.js';
import type { ReportSidecar } from './sidecar-types.js';
import type { Report } from './types.js';

export const SIDECAR_MAX_TEXT = 240;

export interface SidecarOptions {
  seed?: number;
  umapMaxRows?: number;
  /** false: compute on this thread (tests, benchmarks). */
  worker?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

const workerEntry = (): { code: string; eval: boolean } | null => {
  if (__filename.endsWith('.ts')) {
    const tsx = createRequire(__filename).resolve('tsx/cjs/api');
    const source = join(__dirname, 'projection-worker.ts');
    return {
      code: `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`,
      eval: true,
    };
  }
  const file = join(__dirname, 'projection-worker.js');
  return existsSync(file) ? { code: file, eval: false } : null;
};

const projectOffThread = (
  emb: Embeddings,
  options: ProjectionOptions,
  signal?: AbortSignal,
): Promise<Projection> | null => {
  const entry = workerEntry();
  if (!entry) return null;
  const request: ProjectionRequest = {
    data: emb.data,
    rows: emb.rows,
    dim: emb.dim,
    seed: options.seed,
    strata: [...options.strata],
    umapMaxRows: options.umapMaxRows,
  };
  return new Promise<Projection>((resolve, reject) => {
    const worker = new Worker(entry.code, { eval: entry.eval, workerData: request });
    const abort = (): void => {
      void worker.terminate();
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (m: ProjectionReply) => {
      if (m.type === 'progress') options.onProgress?.(m.fraction);
      else {
        signal?.removeEventListener('abort', abort);
        void worker.terminate();
        if (m.type === 'done') resolve({ xy: m.xy, info: m.info });
        else reject(new Error(`projection failed: ${m.message}`));
      }
    });
    worker.on('error', (e) => {
      signal?.removeEventListener('abort', abort);
      reject(e);
    });
  });
};

/** Every row of the mixture with its map position: the webview and the HTML export draw it as is. */
export const buildSidecar = async (
  examples: readonly Example[],
  emb: Embeddings,
  report: Report,
  options: SidecarOptions = {},
): Promise<ReportSidecar | null> => {
  if (examples.length === 0 || emb.rows === 0) return null;
  const seed = options.seed ?? report.simulation.options.seed;
  const strata = examples.map((e) => `${e.behavior}\u0000${e.label}`);
  const projectionOptions: ProjectionOptions = {
    seed,
    strata,
    umapMaxRows: options.umapMaxRows,
    onProgress: options.onProgress,
  };
  const projection =
    (options.worker === false ? null : projectOffThread(emb, projectionOptions, options.signal)) ??
    Promise.resolve(computeProjection(emb, projectionOptions));
  const { xy, info } = await projection;
  const behaviors = report.behaviors.map((b) => b.name);
  const behaviorIndex = new Map(behaviors.map((name, i) => [name, i]));
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const n = examples.length;
  const sidecar: ReportSidecar = {
    version: 1,
    rows: n,
    projection: info,
    behaviors,
    files,
    x: new Array<number>(n),
    y: new Array<number>(n),
    behavior: new Array<number>(n),
    label: new Array<1 | -1>(n),
    file: new Array<number>(n),
    line: new Array<number>(n),
    text: new Array<string>(n),
  };
  // Texts are read back from their files in one pass per file (rows hold no texts, see
  // dataset/stored-rows.ts); per-row getters would open the file once per row.
  const contents = await readRowContents(examples, options.signal);
  examples.forEach((e, i) => {
    let fi = fileIndex.get(e.file);
    if (fi === undefined) {
      fi = files.length;
      files.push(e.file);
      fileIndex.set(e.file, fi);
    }
    sidecar.x[i] = round4(xy[2 * i]);
    sidecar.y[i] = round4(xy[2 * i + 1]);
    sidecar.behavior[i] = behaviorIndex.get(e.behavior) ?? -1;
    sidecar.label[i] = e.label;
    sidecar.file[i] = fi;
    sidecar.line[i] = e.line;
    const text = contents[i].display ?? contents[i].text;
    sidecar.text[i] = text.length > SIDECAR_MAX_TEXT ? `${text.slice(0, SIDECAR_MAX_TEXT)}…` : text;
  });
  return sidecar;
};
