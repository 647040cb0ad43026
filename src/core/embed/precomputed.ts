import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { forEachNpyRowChunk, readNpyRowIds } from './npy-read.js';
import { PROMPT_SETTINGS } from './prompt-settings.js';
import type { AnswerHead, Embedder, Embeddings, ModelInfo, Pooling } from './types.js';
import { PrecomputedInputError } from './precomputed-error.js';
import { HalfRows, toHalfBits, type RowData } from '../io/half.js';
import { parquetCompressors } from '../io/parquet-codecs.js';

/**
 * How the matrix is stored: 'auto' keeps float32 unless the first shard is float16 or the
 * float32 matrix would exceed FLOAT32_BUDGET_BYTES; then float16 (half the memory; float16
 * inputs lose nothing, float32 inputs are rounded to 11 significant bits).
 */
export type MatrixStorage = 'auto' | 'float32' | 'float16';

/** Above this, 'auto' stores the matrix as float16: 8 GiB of float32 is 524,288 × 4,096. */
export const FLOAT32_BUDGET_BYTES = 8 * 2 ** 30;

/** What an outside job may say about its model, in DIR/_model.json (all fields optional). */
export interface ShardModel {
  id?: string;
  kind?: ModelInfo['kind'];
  pooling?: Pooling;
  sha256?: string;
  device?: string;
}

export interface PrecomputedOptions {
  /** Folder of shards: `*.parquet` (row_id int64, embedding list of float32) and/or `*.npy`. */
  dir: string;
  /** Rows the analysis has (the rows file's row count): ids must be exactly 0..rowCount-1. */
  rowCount: number;
  /** W_U[y₊], W_U[y₋] of a causal LM: `.parquet` (answer, token, embedding) or `.npy` [2, d]. */
  answerRows?: string;
  signal?: AbortSignal;
  onShard?: (done: number, total: number) => void;
  /** Default 'auto' (MatrixStorage). */
  storage?: MatrixStorage;
}

export interface PrecomputedEmbeddings extends Embeddings<RowData> {
  shards: string[];
  model: ShardModel;
  /** Why the matrix is float16 (absent: float32). */
  halfReason?: string;
}

// ES module only: loaded when a Parquet shard is read (esbuild bundles it).
const parquetModule = () => import('hyparquet');

/** The shard files of DIR, sorted; names starting with `_` or `.` are side files, not shards. */
export async function listShards(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter(
    (n) =>
      !n.startsWith('_') &&
      !n.startsWith('.') &&
      (n.endsWith('.parquet') || (n.endsWith('.npy') && !n.endsWith('.row_id.npy'))),
  );
  if (names.length === 0)
    throw new PrecomputedInputError(
      `${dir} holds no embedding shards (*.parquet, or *.npy with *.row_id.npy)`,
    );
  return names.sort().map((n) => path.join(dir, n));
}

/**
 * Reads every shard of DIR into one matrix [rowCount, d] in a SharedArrayBuffer (the analysis
 * workers read it without a copy), float32 or float16 (MatrixStorage). Shards may come in any number and order; each row id
 * must be one of 0..rowCount-1 and appear exactly once over all shards. Errors name the shard.
 */
