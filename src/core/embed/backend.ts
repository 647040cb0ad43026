import type { AnswerHead, DeviceName, Pooling } from './types.js';

/** A loaded model inside the child process: embeds one batch at a time. */
export interface Backend {
  readonly kind: 'sentence-embedding' | 'causal-lm';
  readonly dimension: number;
  readonly device: DeviceName;
  readonly deviceReason: string;
  readonly pooling: Pooling;
  readonly sha256: string;
  /** Everything besides the text that decides a vector (hashed into the cache key). */
  readonly identity: string;
  /** Rows [texts.length, dimension] in the order given. */
  embedBatch(texts: readonly string[]): Promise<Float32Array>;
  answerHead?(yes: string, no: string): Promise<AnswerHead>;
  dispose(): Promise<void>;
}
