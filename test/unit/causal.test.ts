import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CausalLmRunner,
  createCausalLmEmbedder,
  createHiddenSession,
  exposeFinalHidden,
  halfToFloat,
  inspectCausalOnnx,
  lastTokenIndex,
  loadOnnx,
  prepareHiddenStateModel,
  readAnswerRows,
  sha256File,
  sha256OnnxWithData,
} from '../../src/core/embed/causal/index.js';
import { createTensor, decodeModel, encodeModel } from '../../src/core/embed/causal/onnx-proto.js';
import { readStrided } from '../../src/core/embed/causal/tensor-data.js';
import {
  DIM,
  FINAL_NORM,
  forward,
  LOGIT_SCALE,
  type HeadStyle,
  makeWeights,
  type TinyWeights,
  VOCAB,
  writeTinyModelDir,
} from './causal-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'pl-causal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

const makeModel = (
  style: HeadStyle,
  seed = 7,
): { dir: string; path: string; weights: TinyWeights } => {
  const dir = join(root, `m${dirCount++}-${style}`);
  const weights = makeWeights(seed);
  const path = writeTinyModelDir(dir, weights, style);
  return { dir, path, weights };
};

const row = (m: Float32Array, v: number) => m.slice(v * DIM, (v + 1) * DIM);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

/** One unpadded sequence through a session, as the exported model's own inputs. */
const runSequence = async (session: ort.InferenceSession, ids: number[]) => {
  const S = ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(ids, [1, S]),
    attention_mask: int64(
      ids.map(() => 1),
      [1, S],
    ),
    position_ids: int64(
      ids.map((_, t) => t),
      [1, S],
    ),
    'past_key_values.0.key': new ort.Tensor('float32', new Float32Array(0), [1, 1, 0, DIM]),
  };
  for (const name of Object.keys(feeds)) if (!session.inputNames.includes(name)) delete feeds[name];
  return session.run(feeds);
};

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tol);
};

describe('inspectCausalOnnx', () => {
  it.each([
    ['matmul', 'DxV', 'float32', 'MatMul'],
    ['float-data', 'DxV', 'float32', 'MatMul'],
    ['transpose', 'VxD', 'float32', 'MatMul'],
    ['gemm', 'VxD', 'float32', 'Gemm'],
    ['fp16', 'VxD', 'float16', 'MatMul'],
    ['last-token', 'DxV', 'float32', 'MatMul'],
  ] as const)('finds the final norm and W_U behind a %s head', (style, layout, dtype, headOp) => {
    const info = inspectCausalOnnx(makeModel(style).path);
    expect(info.logitsOnly).toBe(false);
    expect(info.quantizedHead).toBe(false);
    expect(info.headOp).toBe(headOp);
    expect(info.hiddenOutput).toBe(FINAL_NORM);
    expect(info.finalNormOutput).toBe(FINAL_NORM);
    expect(info.hiddenElemType).toBe(1);
    expect(info.unembedding?.layout).toBe(layout);
    expect(info.unembedding?.dtype).toBe(dtype);
    expect(info.unembedding?.shape).toEqual(layout === 'VxD' ? [VOCAB, DIM] : [DIM, VOCAB]);
  });

  it('reports a logits-only export and refuses to expose it', () => {
    const { path } = makeModel('fused');
    const info = inspectCausalOnnx(path);
    expect(info.logitsOnly).toBe(true);
    expect(info.hiddenOutput).toBeUndefined();
    expect(info.reason).toMatch(/FusedCausalLM/);
    expect(() => exposeFinalHidden(path, join(root, 'fused-out.onnx'))).toThrow(
      /logits-only.*FusedCausalLM/,
    );
    expect(() => readAnswerRows(path, [9, 10])).toThrow(/FusedCausalLM/);
  });

  it('flags a quantized head: the hidden state is still found, its rows are refused', () => {
    const { path } = makeModel('quantized');
    const info = inspectCausalOnnx(path);
    expect(info.quantizedHead).toBe(true);
    expect(info.hiddenOutput).toBe(FINAL_NORM);
    expect(info.unembedding).toBeUndefined();
    expect(() => readAnswerRows(path, [9, 10])).toThrow(
      /quantized MatMulInteger.*float32\/float16 export/,
    );
  });
});