export async function readEmbeddingShards(o: PrecomputedOptions): Promise<PrecomputedEmbeddings> {
  const shards = await listShards(o.dir);
  const n = o.rowCount;
  const owner = new Int32Array(n).fill(-1);
  let dim = 0;
  let data: Float32Array = new Float32Array(0);
  let bits: Uint16Array | undefined;
  let halfReason: string | undefined;
  const storage = o.storage ?? 'auto';
  /** Rows as float32 values, or (from a float16 NPY) as their bits. */
  const place = (
    shard: number,
    ids: ArrayLike<number>,
    first: number,
    rows: Float32Array | Uint16Array,
    d: number,
  ) => {
    if (dim === 0) {
      dim = d;
      const float32Bytes = n * d * 4;
      halfReason =
        storage === 'float16'
          ? 'asked for'
          : storage === 'float32'
            ? undefined
            : rows instanceof Uint16Array
              ? 'the shards are float16'
              : float32Bytes > FLOAT32_BUDGET_BYTES
                ? `float32 would take ${(float32Bytes / 2 ** 30).toFixed(1)} GiB, above the ${FLOAT32_BUDGET_BYTES / 2 ** 30} GiB budget`
                : undefined;
      if (halfReason) bits = new Uint16Array(new SharedArrayBuffer(n * d * 2));
      else data = new Float32Array(new SharedArrayBuffer(float32Bytes));
    } else if (d !== dim) {
      throw new PrecomputedInputError(
        `${shards[shard]}: embeddings of width ${d}, the shards before it have ${dim}`,
      );
    }
    const count = rows.length / d;
    for (let k = 0; k < count; k++) {
      const id = ids[first + k];
      if (!Number.isInteger(id) || id < 0 || id >= n) {
        throw new PrecomputedInputError(
          `${shards[shard]}: row id ${id} is unknown (the rows file has ids 0..${n - 1})`,
        );
      }
      if (owner[id] !== -1) {
        const other = owner[id] === shard ? 'the same shard' : shards[owner[id]];
        throw new PrecomputedInputError(
          `${shards[shard]}: row id ${id} is duplicated (also in ${other})`,
        );
      }
      owner[id] = shard;
      const row = rows.subarray(k * d, (k + 1) * d);
      if (bits) {
        if (row instanceof Uint16Array) bits.set(row, id * d);
        else for (let j = 0; j < d; j++) bits[id * d + j] = toHalfBits(row[j]);
      } else if (row instanceof Float32Array) {
        data.set(row, id * d);
      } else {
        throw new Error('float16 rows reach a float32 matrix only as values');
      }
    }
  };
  for (let s = 0; s < shards.length; s++) {
    o.signal?.throwIfAborted();
    const shard = shards[s];
    if (shard.endsWith('.npy')) {
      const idPath = shard.replace(/\.npy$/, '.row_id.npy');
      if (!existsSync(idPath))
        throw new PrecomputedInputError(`${shard}: its row ids ${idPath} are missing`);
      const ids = await readNpyRowIds(idPath);
      // A float16 shard's bits go straight into a float16 matrix; into a float32 one as values.
      const toValues = dim !== 0 && !bits;
      const { rows } = await forEachNpyRowChunk(
        shard,
        (first, chunk, d) => place(s, ids, first, chunk, d),
        toValues || storage === 'float32'
          ? undefined
          : (first, chunk, d) => place(s, ids, first, chunk, d),
      );
      if (rows !== ids.length) {
        throw new PrecomputedInputError(
          `${shard}: ${rows} embeddings but ${ids.length} row ids in ${idPath}`,
        );
      }
    } else {
      await readParquetShard(shard, (ids, rows, d) => place(s, ids, 0, rows, d));
    }
    o.onShard?.(s + 1, shards.length);
  }
  const missing: number[] = [];
  for (let i = 0; i < n && missing.length < 5; i++) if (owner[i] === -1) missing.push(i);
  if (missing.length > 0) {
    let total = 0;
    for (let i = 0; i < n; i++) if (owner[i] === -1) total++;
    throw new PrecomputedInputError(
      `${o.dir}: ${total} of ${n} rows have no embedding in any of its ${shards.length} shard(s) (row ids ${missing.join(', ')}${total > missing.length ? ', …' : ''})`,
    );
  }
  const modelPath = path.join(o.dir, '_model.json');
  const model = existsSync(modelPath)
    ? (JSON.parse(readFileSync(modelPath, 'utf8')) as ShardModel)
    : {};
  const matrix: RowData = bits ? new HalfRows(bits) : data;
  return { data: matrix, rows: n, dim, shards, model, ...(halfReason ? { halfReason } : {}) };
}

