// Builds a tiny causal LM as ONNX at test time (no Python): token + position embeddings, a
// causal running mean over the positions (after concatenating an optional past), one residual
// Tanh layer, an RMSNorm written in primitive ops, and an LM head in one of several export styles.
// `forward` recomputes the same network in plain JS, independently of onnxruntime.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createModel, encodeModel } from '../../src/core/embed/causal/onnx-proto.js';

export const VOCAB = 16;
export const DIM = 8;
export const MAX_POS = 64;
export const EPS = 1e-5;
export const LOGIT_SCALE = 0.0625;
export const FINAL_NORM = 'model.norm.output';
// Relative to the repository root, where vitest (and the tools/causal scripts) run.
export const FIXTURE_TOKENIZER = resolve('test', 'fixtures', 'causal', 'tiny-llama');

export type HeadStyle =
  | 'matmul' // MatMul with a pre-transposed [d, V] initializer (torch.onnx's Linear)
  | 'transpose' // MatMul(h, Transpose(W_U)) with W_U stored [V, d] (tied embeddings)
  | 'gemm' // Reshape to 2-D, Gemm(transB=1) with W_U [V, d], Reshape back
  | 'fp16' // W_U stored float16 [V, d], Cast to float, Transpose
  | 'float-data' // like 'matmul' but the initializer uses float_data instead of raw_data
  | 'last-token' // Gather(position -1) before the head: logits only for the last position
  | 'quantized' // DynamicQuantizeLinear + MatMulInteger (onnxruntime's dynamic int8 quantization)
  | 'logit-scale' // MatMul then Mul by a scalar (Cohere's logit_scale = 0.0625)
  | 'simplified-norm' // final norm is one SimplifiedLayerNormalization node (onnxruntime's fused RMSNorm)
  | 'skip-norm' // residual add + norm fused in com.microsoft SkipSimplifiedLayerNormalization (4 outputs)
  | 'fp16-hidden' // norm computed in float16, Cast to float32 before the head: g(x) comes back as float16
  | 'fused'; // one opaque op from input_ids to logits: nothing to expose

export interface TinyWeights {
  embed: Float32Array; // [V, d]
  pos: Float32Array; // [MAX_POS, d]
  w1: Float32Array; // [d, d]
  b1: Float32Array; // [d]
  gamma: Float32Array; // [d]
  unembed: Float32Array; // W_U [V, d]
}

const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Values on a 1/256 grid in [-1, 1): exactly representable in float16, so fp16 rows compare exactly. */
export const makeWeights = (seed = 7): TinyWeights => {
  const rand = mulberry32(seed);
  const fill = (n: number, scale = 1) =>
    Float32Array.from({ length: n }, () => (Math.round((rand() * 2 - 1) * 256) / 256) * scale);
  return {
    embed: fill(VOCAB * DIM),
    pos: fill(MAX_POS * DIM, 0.25),
    w1: fill(DIM * DIM),
    b1: fill(DIM, 0.5),
    gamma: Float32Array.from(fill(DIM), (g) => 1 + g / 2),
    unembed: fill(VOCAB * DIM),
  };
};

const transpose = (m: Float32Array, rows: number, cols: number): Float32Array => {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
};

/** float -> IEEE half for values that are exactly representable (the 1/256 grid above). */
const floatToHalf = (v: number): number => {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const exp = Math.floor(Math.log2(a));
  if (exp < -14) return sign | Math.round(a / 2 ** -24);
  return sign | ((exp + 15) << 10) | Math.round((a / 2 ** exp - 1) * 1024);
};

const raw = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const i64 = (values: number[]) => Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer);

const FLOAT = 1;
const INT64 = 7;
const UINT8 = 2;
const FLOAT16 = 10;

type Attr = { name: string; type: number; i?: number; ints?: number[]; f?: number };
const ai = (name: string, i: number): Attr => ({ name, type: 2, i });
const ais = (name: string, ints: number[]): Attr => ({ name, type: 7, ints });
const af = (name: string, f: number): Attr => ({ name, type: 1, f });

interface NodeSpec {
  op_type: string;
  input: string[];
  output: string[];
  name: string;
  domain?: string;
  attribute?: Attr[];
}

