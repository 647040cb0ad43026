import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CausalConfig {
  model_type?: string;
  architectures?: string[];
  hidden_size?: number;
  n_embd?: number;
  num_attention_heads?: number;
  n_head?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  is_decoder?: boolean;
  [key: string]: unknown;
}

export const readModelConfig = (modelDir: string): CausalConfig | undefined => {
  const path = join(modelDir, 'config.json');
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as CausalConfig;
};

/** A causal LM by its config: a *ForCausalLM / *LMHeadModel architecture. */
export const isCausalLmConfig = (config: CausalConfig | undefined): boolean =>
  (config?.architectures ?? []).some((a) => /ForCausalLM$|LMHeadModel$/.test(a));

/** Float exports first: the LM head rows are only readable unquantized. */
const CANDIDATES = [
  'onnx/model.onnx',
  'onnx/model_fp16.onnx',
  'model.onnx',
  'model_fp16.onnx',
  'onnx/decoder_model.onnx',
  'decoder_model.onnx',
  'onnx/model_quantized.onnx',
  'onnx/model_q8.onnx',
  'onnx/model_int8.onnx',
  'onnx/model_uint8.onnx',
  'onnx/model_q4.onnx',
  'onnx/model_q4f16.onnx',
  'onnx/model_bnb4.onnx',
];

/** The ONNX file of a causal-LM folder in the transformers.js / optimum layouts. */
export const findCausalOnnx = (modelDir: string): string => {
  for (const c of CANDIDATES) {
    const path = join(modelDir, c);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `No ONNX model in ${modelDir} (looked for ${CANDIDATES.slice(0, 4).join(', ')}, ...).`,
  );
};