/** One Parquet shard, row group by row group (a group's rows are decoded at once). */
async function readParquetShard(
  shard: string,
  onGroup: (ids: Float64Array, rows: Float32Array, dim: number) => void,
): Promise<void> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead } = await parquetModule();
  const file = await asyncBufferFromFile(shard);
  const metadata = await parquetMetadataAsync(file);
  const names = new Set(metadata.schema.map((e) => e.name));
  if (!names.has('row_id') || !names.has('embedding'))
    throw new PrecomputedInputError(
      `${shard}: a shard needs the columns row_id (int64) and embedding (list of float32)`,
    );
  const compressors = await parquetCompressors();
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let got: unknown[][] = [];
    await parquetRead({
      file,
      metadata,
      columns: ['row_id', 'embedding'],
      compressors,
      rowStart,
      rowEnd,
      onComplete: (rows: unknown[][]) => {
        got = rows;
      },
    });
    if (got.length > 0) {
      const d = (got[0][1] as ArrayLike<number>).length;
      const ids = new Float64Array(got.length);
      const values = new Float32Array(got.length * d);
      got.forEach(([id, vector], k) => {
        const v = vector as ArrayLike<number> | null;
        if (!v || v.length !== d)
          throw new PrecomputedInputError(
            `${shard}: row id ${String(id)} has an embedding of width ${v?.length ?? 0}, not ${d}`,
          );
        ids[k] = Number(id);
        values.set(v, k * d);
      });
      onGroup(ids, values, d);
    }
    rowStart = rowEnd;
  }
}

/** W_U[y₊] and W_U[y₋] from an outside job (see PrecomputedOptions.answerRows). */
export async function readAnswerRows(file: string, dim: number): Promise<AnswerHead> {
  let yes: Float32Array | undefined;
  let no: Float32Array | undefined;
  let yesToken: string = PROMPT_SETTINGS.answerYes;
  let noToken: string = PROMPT_SETTINGS.answerNo;
  if (file.endsWith('.npy')) {
    const rows: Float32Array[] = [];
    await forEachNpyRowChunk(file, (_first, chunk, d) => {
      for (let k = 0; k < chunk.length / d; k++) rows.push(chunk.slice(k * d, (k + 1) * d));
    });
    if (rows.length !== 2)
      throw new PrecomputedInputError(`${file}: answer rows must be [2, d] (yes, no)`);
    [yes, no] = rows;
  } else {
    const { asyncBufferFromFile, parquetReadObjects } = await parquetModule();
    const rows = (await parquetReadObjects({
      file: await asyncBufferFromFile(file),
      compressors: await parquetCompressors(),
    })) as {
      answer: string;
      token?: string;
      embedding: ArrayLike<number>;
    }[];
    for (const r of rows) {
      if (r.answer === 'yes')
        [yes, yesToken] = [Float32Array.from(r.embedding), r.token ?? yesToken];
      if (r.answer === 'no') [no, noToken] = [Float32Array.from(r.embedding), r.token ?? noToken];
    }
    if (!yes || !no)
      throw new PrecomputedInputError(`${file}: needs one row with answer "yes" and one with "no"`);
  }
  if (yes.length !== dim || no.length !== dim)
    throw new PrecomputedInputError(
      `${file}: answer rows of width ${yes.length}, the embeddings have ${dim}`,
    );
  return { yes, no, yesToken, noToken };
}

/**
 * An Embedder that hands out vectors computed elsewhere: no model, no child process, no
 * onnxruntime. `embed` accepts only the rows it was loaded for (same count, same order).
 */
export function precomputedEmbedder(
  loaded: PrecomputedEmbeddings,
  source: string,
  head?: AnswerHead,
): Embedder<RowData> {
  const m = loaded.model;
  const info: ModelInfo = {
    id: m.id ?? `precomputed:${source}`,
    kind: m.kind ?? (head ? 'causal-lm' : 'sentence-embedding'),
    dimension: loaded.dim,
    device: 'cpu',
    deviceReason: `precomputed embeddings: ${loaded.shards.length} shard(s) read from ${source}${m.device ? ` (computed on ${m.device})` : ''}; no model was run here${loaded.halfReason ? `; stored as float16 (${loaded.halfReason})` : ''}`,
    pooling: m.pooling ?? (head ? 'last-token' : 'mean'),
    sha256: m.sha256 ?? '',
  };
  return {
    info,
    embed: async (texts, _signal, onProgress) => {
      if (texts.length !== loaded.rows)
        throw new PrecomputedInputError(
          `${texts.length} rows to embed, the shards hold ${loaded.rows}`,
        );
      // Nothing is embedded here: the report's timings count every row as already there.
      onProgress?.({ done: loaded.rows, total: loaded.rows, cached: loaded.rows });
      return { data: loaded.data, rows: loaded.rows, dim: loaded.dim };
    },
    ...(head ? { answerHead: async () => head } : {}),
    dispose: async () => undefined,
  };
}
