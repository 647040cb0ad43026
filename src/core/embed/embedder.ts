import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingCache } from './cache.js';
import { ChildClient } from './child-client.js';
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
} from './types.js';

/** Batches kept queued at the child, so it never waits on the parent between two batches. */
const IN_FLIGHT = 2;

const abortError = (signal: AbortSignal): Error => {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The embedding was aborted.', 'AbortError');
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

  private constructor(
    private client: ChildClient,
    private readonly spec: LoadSpec,
    private readonly model: LoadedModel,
    private readonly cache: EmbeddingCache | undefined,
    private readonly batchSize: number,
  ) {
    if (model.hasAnswerHead) {
      this.answerHead = async (yes, no) =>
        (await (await this.live()).request({ type: 'answerHead', yes, no }, 'answerHead')).head;
    }
  }

  static async create(options: EmbedderOptions = {}): Promise<ChildEmbedder> {
    const spec: LoadSpec = {
      model: options.model,
      bundledDir: options.model ? '' : bundledModelDir(),
      allowDownload: options.allowDownload ?? false,
      downloadDir: options.downloadDir ?? defaultModelDownloadDir(),
      device: options.device ?? 'auto',
      pooling: options.pooling,
      threads: options.threads,
      // The causal-LM path keeps its hidden-state copy of the graph here.
      workDir:
        options.cacheDir === false
          ? join(tmpdir(), 'preference-lens')
          : join(options.cacheDir ?? userCacheRoot(), 'derived-models'),
    };
    const client = ChildClient.spawn();
    let model: LoadedModel;
    try {
      model = (await client.request({ type: 'load', spec }, 'loaded')).model;
    } catch (error) {
      client.kill();
      throw error;
    }
    const cacheRoot =
      options.cacheDir === undefined ? defaultEmbeddingCacheDir() : options.cacheDir;
    const cache =
      cacheRoot === false
        ? undefined
        : new EmbeddingCache(cacheRoot, model.identity, model.info.dimension);
    const batchSize = Math.max(1, options.batchSize ?? (model.info.kind === 'causal-lm' ? 8 : 32));
    return new ChildEmbedder(client, spec, model, cache, batchSize);
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  /** The child's pid (for tests and diagnostics). */
  get childPid(): number | undefined {
    return this.client.pid;
  }

  /** Peak resident memory of the child process, bytes. */
  async childMaxRss(): Promise<number> {
    return (await (await this.live()).request({ type: 'stats' }, 'stats')).stats.maxRss;
  }

  async embed(
    texts: readonly string[],
    signal?: AbortSignal,
    onProgress?: (p: EmbedProgress) => void,
  ): Promise<Embeddings> {
    if (this.disposed) throw new Error('This embedder has been disposed.');
    if (signal?.aborted) throw abortError(signal);
    const dim = this.model.info.dimension;
    const total = texts.length;
    // Shared memory: the analysis's worker threads read these rows without a copy.
    const out = new Float32Array(new SharedArrayBuffer(total * dim * 4));

    // Identical texts are embedded once; `where` lists the rows each unique text fills.
    const where = new Map<string, number[]>();
    texts.forEach((t, i) => {
      const rows = where.get(t);
      if (rows) rows.push(i);
      else where.set(t, [i]);
    });
    const unique = [...where.keys()];
    const keys = this.cache ? unique.map((t) => this.cache!.key(t)) : [];
    const hits = this.cache ? await this.cache.lookup(keys) : new Map<string, Float32Array>();
    const todo: number[] = [];
    let done = 0;
    unique.forEach((text, u) => {
      const hit = this.cache ? hits.get(keys[u]) : undefined;
      if (!hit) return void todo.push(u);
      for (const row of where.get(text)!) out.set(hit, row * dim);
      done += where.get(text)!.length;
    });
    const cached = done;
    this.lastRun = { total, cached, embedded: 0 };
    onProgress?.({ done, total, cached });

    // Similar lengths share a batch, so little of each batch is padding.
    todo.sort((a, b) => unique[a].length - unique[b].length);
    const batches: number[][] = [];
    for (let s = 0; s < todo.length; s += this.batchSize)
      batches.push(todo.slice(s, s + this.batchSize));

    const client = await this.live();
    const send = (batch: number[]) => {
      const reply = client.request(
        { type: 'embed', texts: batch.map((u) => unique[u]) },
        'embedded',
      );
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
          for (const r of where.get(unique[u])!) out.set(row, r * dim);
          done += where.get(unique[u])!.length;
        });
        await this.store(batch, keys, reply.data);
        this.lastRun.embedded += batch.length;
        onProgress?.({ done, total, cached });
      }
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    return { data: out, rows: total, dim };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.client.kill();
  }

  private async store(batch: number[], keys: string[], data: Float32Array): Promise<void> {
    if (this.cache)
      await this.cache.write(
        batch.map((u) => keys[u]),
        data,
      );
  }

  /** Batches already queued at the child when a run is aborted still land in the cache. */
  private keepLate(
    pending: Promise<{ data: Float32Array }>[],
    batches: number[][],
    keys: string[],
  ): void {
    pending.forEach((p, k) => p.then((r) => this.store(batches[k], keys, r.data)).catch(() => {}));
  }

  /** The running child, or a new one loading the same model after a crash. */
  private async live(): Promise<ChildClient> {
    if (this.client.alive) return this.client;
    const client = ChildClient.spawn();
    try {
      const { model } = await client.request({ type: 'load', spec: this.spec }, 'loaded');
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

/** Starts the embedding child process and loads the model (the bundled one by default). */
export const createEmbedder = (options: EmbedderOptions = {}): Promise<ChildEmbedder> =>
  ChildEmbedder.create(options);
