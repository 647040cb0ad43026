import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import type { Backend, Truncation } from './backend.js';
import { openOnDevice } from './device.js';
import { poolHidden } from './pooling.js';
import type { DeviceRequest, Pooling, Precision } from './types.js';

/** The ONNX files of a sentence-embedding folder, most faithful first. */
const ONNX_CANDIDATES = [
  'onnx/model.onnx',
  'model.onnx',
  'onnx/model_quantized.onnx',
  'onnx/model_int8.onnx',
  'onnx/model_uint8.onnx',
  'onnx/model_fp16.onnx',
];

export const findEncoderOnnx = (dir: string): string => {
  for (const c of ONNX_CANDIDATES) if (existsSync(join(dir, c))) return join(dir, c);
  throw new Error(`No ONNX model in ${dir} (looked for ${ONNX_CANDIDATES.join(', ')}).`);
};

const readJson = (path: string): Record<string, unknown> | undefined =>
  existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)
    : undefined;

/** How sentence-transformers pools and normalizes this model (its 1_Pooling and modules.json). */
export const sentenceTransformersSettings = (
  dir: string,
): { pooling?: Pooling; normalize: boolean; maxLength?: number } => {
  const modules =
    (readJson(join(dir, 'modules.json')) as unknown as { type?: string; path?: string }[]) ?? [];
  const normalize = modules.some((m) => m.type?.endsWith('.Normalize'));
  const poolingPath = modules.find((m) => m.type?.endsWith('.Pooling'))?.path ?? '1_Pooling';
  const p = readJson(join(dir, poolingPath, 'config.json'));
  const pooling: Pooling | undefined = p?.pooling_mode_cls_token
    ? 'cls'
    : p?.pooling_mode_lasttoken
      ? 'last-token'
      : p?.pooling_mode_mean_tokens
        ? 'mean'
        : undefined;
  const maxLength = readJson(join(dir, 'sentence_bert_config.json'))?.max_seq_length as
    number | undefined;
  return { pooling, normalize, maxLength };
};

/** How many special tokens the tokenizer appends after the text ([SEP] for BERT: 1). */
const specialSuffixLength = (tokenizer: PreTrainedTokenizer): number => {
  const plain = tokenizer.encode('a', { add_special_tokens: false });
  const full = tokenizer.encode('a');
  for (let start = 0; start + plain.length <= full.length; start++) {
    if (plain.every((id, k) => full[start + k] === id)) return full.length - start - plain.length;
  }
  return 0;
};

/**
 * Whether the tokenizer is WordPiece (BERT): each of its tokens covers at least one character, so
 * a text of n UTF-16 code units has at most n tokens besides the special ones. Byte-level BPE and
 * byte-fallback SentencePiece can take up to 3 tokens per code unit.
 */
const wordPieceTokenizer = (dir: string): boolean =>
  (readJson(join(dir, 'tokenizer.json'))?.model as { type?: string } | undefined)?.type ===
  'WordPiece';

/** How many special tokens the tokenizer puts before the text ([CLS] for BERT: 1). */
const specialPrefixLength = (tokenizer: PreTrainedTokenizer, suffix: number): number => {
  const plain = tokenizer.encode('a', { add_special_tokens: false });
  return Math.max(0, tokenizer.encode('a').length - plain.length - suffix);
};

/** Token ids that fit the model, and how they were cut (Truncation in backend.ts). */
interface Fitted {
  ids: number[];
  truncation: Truncation;
}

export interface EncoderLoad {
  dir: string;
  sha256: string;
  tokenizerSha256: string;
  device: DeviceRequest;
  pooling?: Pooling;
  /** The bundled model's precision (which of its graphs onnxPath is); undefined otherwise. */
  precision?: Precision;
  threads?: number;
}

