import type { AnswerHead, DeviceName, Pooling, Precision } from './types.js';

/**
 * How a text was fitted to the model's token limit: 0 whole; 1 cut, with the response kept whole
 * (the prompt lost its first tokens, or a causal LM kept the text's last tokens); 2 cut where the
 * part that differs may be lost (no prompt boundary is known, or the response alone is too long).
 */
export type Truncation = 0 | 1 | 2;

/** A loaded model inside the child process: embeds one batch at a time. */
export interface Backend {
  readonly kind: 'sentence-embedding' | 'causal-lm';
  readonly dimension: number;
  readonly device: DeviceName;
  readonly deviceReason: string;
  readonly pooling: Pooling;
  readonly sha256: string;
  /** The bundled model's precision; undefined for any other model. */
  readonly precision?: Precision;
  /** Everything besides the text that decides a vector (hashed into the cache key). */
  readonly identity: string;
  /** The longest input in tokens, special tokens included; longer texts are cut (Truncation). */
  readonly maxTokens: number;
  /** At most this many tokens per UTF-16 code unit of text (special tokens aside): 1 or 3. */
  readonly tokensPerChar: number;
  /**
   * Rows [texts.length, dimension] in the order given. `promptChars[i]`: leading UTF-16 code units
   * of texts[i] that are its prompt (0 or absent: none), the part cut first when it is too long.
   */
  embedBatch(texts: readonly string[], promptChars?: readonly number[]): Promise<Float32Array>;
  /** How each text would be fitted (Truncation), without running the model. */
  measure(texts: readonly string[], promptChars?: readonly number[]): Promise<Uint8Array>;
  answerHead?(yes: string, no: string): Promise<AnswerHead>;
  dispose(): Promise<void>;
}