describe('exposeFinalHidden', () => {
  it('ends the graph at the final norm, drops the head, and matches an independent forward pass', async () => {
    const { path, weights } = makeModel('matmul');
    const out = join(root, 'exposed.onnx');
    const exposed = exposeFinalHidden(path, out);
    expect(exposed.hiddenOutput).toBe(FINAL_NORM);
    const graph = decodeModel(readFileSync(out)).graph;
    expect(graph.output.map((o) => o.name)).toEqual([FINAL_NORM]);
    // The LM head and its [d, V] weight are gone; the past input the attention reads is kept.
    expect(graph.initializer.map((t) => t.name)).not.toContain('onnx::MatMul_lm_head');
    expect(graph.input.map((i) => i.name)).toContain('past_key_values.0.key');

    const session = await ort.InferenceSession.create(out);
    const ids = [1, 3, 4, 6, 7, 14];
    const hidden = (await runSequence(session, ids))[FINAL_NORM];
    expect(hidden.dims).toEqual([1, ids.length, DIM]);
    const expected = forward(weights, ids);
    ids.forEach((_, t) =>
      expectClose((hidden.data as Float32Array).subarray(t * DIM, (t + 1) * DIM), expected[t]),
    );
    await session.release();
  });

  it.each([
    'matmul',
    'transpose',
    'gemm',
    'fp16',
    'float-data',
    'last-token',
    'logit-scale',
  ] as const)(
    'keeps the logits when asked, and the %s head rows reproduce them from the hidden state',
    async (style) => {
      const { path, weights } = makeModel(style);
      const out = join(root, `all-${style}.onnx`);
      exposeFinalHidden(path, out, { keepOriginalOutputs: true });
      const session = await ort.InferenceSession.create(out);
      expect(session.outputNames).toEqual(['logits', 'present.0.key', FINAL_NORM]);
      const ids = [1, 11, 12, 13];
      const result = await runSequence(session, ids);
      const S = ids.length;
      const lastHidden = (result[FINAL_NORM].data as Float32Array).slice((S - 1) * DIM, S * DIM);
      const logits = result.logits.data as Float32Array;
      const lastLogits = style === 'last-token' ? logits : logits.slice((S - 1) * VOCAB, S * VOCAB);
      const rows = readAnswerRows(path, [9, 10]);
      // The two rows read from the file are exactly the stored W_U rows (times a logit scale)...
      const scale = style === 'logit-scale' ? LOGIT_SCALE : 1;
      expect(rows.unembedding.scale).toBe(scale);
      expect(Array.from(rows.yes)).toEqual(Array.from(row(weights.unembed, 9), (v) => v * scale));
      expect(Array.from(rows.no)).toEqual(Array.from(row(weights.unembed, 10), (v) => v * scale));
      // ...and they are the ones the graph multiplies g(x) by.
      expect(Math.abs(dot(rows.yes, lastHidden) - lastLogits[9])).toBeLessThan(1e-5);
      expect(Math.abs(dot(rows.no, lastHidden) - lastLogits[10])).toBeLessThan(1e-5);
      await session.release();
    },
  );
});

describe('external data', () => {
  it('reads answer rows from a separate data file and runs the cached hidden-state model', async () => {
    const { dir, path, weights } = makeModel('transpose');
    // Move the tied embedding / unembedding table into model.onnx_data, as large exports do.
    const model = decodeModel(readFileSync(path));
    const table = model.graph.initializer.find((t) => t.name === 'embed_tokens.weight');
    if (!table) throw new Error('fixture lacks the embedding table');
    const padding = Buffer.alloc(64, 0xff);
    writeFileSync(
      join(dir, 'onnx', 'model.onnx_data'),
      Buffer.concat([padding, Buffer.from(table.raw_data)]),
    );
    table.raw_data = new Uint8Array(0);
    table.data_location = 1;
    table.external_data = [
      { key: 'location', value: 'model.onnx_data' },
      { key: 'offset', value: '64' },
      { key: 'length', value: String(VOCAB * DIM * 4) },
    ];
    writeFileSync(path, encodeModel(model));

    const rows = readAnswerRows(path, [9, 10]);
    expect(Array.from(rows.yes)).toEqual(Array.from(row(weights.embed, 9)));
    expect(Array.from(rows.no)).toEqual(Array.from(row(weights.embed, 10)));

    const cacheDir = join(root, 'cache-ext');
    const first = await prepareHiddenStateModel(path, cacheDir);
    expect(first.cached).toBe(false);
    const again = await prepareHiddenStateModel(path, cacheDir);
    expect(again.cached).toBe(true);
    expect(again.path).toBe(first.path);
    const session = await createHiddenSession(first);
    const ids = [1, 9, 10];
    const hidden = (await runSequence(session, ids))[FINAL_NORM].data as Float32Array;
    expectClose(hidden.subarray(2 * DIM), forward(weights, ids)[2]);
    await session.release();

    // A second checkpoint exported alike: the same model.onnx, other weights in model.onnx_data.
    const other = join(root, 'checkpoint-b');
    cpSync(dir, other, { recursive: true });
    const weightsB = { ...weights, embed: Float32Array.from(weights.embed, (v) => -v) };
    writeFileSync(
      join(other, 'onnx', 'model.onnx_data'),
      Buffer.concat([padding, Buffer.from(weightsB.embed.buffer)]),
    );
    const pathB = join(other, 'onnx', 'model.onnx');
    expect(await sha256File(pathB)).toBe(await sha256File(path));
    expect(await sha256OnnxWithData(pathB)).not.toBe(await sha256OnnxWithData(path));
    const runnerA = await CausalLmRunner.open({ modelDir: dir, cacheDir });
    const runnerB = await CausalLmRunner.open({ modelDir: other, cacheDir });
    const [a, b] = [await runnerA.embed(['I like cats']), await runnerB.embed(['I like cats'])];
    expectClose(a.data, forward(weights, [1, 11, 12, 13])[3]);
    expectClose(b.data, forward(weightsB, [1, 11, 12, 13])[3]);
    expect(runnerA.hiddenModelPath).not.toBe(runnerB.hiddenModelPath);
    await runnerA.dispose();
    await runnerB.dispose();
  });
});

