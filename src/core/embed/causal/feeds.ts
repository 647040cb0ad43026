import * as ort from 'onnxruntime-node';
import type { CausalConfig } from './model-files.js';

/** A right-padded batch of token ids with its mask. */
export interface TokenBatch {
  ids: number[][];
  padId: number;
}

export interface PackedBatch {
  batch: number;
  seqLen: number;
  mask: Uint8Array;
  inputIds: number[];
}

export const packBatch = ({ ids, padId }: TokenBatch): PackedBatch => {
  const batch = ids.length;
  const seqLen = Math.max(1, ...ids.map((s) => s.length));
  const mask = new Uint8Array(batch * seqLen);
  const inputIds = new Array<number>(batch * seqLen).fill(padId);
  ids.forEach((seq, b) => {
    if (seq.length === 0) throw new Error('Cannot embed an empty token sequence.');
    seq.forEach((id, t) => {
      inputIds[b * seqLen + t] = id;
      mask[b * seqLen + t] = 1;
    });
  });
  return { batch, seqLen, mask, inputIds };
};

/** Last unmasked position per row, so left- and right-padded masks both work. */
export const lastTokenIndex = (
  mask: ArrayLike<number | bigint>,
  batch: number,
  seqLen: number,
): number[] =>
  Array.from({ length: batch }, (_, b) => {
    for (let t = seqLen - 1; t >= 0; t--) if (Number(mask[b * seqLen + t]) !== 0) return t;
    throw new Error(`Row ${b} of the batch has no unmasked token.`);
  });

const intTensor = (
  type: ort.Tensor.Type,
  values: ArrayLike<number>,
  dims: number[],
): ort.Tensor => {
  if (type === 'int64')
    return new ort.Tensor('int64', BigInt64Array.from(Array.from(values), BigInt), dims);
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  throw new Error(`Unsupported integer input type ${type}.`);
};

const isSymbolic = (d: number | string): d is string => typeof d === 'string' || d < 0;

/** [batch, kv_heads, 0, head_dim]: an empty cache, for exports that require past key/values. */
const emptyPastShape = (
  name: string,
  shape: ReadonlyArray<number | string>,
  batch: number,
  config: CausalConfig | undefined,
): number[] => {
  const heads = config?.num_key_value_heads ?? config?.num_attention_heads ?? config?.n_head;
  const hidden = config?.hidden_size ?? config?.n_embd;
  const headDim =
    config?.head_dim ??
    (hidden && config?.num_attention_heads ? hidden / config.num_attention_heads : undefined);
  return shape.map((d, i) => {
    if (!isSymbolic(d)) return d;
    if (i === 0) return batch;
    if (/past|seq|length|total/i.test(String(d)) || (shape.length === 4 && i === 2)) return 0;
    const fromConfig =
      shape.length === 4 ? (i === 1 ? heads : i === 3 ? headDim : undefined) : undefined;
    if (fromConfig === undefined) {
      throw new Error(
        `Cannot size the empty past input ${name} (dimension ${i} is "${d}" and config.json does not give it).`,
      );
    }
    return fromConfig;
  });
};

/** Inputs for one forward pass over a whole prompt, for the usual transformers.js / optimum export inputs. */
export const buildFeeds = (
  session: ort.InferenceSession,
  packed: PackedBatch,
  config: CausalConfig | undefined,
): Record<string, ort.Tensor> => {
  const { batch, seqLen, mask } = packed;
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    const { name } = meta;
    if (!meta.isTensor) throw new Error(`The model input ${name} is not a tensor.`);
    const type = meta.type;
    if (name === 'input_ids') {
      feeds[name] = intTensor(type, packed.inputIds, [batch, seqLen]);
    } else if (name === 'attention_mask') {
      feeds[name] = intTensor(type, mask, [batch, seqLen]);
    } else if (name === 'position_ids') {
      // As transformers does: cumulative sum of the mask minus one, 1 on padding.
      const pos = new Array<number>(batch * seqLen);
      for (let b = 0; b < batch; b++) {
        let count = 0;
        for (let t = 0; t < seqLen; t++) {
          const i = b * seqLen + t;
          count += mask[i];
          pos[i] = mask[i] ? count - 1 : 1;
        }
      }
      feeds[name] = intTensor(type, pos, [batch, seqLen]);
    } else if (name === 'cache_position') {
      feeds[name] = intTensor(
        type,
        Array.from({ length: seqLen }, (_, t) => t),
        [seqLen],
      );
    } else if (name === 'token_type_ids') {
      feeds[name] = intTensor(type, new Array<number>(batch * seqLen).fill(0), [batch, seqLen]);
    } else if (name === 'num_logits_to_keep' || name === 'logits_to_keep') {
      feeds[name] = intTensor(type, [1], []);
    } else if (name === 'use_cache_branch') {
      feeds[name] = new ort.Tensor('bool', new Uint8Array([0]), [1]);
    } else if (/^past_key_values|^past\./.test(name)) {
      const dims = emptyPastShape(name, meta.shape, batch, config);
      if (type === 'float32') feeds[name] = new ort.Tensor('float32', new Float32Array(0), dims);
      else if (type === 'float16')
        feeds[name] = new ort.Tensor('float16', new Uint16Array(0), dims);
      else throw new Error(`Unsupported type ${type} for the past input ${name}.`);
    } else {
      throw new Error(
        `The causal-LM export has an input Preference Lens does not know how to fill: ${name}.`,
      );
    }
  }
  return feeds;
};
