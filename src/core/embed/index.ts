// The embedding core: an Embedder over an ONNX model in a child process, with an on-disk cache.
export { EmbeddingCache } from './cache.js';
export { EmbeddingProcessError } from './child-client.js';
export { ModelLoadError } from './model-load-error.js';
export { openOnDevice, platformGpu } from './device.js';
export { ChildEmbedder, createEmbedder, type EmbedRunStats } from './embedder.js';
export {
  BUNDLED_MODEL_NAME,
  bundledModelDir,
  defaultEmbeddingCacheDir,
  defaultModelDownloadDir,
  setBundledModelDir,
  userCacheRoot,
} from './paths.js';
export { poolHidden } from './pooling.js';
export { DEFAULT_PRECISION, isPrecision, PRECISIONS } from './precision.js';
export type * from './types.js';