/** A sentence-embedding model (BERT-like encoder) pooled from its last_hidden_state. */
export const loadEncoderBackend = async (load: EncoderLoad, onnxPath: string): Promise<Backend> => {
  const settings = sentenceTransformersSettings(load.dir);
  const pooling = load.pooling ?? settings.pooling ?? 'mean';
  const tokenizer: PreTrainedTokenizer = await AutoTokenizer.from_pretrained(load.dir, {
    local_files_only: true,
  });
  const config = readJson(join(load.dir, 'config.json')) ?? {};
  const maxLength = Math.min(
    settings.maxLength ?? tokenizer.model_max_length ?? 512,
    (config.max_position_embeddings as number | undefined) ?? 512,
    tokenizer.model_max_length ?? Infinity,
  );
  const {
    value: session,
    device,
    deviceReason,
  } = await openOnDevice(load.device, (ep) =>
    ort.InferenceSession.create(onnxPath, {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      interOpNumThreads: 1,
      ...(load.threads ? { intraOpNumThreads: load.threads } : {}),
    }),
  );
  const output = session.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : session.outputNames[0];
  const dimension = (config.hidden_size as number | undefined) ?? 0;

  const suffix = specialSuffixLength(tokenizer);
  const prefix = specialPrefixLength(tokenizer, suffix);
  const padId = BigInt(tokenizer.pad_token_id ?? 0);

  /**
   * A text longer than maxLength tokens, cut to fit. With a prompt boundary (pairwise rows) the
   * prompt loses its first tokens and the response stays whole, since the response is what DPO
   * compares (a reply alone longer than the budget keeps its start); without one the text is cut
   * at its end. The special tokens stay, as Hugging Face's Python tokenizers keep them.
   */
  const fit = (seq: number[], text: string, promptChars: number): Fitted => {
    if (seq.length <= maxLength) return { ids: seq, truncation: 0 };
    const head = seq.slice(0, prefix);
    const tail = seq.slice(seq.length - suffix);
    const budget = maxLength - prefix - suffix;
    if (promptChars <= 0) {
      return { ids: [...seq.slice(0, maxLength - suffix), ...tail], truncation: 2 };
    }
    const plain = { add_special_tokens: false };
    const reply = tokenizer.encode(text.slice(promptChars), plain);
    if (reply.length >= budget) {
      return { ids: [...head, ...reply.slice(0, budget), ...tail], truncation: 2 };
    }
    const prompt = tokenizer.encode(text.slice(0, promptChars), plain);
    const kept = prompt.slice(prompt.length - (budget - reply.length));
    return { ids: [...head, ...kept, ...reply, ...tail], truncation: 1 };
  };

  const tokenizeAll = (texts: readonly string[], promptChars?: readonly number[]): Fitted[] => {
    const enc = tokenizer([...texts], {
      padding: false,
      truncation: false,
      return_tensor: false,
    }) as unknown as { input_ids: number[][] };
    return enc.input_ids.map((seq, i) => fit(seq, texts[i], promptChars?.[i] ?? 0));
  };

  const embedBatch = async (
    texts: readonly string[],
    promptChars?: readonly number[],
  ): Promise<Float32Array> => {
    // One segment: token_type_ids are all 0, as the tokenizer gives them for a single text.
    const idRows = tokenizeAll(texts, promptChars).map((f) => f.ids);
    const batch = idRows.length;
    const seq = Math.max(1, ...idRows.map((r) => r.length));
    const ids = new BigInt64Array(batch * seq).fill(padId);
    const mask = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    idRows.forEach((row, b) => {
      for (let t = 0; t < row.length; t++) {
        ids[b * seq + t] = BigInt(row[t]);
        mask[b * seq + t] = 1n;
      }
    });
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if (name === 'input_ids') feeds[name] = new ort.Tensor('int64', ids, [batch, seq]);
      else if (name === 'attention_mask') feeds[name] = new ort.Tensor('int64', mask, [batch, seq]);
      else if (name === 'token_type_ids')
        feeds[name] = new ort.Tensor('int64', types, [batch, seq]);
      else
        throw new Error(`The model input "${name}" is not one a sentence-embedding model takes.`);
    }
    const result = await session.run(feeds, [output]);
    const hidden = result[output];
    if (hidden.type !== 'float32' || hidden.dims.length !== 3)
      throw new Error(
        `The output ${output} is ${hidden.type} [${hidden.dims.join(', ')}], not float32 [batch, seq, dim].`,
      );
    const dim = hidden.dims[2];
    const rows = poolHidden(
      hidden.data as Float32Array,
      mask,
      batch,
      seq,
      dim,
      pooling,
      settings.normalize,
    );
    hidden.dispose();
    return rows;
  };

  // One pass tells the width when config.json does not.
  const probeDim = dimension || (await embedBatch(['a'])).length;
  return {
    kind: 'sentence-embedding',
    dimension: probeDim,
    device,
    deviceReason,
    pooling,
    sha256: load.sha256,
    ...(load.precision ? { precision: load.precision } : {}),
    identity: JSON.stringify({
      kind: 'sentence-embedding',
      onnx: load.sha256,
      // The graphs differ in their hash already; the name keeps the two apart in the key on its own.
      ...(load.precision ? { precision: load.precision } : {}),
      tokenizer: load.tokenizerSha256,
      pooling,
      normalize: settings.normalize,
      maxLength,
    }),
    maxTokens: maxLength,
    tokensPerChar: wordPieceTokenizer(load.dir) ? 1 : 3,
    embedBatch,
    measure: async (texts, promptChars) =>
      Uint8Array.from(tokenizeAll(texts, promptChars), (f) => f.truncation),
    dispose: () => session.release(),
  };
};