const valueInfo = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: {
    tensor_type: {
      elem_type: elemType,
      shape: {
        dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
      },
    },
  },
});

/** Encodes the tiny model with the given head style. */
export const buildTinyCausalLm = (weights: TinyWeights, style: HeadStyle): Uint8Array => {
  const nodes: NodeSpec[] = [];
  const inits: Record<string, unknown>[] = [];
  let counter = 0;
  const node = (
    op: string,
    input: string[],
    attrs: Attr[] = [],
    outputs = 1,
    domain?: string,
  ): string[] => {
    const name = `/${op}_${counter++}`;
    const output = Array.from({ length: outputs }, (_, k) => `${name}_output_${k}`);
    nodes.push({
      op_type: op,
      input,
      output,
      name,
      attribute: attrs,
      ...(domain ? { domain } : {}),
    });
    return output;
  };
  const init = (name: string, dims: number[], data: Buffer, dataType = FLOAT) => {
    inits.push({ name, dims, data_type: dataType, raw_data: data });
    return name;
  };

  const outputs = [valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', VOCAB])];
  const inputs = [
    valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', INT64, ['batch_size', 'sequence_length']),
    valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('past_key_values.0.key', FLOAT, ['batch_size', 1, 'past_sequence_length', DIM]),
  ];

  if (style === 'fused') {
    nodes.push({
      op_type: 'FusedCausalLM',
      domain: 'com.example',
      name: 'fused',
      input: ['input_ids', 'attention_mask'],
      output: ['logits'],
    });
  } else {
    init('embed_tokens.weight', [VOCAB, DIM], raw(weights.embed));
    init('embed_positions.weight', [MAX_POS, DIM], raw(weights.pos));
    const [tok] = node('Gather', ['embed_tokens.weight', 'input_ids']);
    const [pos] = node('Gather', ['embed_positions.weight', 'position_ids']);
    const [sum] = node('Add', [tok, pos]);
    const [maskF] = node('Cast', ['attention_mask'], [ai('to', FLOAT)]);
    const [mask3] = node('Unsqueeze', [maskF, init('axes_last', [1], i64([-1]), INT64)]);
    const [x] = node('Mul', [sum, mask3]);
    // Past and present as in an attention layer: concatenate, keep the current positions.
    const [x4] = node('Unsqueeze', [x, init('axes_1', [1], i64([1]), INT64)]);
    const [cat] = node('Concat', ['past_key_values.0.key', x4], [ai('axis', 2)]);
    nodes.push({ op_type: 'Identity', input: [cat], output: ['present.0.key'], name: 'present' });
    outputs.push(
      valueInfo('present.0.key', FLOAT, ['batch_size', 1, 'total_sequence_length', DIM]),
    );
    const [pastLen] = node('Shape', ['past_key_values.0.key'], [ai('start', 2), ai('end', 3)]);
    const [cur4] = node('Slice', [
      cat,
      pastLen,
      init('big', [1], i64([1 << 30]), INT64),
      init('axis2', [1], i64([2]), INT64),
    ]);
    const [cur] = node('Squeeze', [cur4, 'axes_1']);
    // Causal running mean: L[t, s] = 1/(t+1) for s <= t.
    const [seqLen] = node('Shape', ['input_ids'], [ai('start', 1), ai('end', 2)]);
    const [sq] = node('Concat', [seqLen, seqLen], [ai('axis', 0)]);
    const ones = {
      name: 'one',
      dims: [1],
      data_type: FLOAT,
      raw_data: raw(new Float32Array([1])),
    };
    const [square] = node('ConstantOfShape', [sq]);
    nodes[nodes.length - 1].attribute = [{ name: 'value', type: 4, t: ones } as unknown as Attr];
    const [lower] = node('Trilu', [square], [ai('upper', 0)]);
    const [rowSum] = node(
      'ReduceSum',
      [lower, init('axes_row', [1], i64([1]), INT64)],
      [ai('keepdims', 1)],
    );
    const [weightsL] = node('Div', [lower, rowSum]);
    const [mix] = node('MatMul', [weightsL, cur]);
    const [lin] = node('MatMul', [mix, init('layer.w1', [DIM, DIM], raw(weights.w1))]);
    const [biased] = node('Add', [lin, init('layer.b1', [DIM], raw(weights.b1))]);
    const [act] = node('Tanh', [biased]);
    const gamma = () => init('model.norm.weight', [DIM], raw(weights.gamma));
    if (style === 'skip-norm') {
      nodes.push({
        op_type: 'SkipSimplifiedLayerNormalization',
        domain: 'com.microsoft',
        input: [act, x, gamma()],
        output: [FINAL_NORM, '', '', '/model/norm/residual'],
        name: '/model/norm/SkipSimplifiedLayerNorm',
        attribute: [af('epsilon', EPS)],
      });
    } else {
      const [h] = node('Add', [act, x]);
      if (style === 'simplified-norm') {
        nodes.push({
          op_type: 'SimplifiedLayerNormalization',
          input: [h, gamma()],
          output: [FINAL_NORM],
          name: '/model/norm/SimplifiedLayerNormalization',
          attribute: [ai('axis', -1), af('epsilon', EPS)],
        });
      } else if (style === 'fp16-hidden') {
        const [h16] = node('Cast', [h], [ai('to', FLOAT16)]);
        const gamma16 = Buffer.from(Uint16Array.from(weights.gamma, floatToHalf).buffer);
        nodes.push({
          op_type: 'SimplifiedLayerNormalization',
          input: [h16, init('model.norm.weight_fp16', [DIM], gamma16, FLOAT16)],
          output: [FINAL_NORM],
          name: '/model/norm/SimplifiedLayerNormalization',
          attribute: [ai('axis', -1), af('epsilon', EPS)],
        });
      } else {
        // RMSNorm from primitives; the final Mul(gamma) is the norm's output.
        const [h2] = node('Pow', [h, init('two', [], raw(new Float32Array([2])))]);
        const [ms] = node('ReduceMean', [h2], [ais('axes', [-1]), ai('keepdims', 1)]);
        const [mse] = node('Add', [ms, init('eps', [], raw(new Float32Array([EPS])))]);
        const [rms] = node('Sqrt', [mse]);
        const [normed] = node('Div', [h, rms]);
        nodes.push({
          op_type: 'Mul',
          input: [normed, gamma()],
          output: [FINAL_NORM],
          name: '/model/norm/Mul',
        });
      }
    }
    const headOut = (out: string) => {
      nodes[nodes.length - 1].output = [out];
    };
    const wT = transpose(weights.unembed, VOCAB, DIM); // [d, V]
    if (style === 'matmul' || style === 'simplified-norm' || style === 'skip-norm') {
      node('MatMul', [FINAL_NORM, init('onnx::MatMul_lm_head', [DIM, VOCAB], raw(wT))]);
      headOut('logits');
    } else if (style === 'logit-scale') {
      const [product] = node('MatMul', [
        FINAL_NORM,
        init('onnx::MatMul_lm_head', [DIM, VOCAB], raw(wT)),
      ]);
      node('Mul', [product, init('logit_scale', [], raw(new Float32Array([LOGIT_SCALE])))]);
      headOut('logits');
    } else if (style === 'fp16-hidden') {
      const [h32] = node('Cast', [FINAL_NORM], [ai('to', FLOAT)]);
      node('MatMul', [h32, init('onnx::MatMul_lm_head', [DIM, VOCAB], raw(wT))]);
      headOut('logits');
    } else if (style === 'float-data') {
      inits.push({
        name: 'lm_head.float',
        dims: [DIM, VOCAB],
        data_type: FLOAT,
        float_data: Array.from(wT),
      });
      node('MatMul', [FINAL_NORM, 'lm_head.float']);
      headOut('logits');
    } else if (style === 'transpose') {
      const [t] = node('Transpose', ['embed_tokens.weight'], [ais('perm', [1, 0])]);
      // This style ties W_U to the embedding table, as Gemma and small Llamas do.
      weights.unembed.set(weights.embed);
      node('MatMul', [FINAL_NORM, t]);
      headOut('logits');
    } else if (style === 'gemm') {
      const [flat] = node('Reshape', [FINAL_NORM, init('shape2d', [2], i64([-1, DIM]), INT64)]);
      const [g] = node(
        'Gemm',
        [flat, init('lm_head.weight', [VOCAB, DIM], raw(weights.unembed))],
        [ai('transB', 1), af('alpha', 1)],
      );
      const [inShape] = node('Shape', [FINAL_NORM], [ai('start', 0), ai('end', 2)]);
      const [outShape] = node(
        'Concat',
        [inShape, init('vocab', [1], i64([VOCAB]), INT64)],
        [ai('axis', 0)],
      );
      node('Reshape', [g, outShape]);
      headOut('logits');
    } else if (style === 'fp16') {
      const half = Buffer.from(Uint16Array.from(weights.unembed, floatToHalf).buffer);
      const [c] = node(
        'Cast',
        [init('lm_head.weight', [VOCAB, DIM], half, FLOAT16)],
        [ai('to', FLOAT)],
      );
      const [t] = node('Transpose', [c], [ais('perm', [1, 0])]);
      node('MatMul', [FINAL_NORM, t]);
      headOut('logits');
    } else if (style === 'last-token') {
      const [lastPos] = node(
        'Gather',
        [FINAL_NORM, init('minus1', [], i64([-1]), INT64)],
        [ai('axis', 1)],
      );
      node('MatMul', [lastPos, init('onnx::MatMul_lm_head', [DIM, VOCAB], raw(wT))]);
      headOut('logits');
      outputs[0] = valueInfo('logits', FLOAT, ['batch_size', VOCAB]);
    } else if (style === 'quantized') {
      const [q, scale, zp] = node('DynamicQuantizeLinear', [FINAL_NORM], [], 3);
      const wq = Buffer.from(Uint8Array.from(wT, (v) => Math.round(v * 127) + 128));
      const [mm] = node('MatMulInteger', [
        q,
        init('lm_head.weight_quantized', [DIM, VOCAB], wq, UINT8),
        zp,
        init('lm_head.zp', [], Buffer.from([128]), UINT8),
      ]);
      const [mmF] = node('Cast', [mm], [ai('to', FLOAT)]);
      const [s] = node('Mul', [scale, init('lm_head.scale', [], raw(new Float32Array([1 / 127])))]);
      node('Mul', [mmF, s]);
      headOut('logits');
    }
  }

  const model = createModel({
    ir_version: 8,
    producer_name: 'preference-lens-test',
    opset_import: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: {
      name: `tiny-${style}`,
      node: nodes,
      initializer: inits,
      input: inputs,
      output: outputs,
    },
  });
  return encodeModel(model);
};

/** A model folder in the transformers.js layout: tokenizer files + onnx/model.onnx. */
export const writeTinyModelDir = (dir: string, weights: TinyWeights, style: HeadStyle): string => {
  cpSync(FIXTURE_TOKENIZER, dir, { recursive: true });
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const path = join(dir, 'onnx', 'model.onnx');
  writeFileSync(path, buildTinyCausalLm(weights, style));
  return path;
};

/** The same network in plain JS: the final normalized hidden state at every position of one sequence. */
export const forward = (w: TinyWeights, ids: number[]): Float32Array[] => {
  const x = ids.map((id, t) =>
    Float32Array.from({ length: DIM }, (_, k) => w.embed[id * DIM + k] + w.pos[t * DIM + k]),
  );
  return x.map((_, t) => {
    const mix = new Float64Array(DIM);
    for (let s = 0; s <= t; s++) for (let k = 0; k < DIM; k++) mix[k] += x[s][k] / (t + 1);
    const h = new Float64Array(DIM);
    for (let j = 0; j < DIM; j++) {
      let acc = w.b1[j];
      for (let k = 0; k < DIM; k++) acc += mix[k] * w.w1[k * DIM + j];
      h[j] = Math.tanh(acc) + x[t][j];
    }
    const rms = Math.sqrt(h.reduce((a, v) => a + v * v, 0) / DIM + EPS);
    return Float32Array.from(h, (v, j) => (v / rms) * w.gamma[j]);
  });
};
