/**
 * The embedding process answered "cannot load this model" (no such folder, no ONNX file, a device
 * that cannot start): the options or the model are at fault, not the run. A crash of the process
 * itself is an EmbeddingProcessError instead.
 */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}
