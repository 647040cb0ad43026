import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import type { AnswerHead, EmbedProgress, Embeddings } from '../types.js';
import { headDimension, readAnswerRows } from './answer-rows.js';
import { answerTokens } from './answer-tokens.js';
import {
  cachedSha256OnnxWithData,
  createHiddenSession,
  loadPreparedGraph,
  type PreparedModel,
  prepareHiddenStateModel,
} from './hidden-cache.js';
import { buildFeeds, lastTokenIndex, packBatch } from './feeds.js';
import type { CausalOnnxInspection } from './inspect.js';
import { type CausalConfig, findCausalOnnx, readModelConfig } from './model-files.js';
import { halfArrayToFloat32 } from './tensor-data.js';

export interface CausalRunnerOptions {
  /** Model folder: config.json, tokenizer files, and the ONNX file (onnx/model.onnx, ...). */
  modelDir: string;
  /** The ONNX file; found in modelDir when omitted. */
  onnxPath?: string;
  /** Where the hidden-state copy of the model is kept; a temp folder when omitted. */
  cacheDir?: string;
  /** SHA-256 of the model (sha256OnnxWithData: graph and external data), when the caller has it. */
  sha256?: string;
  /** onnxruntime execution providers, e.g. ['cuda', 'cpu']. */
  executionProviders?: string[];
  threads?: number;
  batchSize?: number;
  /** Longest prompt in tokens; longer prompts keep their last tokens (the ones g(x) is read at). */
  maxTokens?: number;
  /**
   * Whether a tokenizer with a chat template (tokenizer_config.json's chat_template) sees the texts
   * through it (default true): what the model sees before its answer (runner.ts, tokenizeRow).
   */
  chatTemplate?: boolean;
}

/**
 * The session options, chosen by measurement (docs/causal-lm.md, "Start-up"): every graph
 * optimization, and no pre-packing of the MatMul weights, which copies them all at load.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  extra: { session: { disable_prepacking: '1' } },
};

/**
 * Runs a causal LM's ONNX export up to its final norm and returns the paper's g(x): the final
 * normalized hidden state at the last token of each prompt.
 */
export class CausalLmRunner {
  private constructor(
    readonly onnxPath: string,
    readonly hiddenModelPath: string,
    private readonly prepared: PreparedModel,
    readonly sha256: string,
    readonly inspection: CausalOnnxInspection,
    private dim: number,
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly config: CausalConfig | undefined,
    private readonly options: CausalRunnerOptions,
  ) {}

  static async open(given: CausalRunnerOptions): Promise<CausalLmRunner> {
    // Absolute: transformers.js reads a relative "a/b" as a Hugging Face id.
    const options = { ...given, modelDir: resolve(given.modelDir) };
    const onnxPath = options.onnxPath ?? findCausalOnnx(options.modelDir);
    const config = readModelConfig(options.modelDir);
    const tokenizer = await AutoTokenizer.from_pretrained(options.modelDir, {
      local_files_only: true,
    });
    const cacheDir = options.cacheDir ?? join(tmpdir(), 'preference-lens');
    const sha256 =
      options.sha256 ?? (await cachedSha256OnnxWithData(onnxPath, join(cacheDir, 'hashes')));
    const prepared = await prepareHiddenStateModel(onnxPath, cacheDir, { sha256 });
    const session = await createHiddenSession(prepared, {
      executionProviders: options.executionProviders ?? ['cpu'],
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      ...SESSION_OPTIONS,
    });
    const dim = headDimension(prepared.inspection) ?? config?.hidden_size ?? config?.n_embd ?? 0;
    const runner = new CausalLmRunner(
      onnxPath,
      prepared.path,
      prepared,
      sha256,
      prepared.inspection,
      dim,
      session,
      tokenizer,
      config,
      options,
    );
    // No head and no config to size it from: one forward pass over a single token tells.
    if (!dim) runner.dim = (await runner.hiddenAtLastToken([[tokenizer.bos_token_id ?? 0]])).length;
    return runner;
  }

  get dimension(): number {
    return this.dim;
  }

  /** Token ids of a prompt, with the tokenizer's special tokens (BOS for Llama). */
  tokenize(text: string): number[] {
    return this.keepLast(this.tokenizer.encode(text));
  }

  /** Whether the texts go through the tokenizer's chat template (CausalRunnerOptions.chatTemplate). */
  get usesChatTemplate(): boolean {
    return this.options.chatTemplate !== false && Boolean(this.tokenizer.chat_template);
  }