describe('the derived hidden-state graph', () => {
  it('holds no copy of inline weights: it references them in the source file, and runs', async () => {
    const { path, weights } = makeModel('transpose');
    const weightBytes = statSync(path).size;
    const cacheDir = join(root, 'cache-inline');
    const first = await prepareHiddenStateModel(path, cacheDir);
    expect(first.cached).toBe(false);
    // No graph in the cache keeps weight data of its own: every tensor of 128 bytes or more
    // points at its bytes inside the source model.onnx, and those bytes are the weights.
    const source = readFileSync(path);
    const graphs = filesUnder(cacheDir).filter((f) => f.endsWith('.onnx'));
    expect(graphs.length).toBe(2);
    let referenced = 0;
    for (const file of graphs) {
      expect(statSync(file).size).toBeLessThan(weightBytes - weights.embed.byteLength);
      for (const t of decodeModel(readFileSync(file)).graph.initializer) {
        const size = t.dims.reduce<number>((n, d) => n * Number(d), 1) * 4;
        if (size < 128) continue;
        expect(t.raw_data.length).toBe(0);
        const entry = (key: string) => t.external_data.find((e) => e.key === key)?.value;
        expect(entry('location')).toBe('model.onnx');
        if (t.name === 'embed_tokens.weight') {
          const at = Number(entry('offset'));
          const bytes = source.subarray(at, at + Number(entry('length')));
          expect(
            new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
          ).toEqual(weights.embed);
          referenced++;
        }
      }
    }
    expect(referenced).toBe(2);

    const session = await createHiddenSession(first);
    const ids = [1, 9, 10, 11];
    const hidden = (await runSequence(session, ids))[FINAL_NORM].data as Float32Array;
    expectClose(hidden.subarray(3 * DIM), forward(weights, ids)[3]);
    await session.release();

    // A second look reads the entry, not the model; a rewritten model is derived again.
    expect((await prepareHiddenStateModel(path, cacheDir)).cached).toBe(true);
    const other = makeWeights(99);
    writeFileSync(path, readFileSync(makeModel('transpose', 99).path));
    const again = await prepareHiddenStateModel(path, cacheDir);
    expect(again.cached).toBe(false);
    const session2 = await createHiddenSession(again);
    const hidden2 = (await runSequence(session2, ids))[FINAL_NORM].data as Float32Array;
    expectClose(hidden2.subarray(3 * DIM), forward(other, ids)[3]);
    await session2.release();
  });
});

