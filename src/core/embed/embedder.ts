import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingCache } from './cache.js';
import {
  type FileStamp,
  folderStamps,
  readRecord,
  recordKey,
  sameFolder,
  writeRecord,
} from './fingerprint.js';
import { ChildClient, EmbeddingProcessError } from './child-client.js';
import { knownModelFolder } from './model-folder.js';
import { ModelLoadError } from './model-load-error.js';
import { DEFAULT_PRECISION } from './precision.js';
import {
  bundledModelDir,
  defaultEmbeddingCacheDir,
  defaultModelDownloadDir,
  userCacheRoot,
} from './paths.js';
import type { LoadedModel, LoadSpec } from './protocol.js';
import type {
  AnswerHead,
  Embedder,
  EmbedderOptions,
  EmbedProgress,
  Embeddings,
  ModelInfo,
  TextSource,
} from './types.js';
import { textDigest } from '../digest.js';
import { DigestTable } from '../digest-table.js';

/** Batches kept queued at the child, so it never waits on the parent between two batches. */
const IN_FLIGHT = 2;

const abortError = (signal: AbortSignal): Error => {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The embedding was aborted.', 'AbortError');
};

const isTextSource = (input: readonly string[] | TextSource): input is TextSource =>
  typeof (input as Partial<TextSource>).digest === 'function';

/** Texts in memory as a TextSource. */
const memorySource = (texts: readonly string[]): TextSource => ({
  length: texts.length,
  digest: (row) => textDigest(texts[row]),
  textLength: (row) => texts[row].length,
  texts: async (rows) => rows.map((r) => texts[r]),
});

/** More special tokens than any tokenizer adds to one text ([CLS] and [SEP], BOS, ...). */
const SPECIAL_TOKENS_BOUND = 8;
/** Texts per truncation measurement request. */
const MEASURE_BATCH = 256;

/** The prompt lengths of a batch of unique texts, or undefined when the source has none. */
const promptsOf = (
  source: TextSource,
  batch: readonly number[],
  first: readonly number[],
): number[] | undefined => {
  const at = source.promptChars?.bind(source);
  if (!at) return undefined;
  const prompts = batch.map((u) => at(first[u]));
  return prompts.some((p) => p > 0) ? prompts : undefined;
};

/** Version of the model records (modelRecordPath): a new layout never reads an old record. */
const MODEL_RECORD_VERSION = 1;

/**
 * What a load answered, kept so that a run whose rows are all cached needs no load: valid while
 * every file of the model folder has the stamp it had (fingerprint.ts). The child checks the
 * identity again whenever it does load (ChildEmbedder.live).
 */
interface ModelRecord {
  version: number;
  folder: string;
  stamps: FileStamp[];
  model: LoadedModel;
}

/** Where the record of a load spec is kept: everything in the spec that decides what loads. */
const modelRecordPath = (spec: LoadSpec): string =>
  join(
    spec.workDir,
    'models',
    `${recordKey({
      v: MODEL_RECORD_VERSION,
      // A relative folder or a Hugging Face id is resolved against the working folder.
      cwd: process.cwd(),
      model: spec.model ?? null,
      bundledDir: spec.bundledDir,
      downloadDir: spec.downloadDir,
      device: spec.device,
      pooling: spec.pooling ?? null,
      precision: spec.precision ?? null,
      chatTemplate: spec.chatTemplate ?? null,
    })}.json`,
  );

/** The recorded load of this spec, when the model's files are unchanged since. */
const recordedModel = (spec: LoadSpec): LoadedModel | undefined => {
  const record = readRecord<ModelRecord>(modelRecordPath(spec));
  if (!record || record.version !== MODEL_RECORD_VERSION || !record.model?.identity)
    return undefined;
  return sameFolder(record.folder, record.stamps) ? record.model : undefined;
};

const recordModel = (spec: LoadSpec, model: LoadedModel, stamps: FileStamp[]): void => {
  if (!model.folder) return;
  writeRecord(modelRecordPath(spec), {
    version: MODEL_RECORD_VERSION,
    folder: model.folder,
    stamps,
    model,
  } satisfies ModelRecord);
};

/** The answer rows as kept beside the embeddings (float32 little-endian bytes, base64). */
interface AnswerHeadRecord {
  yes: string;
  no: string;
  yesToken: string;
  noToken: string;
}

const rowToBase64 = (row: Float32Array): string =>
  Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('base64');

const rowFromBase64 = (text: string): Float32Array => {
  const bytes = Buffer.from(text, 'base64');
  const row = new Float32Array(bytes.length / 4);
  new Uint8Array(row.buffer).set(bytes);
  return row;
};

/** Counts of the last embed call, for progress reports and benchmarks. */
export interface EmbedRunStats {
  total: number;
  cached: number;
  embedded: number;
}