  /**
   * Token ids of a row as the model sees it, before truncation. Without a chat template: the text
   * with the tokenizer's special tokens. With one: a text with a prompt boundary (a pairwise row)
   * is a user turn (the prompt) and an assistant turn (the response), g(x) read at the end of the
   * response; a text without one (an evals question) is a user turn followed by the generation
   * prompt, so g(x) is read where the model's answer starts.
   */
  private rowIds(text: string, promptChars = 0): number[] {
    if (!this.usesChatTemplate) return this.tokenizer.encode(text);
    const messages =
      promptChars > 0
        ? [
            { role: 'user', content: text.slice(0, promptChars).trim() },
            { role: 'assistant', content: text.slice(promptChars).trim() },
          ]
        : [{ role: 'user', content: text }];
    const ids = this.tokenizer.apply_chat_template(messages, {
      tokenize: true,
      return_tensor: false,
      return_dict: false,
      add_generation_prompt: promptChars <= 0,
    }) as unknown as number[];
    return [...ids];
  }

  private keepLast(ids: number[]): number[] {
    const max = this.maxTokens;
    return ids.length > max ? ids.slice(ids.length - max) : ids;
  }

  /** The longest prompt in tokens (longer ones keep their last tokens). */
  get maxTokens(): number {
    return this.options.maxTokens ?? 1024;
  }

  /**
   * How each text is fitted (backend.ts's Truncation): a causal LM keeps a long text's last
   * tokens, so the response stays whole unless it alone is longer than maxTokens.
   */
  measure(texts: readonly string[], promptChars?: readonly number[]): Uint8Array {
    const max = this.maxTokens;
    return Uint8Array.from(texts, (text, i) => {
      if (this.rowIds(text, promptChars?.[i]).length <= max) return 0;
      const cut = promptChars?.[i] ?? 0;
      if (cut <= 0) return 1;
      const reply = this.tokenizer.encode(text.slice(cut), { add_special_tokens: false });
      return reply.length < max ? 1 : 2;
    });
  }

  /** g(x) for each token sequence, rows [n, d] in the order given. Sequences are run in one batch. */
  async hiddenAtLastToken(seqs: readonly number[][]): Promise<Float32Array> {
    const padId = this.tokenizer.pad_token_id ?? this.tokenizer.eos_token_id ?? 0;
    const packed = packBatch({ ids: seqs.map((s) => [...s]), padId });
    const feeds = buildFeeds(this.session, packed, this.config);
    const name = this.inspection.hiddenOutput as string;
    const results = await this.session.run(feeds, [name]);
    const out = results[name];
    const data =
      out.type === 'float16'
        ? halfArrayToFloat32(out.data as Uint16Array)
        : (out.data as Float32Array);
    if (out.type !== 'float32' && out.type !== 'float16')
      throw new Error(`Hidden state of type ${out.type} is not supported.`);
    const dims = out.dims;
    const d = dims[dims.length - 1];
    const positions = data.length / d;
    if (positions !== packed.batch * packed.seqLen) {
      throw new Error(
        `The hidden state ${name} has shape [${dims.join(', ')}], not one vector per token of the ${packed.batch}x${packed.seqLen} batch.`,
      );
    }
    const last = lastTokenIndex(packed.mask, packed.batch, packed.seqLen);
    const rows = new Float32Array(packed.batch * d);
    for (let b = 0; b < packed.batch; b++) {
      const start = (b * packed.seqLen + last[b]) * d;
      rows.set(data.subarray(start, start + d), b * d);
    }
    return rows;
  }

  /** Embeds prompts in batches of similar length; rows come back in the order of `texts`. */
  async embed(
    texts: readonly string[],
    signal?: AbortSignal,
    onProgress?: (p: EmbedProgress) => void,
    promptChars?: readonly number[],
  ): Promise<Embeddings> {
    const tokenized = texts.map((t, i) => this.keepLast(this.rowIds(t, promptChars?.[i])));
    // Sorted by length so each batch pads little; the order is restored when writing rows.
    const order = tokenized
      .map((_, i) => i)
      .sort((a, b) => tokenized[a].length - tokenized[b].length);
    const batchSize = Math.max(1, this.options.batchSize ?? 8);
    const d = this.dimension;
    const data = new Float32Array(texts.length * d);
    for (let start = 0; start < order.length; start += batchSize) {
      signal?.throwIfAborted();
      const idx = order.slice(start, start + batchSize);
      const rows = await this.hiddenAtLastToken(idx.map((i) => tokenized[i]));
      if (rows.length !== idx.length * d) {
        throw new Error(
          `The hidden state has width ${rows.length / idx.length}, the model was sized at ${d}.`,
        );
      }
      idx.forEach((i, k) => data.set(rows.subarray(k * d, (k + 1) * d), i * d));
      onProgress?.({
        done: Math.min(start + batchSize, order.length),
        total: order.length,
        cached: 0,
      });
    }
    return { data, rows: texts.length, dim: d };
  }

  /** W_U rows of the first token of each answer (" Yes", " No"). */
  answerHead(yes: string, no: string): AnswerHead {
    const tokens = answerTokens(this.tokenizer, yes, no);
    // The derived whole graph: only the two rows are read out of the weights.
    const rows = readAnswerRows(
      loadPreparedGraph(this.prepared),
      [tokens.yes.id, tokens.no.id],
      this.inspection,
    );
    return { yes: rows.yes, no: rows.no, yesToken: tokens.yes.token, noToken: tokens.no.token };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
