import type { DeviceName, Embedder, ModelInfo } from '../types.js';
import { CausalLmRunner, type CausalRunnerOptions } from './runner.js';

export interface CausalEmbedderOptions extends CausalRunnerOptions {
  /** ModelInfo.id; the model folder when omitted. */
  id?: string;
  device?: DeviceName;
  deviceReason?: string;
}

/**
 * An Embedder over a causal LM: each text is a prompt, its vector the final normalized hidden state
 * at its last token. It does no caching of its own (the caller's embedding cache keys on sha256).
 */
export const createCausalLmEmbedder = async (options: CausalEmbedderOptions): Promise<Embedder> => {
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
  const embedder: Embedder = {
    info,
    embed: (texts, signal, onProgress) => runner.embed(texts, signal, onProgress),
    dispose: () => runner.dispose(),
  };
  if (runner.inspection.unembedding || runner.inspection.quantizedHead) {
    // A quantized head still gets the method, so the user sees why its rows cannot be read.
    embedder.answerHead = async (yes, no) => runner.answerHead(yes, no);
  }
  return embedder;
};
