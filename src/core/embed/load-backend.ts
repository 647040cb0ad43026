import { existsSync } from 'node:fs';
import { toFloat32 } from '../io/half.js';
import { join } from 'node:path';
import type { Backend } from './backend.js';
import {
  createCausalLmEmbedder,
  findCausalOnnx,
  isCausalLmConfig,
  readModelConfig,
} from './causal/index.js';
import { cachedSha256File, cachedSha256OnnxWithData } from './causal/hidden-cache.js';
import { openOnDevice } from './device.js';
import { findEncoderOnnx, loadEncoderBackend } from './encoder-backend.js';
import { resolveModelFolder } from './model-source.js';
import { fastOnnx } from './precision.js';
import type { LoadSpec } from './protocol.js';

/** Where the hashes of unchanged files are kept (fingerprint.ts). */
const hashRecords = (spec: LoadSpec): string => join(spec.workDir, 'hashes');

const tokenizerSha = async (dir: string, records: string): Promise<string> => {
  const path = join(dir, 'tokenizer.json');
  return existsSync(path) ? cachedSha256File(path, records) : 'none';
};

/** Causal LMs: g(x) = final normalized hidden state at the last prompt token (src/core/embed/causal). */
const loadCausalBackend = async (spec: LoadSpec, id: string, dir: string): Promise<Backend> => {
  if (spec.pooling && spec.pooling !== 'last-token') {
    throw new Error(
      `${id} is a causal LM: its feature is the hidden state at the last prompt token, so pooling ` +
        `must be "last-token", not "${spec.pooling}".`,
    );
  }
  const onnxPath = findCausalOnnx(dir);
  // With external data, model.onnx is only the graph: the weights' hash must be in the key.
  const [sha256, tokSha] = await Promise.all([
    cachedSha256OnnxWithData(onnxPath, hashRecords(spec)),
    tokenizerSha(dir, hashRecords(spec)),
  ]);
  const {
    value: embedder,
    device,
    deviceReason,
  } = await openOnDevice(spec.device, (ep) =>
    createCausalLmEmbedder({
      modelDir: dir,
      onnxPath,
      sha256,
      cacheDir: spec.workDir,
      executionProviders: [ep],
      threads: spec.threads,
      // The parent already cuts the work into batches of similar length.
      batchSize: Number.MAX_SAFE_INTEGER,
      chatTemplate: spec.chatTemplate,
      id,
    }),
  );
  const answerHead = embedder.answerHead;
  return {
    kind: 'causal-lm',
    dimension: embedder.info.dimension,
    device,
    deviceReason,
    pooling: 'last-token',
    sha256,
    identity: JSON.stringify({
      kind: 'causal-lm',
      onnx: sha256,
      tokenizer: tokSha,
      pooling: 'last-token',
      // Rows through the chat template are other token sequences: other vectors.
      ...(embedder.usesChatTemplate ? { chatTemplate: true } : {}),
    }),
    maxTokens: embedder.maxTokens,
    // Byte-level BPE: a UTF-16 code unit is at most 3 UTF-8 bytes, each at most one token.
    tokensPerChar: 3,
    // A causal LM keeps a long text's last tokens: the response is never cut before the prompt.
    embedBatch: async (texts, promptChars) =>
      toFloat32((await embedder.embedRows(texts, promptChars)).data),
    measure: async (texts, promptChars) => embedder.measure(texts, promptChars),
    ...(answerHead ? { answerHead: (yes: string, no: string) => answerHead(yes, no) } : {}),
    dispose: () => embedder.dispose(),
  };
};

/** Resolves the model folder and loads it as a sentence-embedding model or a causal LM. */
export const loadBackend = async (
  spec: LoadSpec,
): Promise<{ id: string; dir: string; backend: Backend }> => {
  const { id, dir } = await resolveModelFolder(
    spec.model,
    spec.bundledDir,
    spec.allowDownload,
    spec.downloadDir,
  );
  if (isCausalLmConfig(readModelConfig(dir)))
    return { id, dir, backend: await loadCausalBackend(spec, id, dir) };
  const onnxPath = spec.precision === 'fast' ? fastOnnx(dir) : findEncoderOnnx(dir);
  const [sha256, tokSha] = await Promise.all([
    cachedSha256OnnxWithData(onnxPath, hashRecords(spec)),
    tokenizerSha(dir, hashRecords(spec)),
  ]);
  const backend = await loadEncoderBackend(
    {
      dir,
      sha256,
      tokenizerSha256: tokSha,
      device: spec.device,
      pooling: spec.pooling,
      precision: spec.precision,
      threads: spec.threads,
    },
    onnxPath,
  );
  return { id, dir, backend };
};
