import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createCausalLmEmbedder,
  type CausalLmEmbedder,
  inspectCausalOnnx,
} from '../../src/core/embed/causal/index.js';
import { cosine, describeSmolLM2, dot, roundToHalf, SMOLLM2_DIR } from './smollm2-model.js';

// The export shapes users bring, on the real SmolLM2 weights (tools/causal/gguf_to_onnx.py
// --variants): float16 with past_key_values/present, an int8 tied embedding behind
// DequantizeLinear, a 4-bit MatMulNBits head. Expected values come from the models themselves
// (their own logits, computed by onnxruntime over the whole graph) and from the float32 export.
const TEXTS = [
  'Is the following statement something you would say?\n"I enjoy helping people solve their problems"',
  'Is the following statement something you would say?\n"Rules are meant to be broken"',
  'Is the following statement something you would say?\n"I would like to have more influence over the world"',
];
const YES = 'ĠYes';
const NO = 'ĠNo';

const onnx = (name: string) => join(SMOLLM2_DIR, 'onnx', name);

/** The model's own logits for TEXTS[i] at the last prompt token: the reference for h · W_U[y]. */
const logitsAtLast = async (file: string, ids: number[], tokens: number[]): Promise<number[]> => {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 2 });
  try {
    const n = ids.length;
    const long = (v: number[]) =>
      new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: long(ids),
      attention_mask: long(ids.map(() => 1)),
      position_ids: long(ids.map((_, i) => i)),
    };
    for (const name of session.inputNames) {
      if (name.startsWith('past_key_values.'))
        feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, 3, 0, 64]);
    }
    const out = (await session.run(feeds, ['logits'])).logits;
    const vocab = out.dims[2];
    const data = out.data as Float32Array;
    return tokens.map((t) => data[(n - 1) * vocab + t]);
  } finally {
    await session.release();
  }
};

describeSmolLM2(
  'SmolLM2 export variants (past_key_values, float16, quantized heads)',
  () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-smollm2-variants-'));
    let fp32: CausalLmEmbedder;
    let reference: Float32Array;
    let referenceHead: { yes: Float32Array; no: Float32Array };
    let ids: number[];
    let tokenIds: [number, number];
    beforeAll(async () => {
      fp32 = await createCausalLmEmbedder({ modelDir: SMOLLM2_DIR, cacheDir: root, threads: 2 });
      reference = (await fp32.embed(TEXTS)).data;
      referenceHead = await fp32.answerHead!(' Yes', ' No');
      const tokenizer = await AutoTokenizer.from_pretrained(SMOLLM2_DIR, {
        local_files_only: true,
      });
      ids = [
        ...(tokenizer.apply_chat_template([{ role: 'user', content: TEXTS[0] }], {
          tokenize: true,
          return_tensor: false,
          return_dict: false,
          add_generation_prompt: true,
        }) as unknown as number[]),
      ];
      const vocab = (
        JSON.parse(readFileSync(join(SMOLLM2_DIR, 'tokenizer.json'), 'utf8')) as {
          model: { vocab: Record<string, number> };
        }
      ).model.vocab;
      tokenIds = [vocab[YES], vocab[NO]];
      await fp32.dispose();
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    const open = (file: string) =>
      createCausalLmEmbedder({
        modelDir: SMOLLM2_DIR,
        onnxPath: onnx(file),
        cacheDir: root,
        threads: 2,
      });

    it('float32, tied head: the answer rows give the model its own logits', async () => {
      const logits = await logitsAtLast(onnx('model.onnx'), ids, tokenIds);
      const h = reference.subarray(0, 576);
      expect(dot(h, referenceHead.yes)).toBeCloseTo(logits[0], 3);
      expect(dot(h, referenceHead.no)).toBeCloseTo(logits[1], 3);
    });

    it('float16 with empty past_key_values: g(x) agrees with float32, the rows are its float16 weights', async () => {
      const info = inspectCausalOnnx(onnx('model_fp16.onnx'));
      expect(info.unembedding?.dtype).toBe('float16');
      const e = await open('model_fp16.onnx');
      try {
        const data = (await e.embed(TEXTS)).data;
        for (let r = 0; r < TEXTS.length; r++) {
          const c = cosine(
            data.subarray(r * 576, (r + 1) * 576),
            reference.subarray(r * 576, (r + 1) * 576),
          );
          expect(c).toBeGreaterThan(0.999);
        }
        const head = await e.answerHead!(' Yes', ' No');
        expect(Array.from(head.yes)).toEqual(Array.from(referenceHead.yes, roundToHalf));
        expect(Array.from(head.no)).toEqual(Array.from(referenceHead.no, roundToHalf));
      } finally {
        await e.dispose();
      }
    });

    it.each([
      ['model_quantized.onnx', 'dequantize-linear', 0.999],
      ['model_q4.onnx', 'matmul-nbits', 0.99],
    ] as const)(
      '%s: the %s head is dequantized exactly (its rows give the model its own logits)',
      async (file, kind, rowCosine) => {
        const info = inspectCausalOnnx(onnx(file));
        expect(info.quantizedHead).toBe(true);
        expect(info.quantizedUnembedding?.kind).toBe(kind);
        const e = await open(file);
        try {
          const data = (await e.embed(TEXTS)).data;
          const head = await e.answerHead!(' Yes', ' No');
          // Quantization error only: the rows stay close to the float32 checkpoint's.
          expect(cosine(head.yes, referenceHead.yes)).toBeGreaterThan(rowCosine);
          expect(cosine(head.no, referenceHead.no)).toBeGreaterThan(rowCosine);
          const logits = await logitsAtLast(onnx(file), ids, tokenIds);
          const h = data.subarray(0, 576);
          expect(dot(h, head.yes)).toBeCloseTo(logits[0], 3);
          expect(dot(h, head.no)).toBeCloseTo(logits[1], 3);
          for (let r = 0; r < TEXTS.length; r++) {
            const c = cosine(
              data.subarray(r * 576, (r + 1) * 576),
              reference.subarray(r * 576, (r + 1) * 576),
            );
            expect(c).toBeGreaterThan(0.99);
          }
        } finally {
          await e.dispose();
        }
      },
    );
  },
  true,
);
