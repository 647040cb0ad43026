// Messages between the embedder (parent) and its child process, over Node's IPC channel with
// 'advanced' serialization, so Float32Arrays travel without JSON.
import type { AnswerHead, DeviceRequest, ModelInfo, Pooling, Precision } from './types.js';

export interface LoadSpec {
  /** Hugging Face id or local folder; undefined for the bundled model. */
  model?: string;
  /** The bundled model folder as the parent resolved it. */
  bundledDir: string;
  allowDownload: boolean;
  downloadDir: string;
  device: DeviceRequest;
  pooling?: Pooling;
  /** The bundled model's precision; undefined for any other model. */
  precision?: Precision;
  threads?: number;
  /** Causal LMs: false keeps a tokenizer's chat template out (default: used when present). */
  chatTemplate?: boolean;
  /** Work folder for derived model files (the causal-LM hidden-state graph). */
  workDir: string;
}

/** What the parent needs to know about the loaded model (ModelInfo plus the cache identity). */
export interface LoadedModel {
  info: ModelInfo;
  /** Everything besides the text that decides a vector: hashed into each cache key. */
  identity: string;
  hasAnswerHead: boolean;
  /** Backend.tokensPerChar: which texts can reach the token limit, without tokenizing them. */
  tokensPerChar?: number;
  /** The model folder that was loaded (absolute). */
  folder?: string;
}

export type ParentMessage =
  | { type: 'load'; id: number; spec: LoadSpec }
  | { type: 'embed'; id: number; texts: string[]; promptChars?: number[] }
  | { type: 'measure'; id: number; texts: string[]; promptChars?: number[] }
  | { type: 'answerHead'; id: number; yes: string; no: string }
  | { type: 'stats'; id: number };

export interface ChildStats {
  /** Peak resident set size of the child, bytes. */
  maxRss: number;
}

export type ChildReply =
  | { type: 'loaded'; id: number; model: LoadedModel }
  | { type: 'embedded'; id: number; data: Float32Array; rows: number; dim: number }
  | { type: 'measured'; id: number; truncation: Uint8Array }
  | { type: 'answerHead'; id: number; head: AnswerHead }
  | { type: 'stats'; id: number; stats: ChildStats }
  | { type: 'error'; id: number; message: string; name: string };