describe('CausalLmRunner and createCausalLmEmbedder', () => {
  const texts = [
    'Is the following statement good ?',
    'I like cats',
    'Yes',
    'Is the statement bad ? Answer:',
    'I like the cats ? No',
  ];

  it('returns g(x) at the last prompt token, the same in any batch size', async () => {
    const { dir, weights } = makeModel('matmul');
    const cacheDir = join(root, 'cache-runner');
    const batched = await CausalLmRunner.open({ modelDir: dir, cacheDir, batchSize: 3 });
    const single = await CausalLmRunner.open({ modelDir: dir, cacheDir, batchSize: 1 });
    expect(batched.dimension).toBe(DIM);
    const progress: number[] = [];
    const a = await batched.embed(texts, undefined, (p) => progress.push(p.done));
    const b = await single.embed(texts);
    expect(progress).toEqual([3, 5]);
    expect(a.rows).toBe(texts.length);
    expect(a.dim).toBe(DIM);
    expectClose(a.data, b.data, 1e-6);
    texts.forEach((text, i) => {
      const ids = batched.tokenize(text);
      expect(ids[0]).toBe(1); // BOS from the tokenizer's template
      expectClose(a.data.subarray(i * DIM, (i + 1) * DIM), forward(weights, ids)[ids.length - 1]);
    });
    // Different prompts give different vectors (the padding did not leak into the last token).
    expect(Array.from(a.data.subarray(0, DIM))).not.toEqual(
      Array.from(a.data.subarray(DIM, 2 * DIM)),
    );
    await batched.dispose();
    await single.dispose();
  });

  it('stops between batches when aborted', async () => {
    const { dir } = makeModel('matmul');
    // A relative folder is a folder, not a Hugging Face id.
    const runner = await CausalLmRunner.open({
      modelDir: relative(process.cwd(), dir),
      cacheDir: join(root, 'cache-abort'),
      batchSize: 1,
    });
    expect((await runner.embed(texts.slice(0, 1))).rows).toBe(1);
    const controller = new AbortController();
    controller.abort();
    await expect(runner.embed(texts, controller.signal)).rejects.toThrow(/abort/i);
    await runner.dispose();
  });

  it('is an Embedder with the answer rows of " Yes" and " No"', async () => {
    const { dir, path, weights } = makeModel('fp16');
    const embedder = await createCausalLmEmbedder({
      modelDir: dir,
      cacheDir: join(root, 'cache-emb'),
      id: 'tiny',
    });
    expect(embedder.info).toMatchObject({
      id: 'tiny',
      kind: 'causal-lm',
      dimension: DIM,
      pooling: 'last-token',
    });
    expect(embedder.info.sha256).toMatch(/^[0-9a-f]{64}$/);
    const head = await embedder.answerHead?.(' Yes', ' No');
    expect(head?.yesToken).toBe('▁Yes');
    expect(head?.noToken).toBe('▁No');
    expect(Array.from(head?.yes ?? [])).toEqual(Array.from(row(weights.unembed, 9)));
    expect(Array.from(head?.no ?? [])).toEqual(Array.from(row(weights.unembed, 10)));
    await expect(embedder.answerHead?.(' Maybe', ' No')).rejects.toThrow(
      /not in the tokenizer's vocabulary/,
    );
    const e = await embedder.embed(['I like cats']);
    const ids = [1, 11, 12, 13];
    expectClose(e.data, forward(weights, ids)[3]);
    await embedder.dispose();
    expect(loadOnnx(path).model.graph.output.map((o) => o.name)).toContain('logits'); // source untouched
  });

  it('embeds with a quantized head, offers no answer head, and says why', async () => {
    const { dir, weights } = makeModel('quantized');
    const embedder = await createCausalLmEmbedder({
      modelDir: dir,
      cacheDir: join(root, 'cache-q'),
    });
    const e = await embedder.embed(['I like cats']);
    expectClose(e.data, forward(weights, [1, 11, 12, 13])[3]);
    expect(embedder.answerHead).toBeUndefined();
    expect(embedder.answerHeadUnavailable).toMatch(/quantized MatMulInteger/);
    await embedder.dispose();
  });

  it.each([
    ['simplified-norm', 'SimplifiedLayerNormalization', 1, 1e-5],
    ['skip-norm', 'SkipSimplifiedLayerNormalization', 1, 1e-5],
    // float16 keeps ~3 decimal digits: the g(x) read back as float16 matches to that.
    ['fp16-hidden', 'SimplifiedLayerNormalization', 10, 2e-3],
  ] as const)('reads g(x) after a fused %s final norm', async (style, normOp, elemType, tol) => {
    const { dir, path, weights } = makeModel(style);
    const info = inspectCausalOnnx(path);
    expect(info).toMatchObject({ hiddenOutput: FINAL_NORM, finalNormOutput: FINAL_NORM, normOp });
    expect(info.hiddenElemType).toBe(elemType);
    const embedder = await createCausalLmEmbedder({
      modelDir: dir,
      cacheDir: join(root, `cache-${style}`),
    });
    const e = await embedder.embed(['I like cats', 'Is the statement good ?']);
    expectClose(e.data.subarray(0, DIM), forward(weights, [1, 11, 12, 13])[3], tol);
    expectClose(e.data.subarray(DIM), forward(weights, [1, 3, 4, 6, 7, 14])[5], tol);
    await embedder.dispose();
  });

  it('refuses a logits-only export with a clear message', async () => {
    const { dir } = makeModel('fused');
    await expect(
      createCausalLmEmbedder({ modelDir: dir, cacheDir: join(root, 'cache-f') }),
    ).rejects.toThrow(/logits-only.*final normalized hidden state/);
  });
});

