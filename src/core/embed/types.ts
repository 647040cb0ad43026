import type { RowData } from '../io/half.js';

export type Pooling = 'mean' | 'cls' | 'last-token';
export type DeviceRequest = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';
export type DeviceName = 'cpu' | 'cuda' | 'dml' | 'coreml';
/**
 * Which ONNX graph of the bundled model runs: `exact` (weight-only int8, arithmetic in fp32: every
 * bundled behavior's distinguishability within 1% of the fp32 model) or `fast` (dynamic int8
 * MatMuls where they do not move the statistics; models/all-MiniLM-L6-v2/PROVENANCE.md).
 */
export type Precision = 'fast' | 'exact';

export interface EmbedderOptions {
  /** A Hugging Face model id, a local model folder, or undefined for the bundled model. */
  model?: string;
  /** Whether a Hugging Face id may be downloaded (into cacheDir). Off by default. */
  allowDownload?: boolean;
  device?: DeviceRequest;
  pooling?: Pooling;
  /** The bundled model's precision (default DEFAULT_PRECISION); only for the bundled model. */
  precision?: Precision;
  batchSize?: number;
  threads?: number;
  /** Embedding cache folder; undefined uses the user cache folder. `false` disables the cache. */
  cacheDir?: string | false;
  /** Where Hugging Face models are downloaded to; undefined uses the user cache folder. */
  downloadDir?: string;
  /**
   * Causal LMs whose tokenizer has a chat template: rows go through it (default true; false: the
   * plain text with the tokenizer's special tokens, as before).
   */
  chatTemplate?: boolean;
  /** Told about trouble the run survives (the cache could not be written and is off). */
  onWarning?: (message: string) => void;
}

export interface ModelInfo {
  id: string;
  /** 'sentence-embedding' or 'causal-lm' (the paper's g(x) with a real LM head). */
  kind: 'sentence-embedding' | 'causal-lm';
  dimension: number;
  device: DeviceName;
  /** Why this device: e.g. "cuda unavailable (libcudart.so.12 not found); fell back to cpu". */
  deviceReason: string;
  pooling: Pooling;
  /** The bundled model's precision; absent for any other model. */
  precision?: Precision;
  /** SHA-256 of the ONNX file, part of the cache key. */
  sha256: string;
  /** The longest input in tokens; longer texts are cut (docs/datasets.md, "Truncation"). */
  maxTokens?: number;
}

export interface EmbedProgress {
  done: number;
  total: number;
  cached: number;
}

/**
 * Rows [N, d] in C order: float32 from a model; precomputed shards may be held as float16
 * (io/half.ts, `Embeddings<RowData>` where either may come).
 */
export interface Embeddings<D extends RowData = Float32Array> {
  data: D;
  rows: number;
  dim: number;
  /**
   * Per row, how its text was fitted to the model's token limit (0 whole, 1 the prompt's start
   * cut, 2 cut where the response may be lost: backend.ts's Truncation); absent when not measured.
   */
  truncation?: Uint8Array;
}

/** For a causal LM: the two answer rows of the unembedding matrix (W_U[yes], W_U[no]). */
export interface AnswerHead {
  yes: Float32Array;
  no: Float32Array;
  yesToken: string;
  noToken: string;
}

/**
 * Rows to embed whose texts need not be in memory: each row's digest (textDigest in
 * src/core/digest.ts) and length, and the texts on demand. The embedder deduplicates and looks
 * rows up in the cache by digest, and asks for the texts of the misses only, one batch at a time.
 */
export interface TextSource {
  readonly length: number;
  digest(row: number): Uint8Array;
  /** UTF-16 length of the row's text: batches group similar lengths. */
  textLength(row: number): number;
  /** The texts of `rows`, in that order. */
  texts(rows: readonly number[], signal?: AbortSignal): Promise<string[]>;
  /**
   * Leading UTF-16 code units of the row's text that are its prompt (0: none): a long text loses
   * the start of its prompt first. Rows with equal digests must have equal prompt lengths (fold the
   * length into the digest).
   */
  promptChars?(row: number): number;
}

export interface Embedder<D extends RowData = Float32Array> {
  readonly info: ModelInfo;
  embed(
    texts: readonly string[] | TextSource,
    signal?: AbortSignal,
    onProgress?: (p: EmbedProgress) => void,
  ): Promise<Embeddings<D>>;
  /** Present only for causal LMs with a readable LM head. */
  answerHead?(yes: string, no: string): Promise<AnswerHead>;
  dispose(): Promise<void>;
}