/**
 * An Embedder whose model runs in one child process, with a content-addressed on-disk cache in
 * front of it. A crashed child is reported as an error and replaced on the next call.
 */
export class ChildEmbedder implements Embedder {
  readonly answerHead?: (yes: string, no: string) => Promise<AnswerHead>;
  lastRun: EmbedRunStats = { total: 0, cached: 0, embedded: 0 };
  private disposed = false;
  private cacheWriteFailed = false;

  /**
   * `client` is undefined when the model was known from its record: the child is started (and
   * the model loaded) only when something needs it, so a run whose rows are all cached never
   * opens the weights.
   */
  private constructor(
    private client: ChildClient | undefined,
    private readonly spec: LoadSpec,
    private readonly model: LoadedModel,
    private readonly cache: EmbeddingCache | undefined,
    private readonly batchSize: number,
    private readonly onWarning: ((message: string) => void) | undefined,
  ) {
    if (model.hasAnswerHead) this.answerHead = (yes, no) => this.readAnswerHead(yes, no);
  }

  static async create(options: EmbedderOptions = {}): Promise<ChildEmbedder> {
    if (options.model && options.precision)
      throw new ModelLoadError(
        `The precision (${options.precision}) chooses between the bundled model's graphs; ${options.model} is another model.`,
      );
    const spec: LoadSpec = {
      model: options.model,
      bundledDir: options.model ? '' : bundledModelDir(),
      allowDownload: options.allowDownload ?? false,
      downloadDir: options.downloadDir ?? defaultModelDownloadDir(),
      device: options.device ?? 'auto',
      pooling: options.pooling,
      ...(options.model ? {} : { precision: options.precision ?? DEFAULT_PRECISION }),
      threads: options.threads,
      ...(options.chatTemplate === undefined ? {} : { chatTemplate: options.chatTemplate }),
      // The causal-LM path keeps its hidden-state copy of the graph here.
      workDir:
        options.cacheDir === false
          ? join(tmpdir(), 'preference-lens')
          : join(options.cacheDir ?? userCacheRoot(), 'derived-models'),
    };
    const cacheRoot =
      options.cacheDir === undefined ? defaultEmbeddingCacheDir() : options.cacheDir;
    // Without a cache every row is embedded: the child is needed at once.
    const recorded = cacheRoot === false ? undefined : recordedModel(spec);
    let client: ChildClient | undefined;
    let model: LoadedModel;
    if (recorded) model = recorded;
    else {
      client = ChildClient.spawn();
      // Stamped before the load reads the files: a file changed meanwhile voids the record.
      const stamps = stampsOf(spec);
      try {
        model = (await client.request({ type: 'load', spec }, 'loaded')).model;
      } catch (error) {
        client.kill();
        throw asLoadError(error);
      }
      if (cacheRoot !== false && stamps && model.folder === stamps.folder)
        recordModel(spec, model, stamps.stamps);
    }
    const cache =
      cacheRoot === false
        ? undefined
        : new EmbeddingCache(cacheRoot, model.identity, model.info.dimension);
    const batchSize = Math.max(1, options.batchSize ?? (model.info.kind === 'causal-lm' ? 8 : 32));
    return new ChildEmbedder(client, spec, model, cache, batchSize, options.onWarning);
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  /** The child's pid (for tests and diagnostics); undefined while no child was needed. */
  get childPid(): number | undefined {
    return this.client?.pid;
  }

  /** Whether a child process runs (false for a run that found everything cached). */
  get childStarted(): boolean {
    return this.client?.alive ?? false;
  }

  /** Peak resident memory of the child process, bytes (0 while no child was needed). */
  async childMaxRss(): Promise<number> {
    if (!this.client) return 0;
    return (await (await this.live()).request({ type: 'stats' }, 'stats')).stats.maxRss;
  }

  /**
   * W_U[yes], W_U[no]: from beside the embeddings when an earlier run read them for this model,
   * else from the child (which reads them out of the weights), then kept there.
   */
  private async readAnswerHead(yes: string, no: string): Promise<AnswerHead> {
    const path = this.cache
      ? join(this.cache.dir, `answer-head-${recordKey({ yes, no })}.json`)
      : undefined;
    const kept = path ? readRecord<AnswerHeadRecord>(path) : undefined;
    if (kept && typeof kept.yes === 'string' && typeof kept.no === 'string') {
      const head = {
        yes: rowFromBase64(kept.yes),
        no: rowFromBase64(kept.no),
        yesToken: kept.yesToken,
        noToken: kept.noToken,
      };
      if (head.yes.length === this.info.dimension && head.no.length === this.info.dimension)
        return head;
    }
    const { head } = await (
      await this.live()
    ).request({ type: 'answerHead', yes, no }, 'answerHead');
    if (path && !this.cacheWriteFailed)
      writeRecord(path, {
        yes: rowToBase64(head.yes),
        no: rowToBase64(head.no),
        yesToken: head.yesToken,
        noToken: head.noToken,
      } satisfies AnswerHeadRecord);
    return head;
  }

  async embed(
    input: readonly string[] | TextSource,
    signal?: AbortSignal,
    onProgress?: (p: EmbedProgress) => void,
  ): Promise<Embeddings> {
    if (this.disposed) throw new Error('This embedder has been disposed.');
    if (signal?.aborted) throw abortError(signal);
    const source = isTextSource(input) ? input : memorySource(input);
    const dim = this.model.info.dimension;
    const total = source.length;
    // Shared memory: the analysis's worker threads read these rows without a copy.
    const out = new Float32Array(new SharedArrayBuffer(total * dim * 4));

    // Identical texts (equal digests) are embedded once: `first` holds the first row of each
    // unique text, and rowsOf(u) the rows it fills (a compact row list per unique text).
    const uniqueOf = new Int32Array(total);
    const first: number[] = [];
    // Cache keys of the unique texts, from their digests.
    const keys: string[] = [];
    {
      const seen = new DigestTable();
      for (let r = 0; r < total; r++) {
        const digest = source.digest(r);
        let u = seen.getOrAdd(digest, first.length);
        if (u === undefined) {
          u = first.length;
          first.push(r);
          if (this.cache) keys.push(this.cache.keyOfDigest(digest));
        }
        uniqueOf[r] = u;
      }
    }
    const start = new Int32Array(first.length + 1);
    for (let r = 0; r < total; r++) start[uniqueOf[r] + 1] += 1;
    for (let u = 0; u < first.length; u++) start[u + 1] += start[u];
    const rowList = new Int32Array(total);
    {
      const fill = start.slice(0, first.length);
      for (let r = 0; r < total; r++) rowList[fill[uniqueOf[r]]++] = r;
    }
    const rowsOf = (u: number) => rowList.subarray(start[u], start[u + 1]);

    const hits = await this.lookup(keys);
    const todo: number[] = [];
    let done = 0;
    for (let u = 0; u < first.length; u++) {
      const hit = this.cache ? hits.get(keys[u]) : undefined;
      if (!hit) {
        todo.push(u);
        continue;
      }
      for (const row of rowsOf(u)) out.set(hit, row * dim);
      done += start[u + 1] - start[u];
    }
    hits.clear();
    const cached = done;
    this.lastRun = { total, cached, embedded: 0 };
    onProgress?.({ done, total, cached });

    // Similar lengths share a batch, so little of each batch is padding.
    todo.sort((a, b) => source.textLength(first[a]) - source.textLength(first[b]));
    const batches: number[][] = [];
    for (let s = 0; s < todo.length; s += this.batchSize)
      batches.push(todo.slice(s, s + this.batchSize));

    // Started only when a row is missing from the cache.
    const client = batches.length > 0 ? await this.live() : undefined;
    // A batch's texts are fetched (read back from disk for a TextSource) just before it is sent,
    // and the batches are sent in order: the next batch's texts are read while the child embeds.
    let sending: Promise<unknown> = Promise.resolve();
    const send = (batch: number[]) => {
      const texts = sending.then(() =>
        source.texts(
          batch.map((u) => first[u]),
          signal,
        ),
      );
      const reply = texts.then((t) =>
        client!.request(
          { type: 'embed', texts: t, promptChars: promptsOf(source, batch, first) },
          'embedded',
        ),
      );
      sending = texts.catch(() => {});
      reply.catch(() => {}); // awaited below, or dropped after an abort or an earlier failure
      return reply;
    };
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    const inFlight = batches.slice(0, IN_FLIGHT).map(send);
    let next = inFlight.length;
    try {
      for (let b = 0; b < batches.length; b++) {
        let reply;
        try {
          if (signal?.aborted) throw abortError(signal);
          reply = await Promise.race([inFlight[b], aborted]);
        } catch (error) {
          if (signal?.aborted) this.keepLate(inFlight.slice(b), batches.slice(b), keys);
          throw error;
        }
        if (next < batches.length) inFlight.push(send(batches[next++]));
        const batch = batches[b];
        batch.forEach((u, k) => {
          const row = reply.data.subarray(k * dim, (k + 1) * dim);
          for (const r of rowsOf(u)) out.set(row, r * dim);
          done += start[u + 1] - start[u];
        });
        await this.store(batch, keys, reply.data);
        this.lastRun.embedded += batch.length;
        onProgress?.({ done, total, cached });
      }
      const truncation = await this.measure(source, first, rowsOf, signal);
      return { data: out, rows: total, dim, truncation };
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * How every row's text was fitted to the model's token limit (backend.ts's Truncation), cached
   * rows included. Only texts long enough to reach the limit are read and tokenized (not embedded):
   * a WordPiece token covers at least one character, any other at least one UTF-8 byte, and a
   * UTF-16 code unit is at most 3 of them. Short texts (persona statements) are never read again.
   */
  private async measure(
    source: TextSource,
    first: readonly number[],
    rowsOf: (u: number) => Int32Array,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const out = new Uint8Array(source.length);
    const max = this.model.info.maxTokens;
    if (max === undefined) return out;
    const perChar = this.model.tokensPerChar ?? 3;
    const candidates: number[] = [];
    for (let u = 0; u < first.length; u++) {
      if (perChar * source.textLength(first[u]) + SPECIAL_TOKENS_BOUND > max) candidates.push(u);
    }
    if (candidates.length === 0) return out;
    const client = await this.live();
    for (let s = 0; s < candidates.length; s += MEASURE_BATCH) {
      signal?.throwIfAborted();
      const batch = candidates.slice(s, s + MEASURE_BATCH);
      const texts = await source.texts(
        batch.map((u) => first[u]),
        signal,
      );
      const { truncation } = await client.request(
        { type: 'measure', texts, promptChars: promptsOf(source, batch, first) },
        'measured',
      );
      batch.forEach((u, k) => {
        for (const r of rowsOf(u)) out[r] = truncation[k];
      });
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.client?.kill();
  }

  /** A cache that cannot be read is treated as empty (and said so), like one that is off. */
  private async lookup(keys: string[]): Promise<Map<string, Float32Array>> {
    if (!this.cache) return new Map();
    try {
      return await this.cache.lookup(keys);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      this.onWarning?.(
        `the embedding cache could not be read, every text is embedded: ${this.cache.dir} (${e.code ?? e.message}).`,
      );
      return new Map();
    }
  }

  /**
   * A cache that cannot be written (a full disk, a read-only folder) costs only the cache: the
   * run goes on without writing it, and says so once.
   */
  private async store(batch: number[], keys: string[], data: Float32Array): Promise<void> {
    if (!this.cache || this.cacheWriteFailed) return;
    try {
      await this.cache.write(
        batch.map((u) => keys[u]),
        data,
      );
    } catch (error) {
      this.cacheWriteFailed = true;
      const e = error as NodeJS.ErrnoException;
      this.onWarning?.(
        `the embedding cache is off for the rest of this run: writing to ${this.cache.dir} failed (${e.code ?? e.message}).`,
      );
    }
  }

  /** Batches already queued at the child when a run is aborted still land in the cache. */
  private keepLate(
    pending: Promise<{ data: Float32Array }>[],
    batches: number[][],
    keys: string[],
  ): void {
    pending.forEach((p, k) => p.then((r) => this.store(batches[k], keys, r.data)).catch(() => {}));
  }

  /**
   * The running child, or a new one loading the same model: the first time one is needed (the
   * model was known from its record), or after a crash.
   */
  private async live(): Promise<ChildClient> {
    if (this.client?.alive) return this.client;
    const first = this.client === undefined;
    const client = ChildClient.spawn();
    try {
      let model: LoadedModel;
      try {
        model = (await client.request({ type: 'load', spec: this.spec }, 'loaded')).model;
      } catch (error) {
        // Not loaded before in this embedder: the error is a load error as create() gives it.
        throw first ? asLoadError(error) : error;
      }
      if (model.identity !== this.model.identity)
        throw new Error(
          `The model changed on disk since this embedder started (${model.info.sha256}).`,
        );
    } catch (error) {
      client.kill();
      throw error;
    }
    this.client = client;
    return client;
  }
}

/**
 * The stamps of the folder the spec loads, when it is on disk already (the bundled model, a local
 * folder, a downloaded Hugging Face id): a first download is recorded on the next load.
 */
const stampsOf = (spec: LoadSpec): { folder: string; stamps: FileStamp[] } | undefined => {
  const folder = knownModelFolder(spec.model, spec.bundledDir, spec.downloadDir);
  if (!folder) return undefined;
  try {
    return { folder, stamps: folderStamps(folder) };
  } catch {
    return undefined;
  }
};

/** What the child answered to "load": a model that cannot be loaded, unless the child died. */
const asLoadError = (error: unknown): unknown =>
  error instanceof Error && !(error instanceof EmbeddingProcessError)
    ? new ModelLoadError(error.message, { cause: error })
    : error;

/** Starts the embedding child process and loads the model (the bundled one by default). */
export const createEmbedder = (options: EmbedderOptions = {}): Promise<ChildEmbedder> =>
  ChildEmbedder.create(options);
