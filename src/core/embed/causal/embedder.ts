import type { DeviceName, Embedder, Embeddings, ModelInfo } from '../types.js';
import { CausalLmRunner, type CausalRunnerOptions } from './runner.js';

export interface CausalEmbedderOptions extends CausalRunnerOptions {
  /** ModelInfo.id; the model folder when omitted. */
  id?: string;
  device?: DeviceName;
  deviceReason?: string;
}

export interface CausalLmEmbedder extends Embedder {
  /**
   * Why there is no answerHead (e.g. "the LM head is a quantized MatMulNBits"), to show the user:
   * the analysis then runs without phi and starts the head at zero.
   */
  readonly answerHeadUnavailable?: string;
  /** The longest prompt in tokens and how each text is fitted to it (backend.ts's Truncation). */
  readonly maxTokens: number;
  /** embed, with each text's prompt length (a pairwise row's user turn under a chat template). */
  embedRows(texts: readonly string[], promptChars?: readonly number[]): Promise<Embeddings>;
  /** Whether the texts go through the tokenizer's chat template. */
  readonly usesChatTemplate: boolean;
  measure(texts: readonly string[], promptChars?: readonly number[]): Uint8Array;
}

/**
 * An Embedder over a causal LM: each text is a prompt, its vector the final normalized hidden state
 * at its last token. It does no caching of its own (the caller's embedding cache keys on sha256).
 * answerHead is present only when the LM head rows can be read (float weights).
 */
export const createCausalLmEmbedder = async (
  options: CausalEmbedderOptions,
): Promise<CausalLmEmbedder> => {
  const runner = await CausalLmRunner.open(options);
  const info: ModelInfo = {
    id: options.id ?? options.modelDir,
    kind: 'causal-lm',
    dimension: runner.dimension,
    device: options.device ?? 'cpu',
    deviceReason: options.deviceReason ?? 'cpu',
    pooling: 'last-token',
    sha256: runner.sha256,
  };
  const base = {
    info,
    embed: runner.embed.bind(runner),
    maxTokens: runner.maxTokens,
    usesChatTemplate: runner.usesChatTemplate,
    embedRows: (texts: readonly string[], promptChars?: readonly number[]) =>
      runner.embed(texts, undefined, undefined, promptChars),
    measure: runner.measure.bind(runner),
    dispose: () => runner.dispose(),
  };
  if (runner.inspection.unembedding || runner.inspection.quantizedUnembedding) {
    return { ...base, answerHead: async (yes: string, no: string) => runner.answerHead(yes, no) };
  }
  return {
    ...base,
    answerHeadUnavailable: `the LM head rows of ${runner.onnxPath} cannot be read: ${runner.inspection.reason ?? 'unknown head'}`,
  };
};
