// The causal-LM path: g(x) is the final normalized hidden state at the last prompt token, and the
// LM head's " Yes"/" No" rows start the simulated DPO head.
export { type AnswerRows, headDimension, readAnswerRows, unembeddingSize } from './answer-rows.js';
export { type QuantizedUnembedding, quantizedSize, readQuantizedRow } from './quantized-rows.js';
export { type AnswerToken, answerToken, answerTokens } from './answer-tokens.js';
export {
  type CausalEmbedderOptions,
  type CausalLmEmbedder,
  createCausalLmEmbedder,
} from './embedder.js';
export {
  type ExposedModel,
  type ExposeOptions,
  exposeFinalHidden,
  externalLocations,
} from './expose.js';
export {
  cachedSha256File,
  cachedSha256OnnxWithData,
  createHiddenSession,
  loadPreparedGraph,
  type PreparedModel,
  prepareHiddenStateModel,
  type PrepareOptions,
  sha256File,
  sha256OnnxWithData,
} from './hidden-cache.js';
export { buildFeeds, lastTokenIndex, packBatch } from './feeds.js';
export {
  assertHiddenAvailable,
  type CausalOnnxInspection,
  inspectCausalOnnx,
  type Unembedding,
} from './inspect.js';
export {
  type CausalConfig,
  findCausalOnnx,
  isCausalLmConfig,
  readModelConfig,
} from './model-files.js';
export { type LoadedOnnx, loadOnnx } from './onnx-proto.js';
export { CausalLmRunner, type CausalRunnerOptions } from './runner.js';
export { type FloatDtype, halfToFloat } from './tensor-data.js';
