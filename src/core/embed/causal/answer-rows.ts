import {
  type CausalOnnxInspection,
  indexGraph,
  inspectCausalOnnx,
  type Unembedding,
} from './inspect.js';
import { asLoaded, type LoadedOnnx } from './onnx-proto.js';
import { type QuantizedUnembedding, quantizedSize, readQuantizedRow } from './quantized-rows.js';
import { readStrided } from './tensor-data.js';

export interface AnswerRows {
  yes: Float32Array;
  no: Float32Array;
  /** The float unembedding the rows were read from, or the quantized one they were dequantized from. */
  unembedding: Unembedding | QuantizedUnembedding;
}

/** Hidden size of whatever head the inspection found (float or exactly dequantizable), if any. */
export const headDimension = (info: CausalOnnxInspection): number | undefined =>
  info.unembedding
    ? unembeddingSize(info.unembedding).dim
    : info.quantizedUnembedding
      ? quantizedSize(info.quantizedUnembedding).dim
      : undefined;

/** Vocabulary size and hidden size of the unembedding, from its layout. */
export const unembeddingSize = (u: Unembedding): { vocab: number; dim: number } =>
  u.layout === 'VxD'
    ? { vocab: u.shape[0], dim: u.shape[1] }
    : { vocab: u.shape[1], dim: u.shape[0] };

/**
 * Reads W_U[yesId] and W_U[noId], the two rows of the unembedding matrix that decide the answer,
 * as float32 whatever the stored type (float32, float16, bfloat16; inline or external data),
 * times the head's constant logit scale if it has one.
 */
export const readAnswerRows = (
  model: string | LoadedOnnx,
  tokenIds: readonly [number, number],
  inspection?: CausalOnnxInspection,
): AnswerRows => {
  const loaded = asLoaded(model);
  const info = inspection ?? inspectCausalOnnx(loaded);
  const u = info.unembedding;
  const q = info.quantizedUnembedding;
  if (!u && q) {
    const tensors = indexGraph(loaded.model.graph).constants;
    return {
      yes: readQuantizedRow(q, tensors, loaded.dir, tokenIds[0]),
      no: readQuantizedRow(q, tensors, loaded.dir, tokenIds[1]),
      unembedding: q,
    };
  }
  if (!u) {
    if (info.quantizedHead) {
      throw new Error(
        `Cannot read the answer rows of ${loaded.path}: ${info.reason}. ` +
          'Use a float32/float16 export of the model (e.g. onnx/model.onnx or onnx/model_fp16.onnx), or one whose head is DequantizeLinear or MatMulNBits weights, ' +
          'to start the simulated head from the real LM head.',
      );
    }
    throw new Error(
      `Cannot read the answer rows of ${loaded.path}: ${info.reason ?? 'its LM head cannot be identified'}.`,
    );
  }
  const tensor = indexGraph(loaded.model.graph).constants.get(u.name);
  if (!tensor) throw new Error(`The unembedding ${u.name} is missing from ${loaded.path}.`);
  const { vocab, dim } = unembeddingSize(u);
  const row = (id: number): Float32Array => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new Error(`Token id ${id} is outside the LM head's vocabulary of ${vocab}.`);
    }
    return u.layout === 'VxD'
      ? readStrided(tensor, loaded.dir, id * dim, 1, dim)
      : readStrided(tensor, loaded.dir, id, vocab, dim);
  };
  // The rows the logits are computed with: a constant logit scale is part of W_U.
  const scaled = (r: Float32Array) => (u.scale === 1 ? r : r.map((v) => v * u.scale));
  return { yes: scaled(row(tokenIds[0])), no: scaled(row(tokenIds[1])), unembedding: u };
};