describe('helpers', () => {
  it('finds the last real token under left and right padding', () => {
    const right = [1, 1, 1, 0, 1, 1, 0, 0];
    const left = [0, 1, 1, 1, 0, 0, 1, 1];
    expect(lastTokenIndex(right, 2, 4)).toEqual([2, 1]);
    expect(lastTokenIndex(left, 2, 4)).toEqual([3, 3]);
    expect(() => lastTokenIndex([0, 0], 1, 2)).toThrow(/no unmasked token/);
  });

  it('reads bfloat16 raw_data and float16 kept in int32_data, row- and column-wise', () => {
    // [[1, -2, 0.5], [3, 0.25, -1]] as bfloat16 (upper halves of the float32 bits) and float16.
    const values = [1, -2, 0.5, 3, 0.25, -1];
    const f32 = new Float32Array(values);
    const bf16 = Uint16Array.from(new Uint32Array(f32.buffer), (b) => b >>> 16);
    const half = [0x3c00, 0xc000, 0x3800, 0x4200, 0x3400, 0xbc00];
    const bfTensor = createTensor({
      name: 'bf',
      dims: [2, 3],
      data_type: 16,
      raw_data: Buffer.from(bf16.buffer),
    });
    const hTensor = createTensor({ name: 'h', dims: [2, 3], data_type: 10, int32_data: half });
    for (const t of [bfTensor, hTensor]) {
      expect(Array.from(readStrided(t, root, 3, 1, 3))).toEqual([3, 0.25, -1]); // row 1
      expect(Array.from(readStrided(t, root, 1, 3, 2))).toEqual([-2, 0.25]); // column 1
    }
    expect(() => readStrided(hTensor, root, 4, 3, 2)).toThrow(/out of range/);
  });

  it('decodes float16 bit patterns', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});

describe('chat templates (what a chat model sees before its answer)', () => {
  // A template in the fixture's 16-token vocabulary: each turn's content after a space, a user
  // turn closed by " Answer:", the generation prompt " Yes".
  const TEMPLATE =
    "{{ bos_token }}{% for m in messages %}{{ ' ' + m['content'] }}{% if m['role'] == 'user' %} Answer:{% endif %}{% endfor %}{% if add_generation_prompt %} Yes{% endif %}";
  const withTemplate = (): { dir: string; weights: TinyWeights } => {
    const { dir, weights } = makeModel('matmul');
    const configPath = join(dir, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, chat_template: TEMPLATE }));
    return { dir, weights };
  };
  const ids = async (dir: string, text: string): Promise<number[]> => {
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    return tokenizer.encode(text, { add_special_tokens: false });
  };

  it('an evals question is a user turn and the generation prompt; a pair, user and assistant turns', async () => {
    const { dir, weights } = withTemplate();
    const runner = await CausalLmRunner.open({ modelDir: dir, cacheDir: join(root, 'cache-chat') });
    expect(runner.usesChatTemplate).toBe(true);
    const question = 'Is the statement bad ?';
    const pair = 'I like cats\nNo';
    const out = await runner.embed([question, pair], undefined, undefined, [0, 12]);
    const q = await ids(dir, '<s> Is the statement bad ? Answer: Yes');
    const p = await ids(dir, '<s> I like cats Answer: No');
    expect(q[0]).toBe(1);
    expectClose(out.data.subarray(0, DIM), forward(weights, q)[q.length - 1]);
    expectClose(out.data.subarray(DIM, 2 * DIM), forward(weights, p)[p.length - 1]);
    await runner.dispose();
  });

  it('chatTemplate: false embeds the plain text, as without a template', async () => {
    const { dir, weights } = withTemplate();
    const runner = await CausalLmRunner.open({
      modelDir: dir,
      cacheDir: join(root, 'cache-chat-off'),
      chatTemplate: false,
    });
    expect(runner.usesChatTemplate).toBe(false);
    const text = 'Is the statement bad ?';
    const out = await runner.embed([text]);
    const plain = runner.tokenize(text);
    expectClose(out.data, forward(weights, plain)[plain.length - 1]);
    await runner.dispose();
  });
});
