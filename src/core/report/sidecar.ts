/**
 * Builds the report's sidecar (per-row map coordinates, behavior, label, file, line, text) from
 * the rows and their embeddings. The projection runs on a worker thread when its bundle is there
 * (dist/projection-worker.js, or the TypeScript source under tsx), so the extension host keeps
 * answering while UMAP runs; otherwise on this thread.
 */
import type { RowData } from '../io/half.js';
import { HalfRows } from '../io/half.js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Example } from '../dataset/types.js';
import { readRowContents } from '../dataset/stored-rows.js';
import type { Embeddings } from '../embed/types.js';
import { nearestRows, neighbourQueries, type NearestRows } from './neighbours.js';
import { computeProjection, type Projection, type ProjectionOptions } from './projection.js';
import type { ProjectionRequest, ProjectionReply } from './projection-worker.js';
import {
  MAX_FLAG_KINDS,
  type ReportSidecar,
  type RowClusters,
  type RowFlag,
  type SidecarNeighbours,
} from './sidecar-types.js';
import type { Report } from './types.js';

export const SIDECAR_MAX_TEXT = 240;

export interface SidecarOptions {
  seed?: number;
  umapMaxRows?: number;
  /** false: compute on this thread (tests, benchmarks). */
  worker?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /**
   * Per-row flags (the pipeline's rowFlags: label hints, pair checks). Without them the rows the
   * report lists as label hints are flagged, which is only the listed ones (maxSuspects each).
   */
  flags?: readonly RowFlag[];
  /** Discovered clusters, one per row, when the behaviors were discovered. */
  clusters?: RowClusters;
}

/**
 * Discovered behaviors are the rows' clusters: each row's behavior is its cluster's name, so the
 * browse table's cluster filter comes from the report itself when the caller passes none.
 */
const discoveredClusters = (
  examples: readonly Example[],
  report: Report,
): RowClusters | undefined => {
  if (!report.discovery) return undefined;
  const names = report.discovery.clusters.map((c) => c.name);
  const index = new Map(names.map((name, i) => [name, i]));
  return { names, of: examples.map((e) => index.get(e.behavior) ?? -1) };
};

/** The report's listed label hints as row flags (reports and callers without rowFlags). */
const listedHints = (examples: readonly Example[], report: Report): RowFlag[] => {
  const key = (file: string, line: number, label: number): string =>
    `${file}\u0000${line}\u0000${label}`;
  const wanted = new Set(
    report.behaviors.flatMap((b) => b.suspects.map((s) => key(s.file, s.line, s.label))),
  );
  const rows: number[] = [];
  examples.forEach((e, i) => {
    if (wanted.has(key(e.file, e.line, e.label))) rows.push(i);
  });
  return [{ kind: 'possible-label-error', rows }];
};

/** Flags as the sidecar's columns: kinds with at least one row, and a bit mask per row. */
const flagColumns = (
  n: number,
  flags: readonly RowFlag[],
): { flagKinds: string[]; flags: number[] } => {
  const kinds: string[] = [];
  const mask = new Array<number>(n).fill(0);
  for (const f of flags) {
    const rows = f.rows.filter((r) => r >= 0 && r < n);
    if (!rows.length) continue;
    let k = kinds.indexOf(f.kind);
    if (k < 0) {
      if (kinds.length === MAX_FLAG_KINDS) continue;
      k = kinds.push(f.kind) - 1;
    }
    for (const r of rows) mask[r] |= 1 << k;
  }
  return { flagKinds: kinds, flags: mask };
};

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** The listed label hints' rows, in report order (the rows whose neighbours a large run keeps). */
const listedRows = (examples: readonly Example[], report: Report): number[] => {
  const at = new Map<string, number>();
  examples.forEach((e, i) => {
    const key = `${e.file}\u0000${e.line}\u0000${e.label}`;
    if (!at.has(key)) at.set(key, i);
  });
  return report.behaviors
    .flatMap((b) => b.suspects.map((s) => at.get(`${s.file}\u0000${s.line}\u0000${s.label}`)))
    .filter((r) => r !== undefined);
};

/** NearestRows as the sidecar's per-row lists (empty for a row that was not a query). */
const neighbourColumns = (n: number, near: NearestRows): SidecarNeighbours => {
  const rows: number[][] = Array.from({ length: n }, () => []);
  const cosine: number[][] = Array.from({ length: n }, () => []);
  near.queries.forEach((r, i) => {
    for (let j = 0; j < near.k; j++) {
      const t = near.index[i * near.k + j];
      if (t < 0) break;
      rows[r].push(t);
      cosine[r].push(round6(near.cosine[i * near.k + j]));
    }
  });
  return { k: near.k, rows, cosine };
};

type Projected = Projection & { neighbours?: NearestRows };

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
  emb: Embeddings<RowData>,
  options: ProjectionOptions,
  queries: number[] | null,
  signal?: AbortSignal,
): Promise<Projected> | null => {
  const entry = workerEntry();
  if (!entry) return null;
  const request: ProjectionRequest = {
    ...(emb.data instanceof HalfRows ? { data: emb.data.bits, half: true } : { data: emb.data }),
    rows: emb.rows,
    dim: emb.dim,
    seed: options.seed,
    strata: [...options.strata],
    umapMaxRows: options.umapMaxRows,
    neighbourQueries: queries && Int32Array.from(queries),
  };
  return new Promise<Projected>((resolve, reject) => {
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
        if (m.type === 'done') resolve({ xy: m.xy, info: m.info, neighbours: m.neighbours });
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
  emb: Embeddings<RowData>,
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
  // The nearest rows ("Open similar examples") are computed beside the projection.
  const queries = neighbourQueries(emb.rows, listedRows(examples, report));
  const projection =
    (options.worker === false
      ? null
      : projectOffThread(emb, projectionOptions, queries, options.signal)) ??
    Promise.resolve().then((): Projected => ({
      ...computeProjection(emb, projectionOptions),
      neighbours: nearestRows(emb, queries),
    }));
  const { xy, info, neighbours } = await projection;
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
    length: new Array<number>(n),
    ...flagColumns(n, options.flags ?? listedHints(examples, report)),
  };
  const clusters = options.clusters ?? discoveredClusters(examples, report);
  if (clusters && clusters.of.length === n) {
    sidecar.clusters = [...clusters.names];
    sidecar.cluster = Array.from(clusters.of, (c) =>
      c >= 0 && c < clusters.names.length ? c : -1,
    );
  }
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
    sidecar.length![i] = contents[i].text.length;
    sidecar.text[i] = text.length > SIDECAR_MAX_TEXT ? `${text.slice(0, SIDECAR_MAX_TEXT)}…` : text;
  });
  if (neighbours) sidecar.neighbours = neighbourColumns(n, neighbours);
  return sidecar;
};
