import {
  asLoaded,
  DataType,
  type GraphProto,
  type LoadedOnnx,
  type NodeProto,
  type TensorProto,
  toNumber,
} from './onnx-proto.js';
import type { QuantizedUnembedding } from './quantized-rows.js';
import { floatDtypeOf, type FloatDtype, readStrided } from './tensor-data.js';

/** Where the unembedding matrix W_U lives and how it is laid out. */
export interface Unembedding {
  /** Initializer (or Constant node output) name. */
  name: string;
  dtype: FloatDtype;
  /** Shape as stored. */
  shape: [number, number];
  /** 'VxD': row v of the stored matrix is W_U[v]. 'DxV': column v is (MatMul's pre-transposed B). */
  layout: 'VxD' | 'DxV';
  /**
   * Constant factor between the product and the logits (Gemm alpha, a Mul/Div by a scalar such as
   * Cohere's logit_scale): the model's effective W_U is scale times the stored matrix.
   */
  scale: number;
  /** A nonlinearity (e.g. Gemma 2's tanh soft-capping) sits between the product and the logits. */
  nonlinearAfterHead?: string;
}

export interface CausalOnnxInspection {
  /** The graph output holding the logits. */
  logitsOutput?: string;
  /** The LM head node (MatMul, Gemm, ...) and its op type. */
  headNode?: string;
  headOp?: string;
  /** The tensor the LM head multiplies: g(x) for every position, before any last-token slicing. */
  hiddenOutput?: string;
  /** Same as hiddenOutput when it is produced by a recognized final normalization. */
  finalNormOutput?: string;
  /** The op that produces hiddenOutput, e.g. SimplifiedLayerNormalization or Mul (decomposed RMSNorm). */
  normOp?: string;
  /** ONNX element type of hiddenOutput (1 float32, 10 float16, ...). */
  hiddenElemType?: number;
  unembedding?: Unembedding;
  /**
   * A quantized head whose rows can be dequantized exactly (DequantizeLinear weights, MatMulNBits):
   * quantized-rows.ts reads W_U[y] from it. Set only when `unembedding` is not.
   */
  quantizedUnembedding?: QuantizedUnembedding;
  /** No LM head whose input can be identified: only logits are reachable. */
  logitsOnly: boolean;
  /** The head weight is quantized (int8/uint8/4-bit); its rows cannot be read as floats. */
  quantizedHead: boolean;
  /** Why the head or its rows are not usable, for the error messages. */
  reason?: string;
}

const HEAD_OPS = new Set(['MatMul', 'Gemm', 'FusedMatMul']);
const QUANTIZED_HEAD_OPS = new Set([
  'MatMulNBits',
  'MatMulInteger',
  'QLinearMatMul',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'MatMulBnb4',
  'MatMulFpQ4',
]);
/** Ops that may sit between the head and the logits output (casts, bias, soft-capping, reshapes). */
const AFTER_HEAD_OPS = new Set([
  'Cast',
  'Identity',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Tanh',
  'Softcap',
  'Slice',
  'Gather',
  'LogSoftmax',
  'Softmax',
]);
/** Ops that only select or re-view positions of the hidden state (last-token slicing, flattening). */
const VIEW_OPS = new Set([
  'Identity',
  'Cast',
  'Slice',
  'Gather',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
]);
const ACTIVATION_QUANTIZERS = new Set(['DynamicQuantizeLinear', 'QuantizeLinear']);
const NORM_OPS = new Set([
  'SimplifiedLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'LayerNormalization',
  'SkipLayerNormalization',
  'RMSNormalization',
]);
const WEIGHT_VIEW_OPS = new Set(['Identity', 'Cast', 'Transpose', 'Reshape']);

export interface GraphIndex {
  graph: GraphProto;
  producer: Map<string, NodeProto>;
  constants: Map<string, TensorProto>;
  graphInputs: Set<string>;
}

export const indexGraph = (graph: GraphProto): GraphIndex => {
  const producer = new Map<string, NodeProto>();
  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer) constants.set(t.name, t);
  for (const node of graph.node) {
    for (const out of node.output) if (out) producer.set(out, node);
    if (node.op_type === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      const value = node.attribute.find((a) => a.name === 'value')?.t;
      if (value) constants.set(node.output[0], value);
    }
  }
  return { graph, producer, constants, graphInputs: new Set(graph.input.map((i) => i.name)) };
};

const attrInt = (node: NodeProto, name: string, fallback = 0): number => {
  const a = node.attribute.find((x) => x.name === name);
  return a ? toNumber(a.i) : fallback;
};

const isConstant = (ix: GraphIndex, name: string): boolean =>
  ix.constants.has(name) && !ix.graphInputs.has(name);

/** Breadth-first from the logits back to the nearest matrix product: that is the LM head. */
const findHead = (ix: GraphIndex, logits: string): NodeProto | undefined => {
  const queue = [logits];
  const seen = new Set<string>();
  for (let steps = 0; queue.length > 0 && steps < 64; steps++) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = ix.producer.get(name);
    if (!node) continue;
    if (HEAD_OPS.has(node.op_type) || QUANTIZED_HEAD_OPS.has(node.op_type)) return node;
    if (!AFTER_HEAD_OPS.has(node.op_type)) continue;
    // Only the data input of a view op carries the logits; shapes and indices do not.
    const inputs = VIEW_OPS.has(node.op_type) ? node.input.slice(0, 1) : node.input;
    for (const inp of inputs) if (inp && !isConstant(ix, inp)) queue.push(inp);
  }
  return undefined;
};

interface WeightTrace {
  tensor?: TensorProto;
  name?: string;
  transposes: number;
  quantized: boolean;
  /** The DequantizeLinear node the weight comes from, when it does. */
  dequantize?: NodeProto;
}

const traceWeight = (ix: GraphIndex, name: string): WeightTrace => {
  let transposes = 0;
  let current = name;
  for (let i = 0; i < 16; i++) {
    const constant = ix.constants.get(current);
    if (constant && !ix.graphInputs.has(current)) {
      return { tensor: constant, name: current, transposes, quantized: false };
    }
    const node = ix.producer.get(current);
    if (!node) return { transposes, quantized: false };
    if (node.op_type === 'DequantizeLinear')
      return { transposes, quantized: true, dequantize: node };
    if (QUANTIZED_HEAD_OPS.has(node.op_type)) return { transposes, quantized: true };
    if (!WEIGHT_VIEW_OPS.has(node.op_type)) return { transposes, quantized: false };
    if (node.op_type === 'Transpose') transposes++;
    current = node.input[0];
  }
  return { transposes, quantized: false };
};

/** The float activation a head consumes, looking through activation quantizers. */
const headActivation = (ix: GraphIndex, head: NodeProto): string | undefined => {
  let name = head.input[0];
  const producer = ix.producer.get(name);
  if (producer && ACTIVATION_QUANTIZERS.has(producer.op_type)) name = producer.input[0];
  return name || undefined;
};

const walkBackViews = (ix: GraphIndex, name: string): string => {
  let current = name;
  for (let i = 0; i < 16; i++) {
    const node = ix.producer.get(current);
    if (!node || !VIEW_OPS.has(node.op_type)) return current;
    current = node.input[0];
  }
  return current;
};

/** RMSNorm built from primitives ends in Mul(gamma); LayerNorm in Add(beta) after that Mul. */
const isDecomposedNormOutput = (ix: GraphIndex, node: NodeProto, depth = 0): boolean => {
  if (!node.input.some((i) => isConstant(ix, i))) return false;
  const other = node.input.map((i) => ix.producer.get(i)).find((p) => p !== undefined);
  if (!other) return false;
  if (node.op_type === 'Mul')
    return ['Div', 'Mul', 'Cast', 'Sqrt', 'Reciprocal'].includes(other.op_type);
  return (
    node.op_type === 'Add' &&
    depth === 0 &&
    other.op_type === 'Mul' &&
    isDecomposedNormOutput(ix, other, 1)
  );
};

/** Element type of a tensor from the declarations, or inferred through the ops that keep it. */
export const elemTypeOf = (
  ix: GraphIndex,
  name: string,
  seen = new Set<string>(),
): number | undefined => {
  if (seen.has(name) || seen.size > 256) return undefined;
  seen.add(name);
  const g = ix.graph;
  const declared = [...g.value_info, ...g.input, ...g.output].find((v) => v.name === name)?.type
    ?.tensor_type;
  if (declared?.elem_type) return declared.elem_type;
  const constant = ix.constants.get(name);
  if (constant) return constant.data_type;
  const node = ix.producer.get(name);
  if (!node) return undefined;
  if (node.op_type === 'Cast') return attrInt(node, 'to') || undefined;
  if (node.op_type === 'Shape' || node.op_type === 'Size') return DataType.INT64;
  if (node.op_type === 'ConstantOfShape')
    return node.attribute.find((a) => a.name === 'value')?.t?.data_type ?? DataType.FLOAT;
  for (const inp of node.input) {
    const t = inp ? elemTypeOf(ix, inp, seen) : undefined;
    if (t !== undefined) return t;
  }
  return undefined;
};

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, 11]);

const scalarValue = (ix: GraphIndex, name: string, dir: string): number | undefined => {
  const t = ix.constants.get(name);
  if (!t || ix.graphInputs.has(name) || !floatDtypeOf(t.data_type)) return undefined;
  if (t.dims.reduce<number>((a, d) => a * toNumber(d), 1) !== 1) return undefined;
  return readStrided(t, dir, 0, 1, 1)[0];
};

/** Follows the head's output to the logits, multiplying up constant scalar factors. */
const headScale = (
  ix: GraphIndex,
  head: NodeProto,
  logits: string,
  dir: string,
): { scale: number; nonlinear?: string } => {
  const consumers = new Map<string, NodeProto[]>();
  for (const n of ix.graph.node)
    for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  let scale =
    head.op_type === 'Gemm' ? (head.attribute.find((a) => a.name === 'alpha')?.f ?? 1) : 1;
  let nonlinear: string | undefined;
  let current = head.output[0];
  for (let i = 0; i < 32 && current !== logits; i++) {
    const next = (consumers.get(current) ?? []).find((n) => AFTER_HEAD_OPS.has(n.op_type));
    if (!next) break;
    const other = next.input.find((x) => x !== current);
    const value = other === undefined ? undefined : scalarValue(ix, other, dir);
    if (next.op_type === 'Mul' && value !== undefined) scale *= value;
    else if (next.op_type === 'Div' && value !== undefined && next.input[0] === current)
      scale /= value;
    else if (['Tanh', 'Softcap'].includes(next.op_type)) nonlinear ??= next.op_type;
    current = next.output[0];
  }
  return nonlinear ? { scale, nonlinear } : { scale };
};

const constantName = (ix: GraphIndex, name: string | undefined): string | undefined =>
  name && isConstant(ix, name) ? name : undefined;

/** A MatMulNBits head with constant B, scales and zero points (onnxruntime's contrib op). */
const matMulNBitsHead = (
  ix: GraphIndex,
  head: NodeProto,
  logitScale: number,
): QuantizedUnembedding | string => {
  const quantized = constantName(ix, head.input[1]);
  const scale = constantName(ix, head.input[2]);
  const zeroPoint = head.input[3] ? constantName(ix, head.input[3]) : undefined;
  if (!quantized || !scale || (head.input[3] && !zeroPoint))
    return 'its weights are not constants of the graph';
  if (head.input.length > 4 && head.input.slice(4).some((i) => i !== ''))
    return 'it has a group index or bias input';
  return {
    kind: 'matmul-nbits',
    quantized,
    scale,
    ...(zeroPoint ? { zeroPoint } : {}),
    k: attrInt(head, 'K'),
    n: attrInt(head, 'N'),
    bits: attrInt(head, 'bits', 4),
    blockSize: attrInt(head, 'block_size'),
    logitScale,
  };
};

/** A float MatMul/Gemm head whose B is DequantizeLinear(q, scale, zero point) of constants, per tensor or per axis. */
const dequantizeLinearHead = (
  ix: GraphIndex,
  head: NodeProto,
  weight: WeightTrace,
  logitScale: number,
): QuantizedUnembedding | string => {
  const node = weight.dequantize as NodeProto;
  const quantized = constantName(ix, node.input[0]);
  const scale = constantName(ix, node.input[1]);
  const zeroPoint = node.input[2] ? constantName(ix, node.input[2]) : undefined;
  if (!quantized || !scale || (node.input[2] && !zeroPoint))
    return 'its inputs are not constants of the graph';
  const q = ix.constants.get(quantized) as TensorProto;
  if (q.dims.length !== 2) return `the quantized weight has rank ${q.dims.length}`;
  if (attrInt(node, 'block_size') > 0) return 'blocked quantization';
  const s = ix.constants.get(scale) as TensorProto;
  const scalar = s.dims.reduce<number>((a, d) => a * toNumber(d), 1) === 1 && s.dims.length <= 1;
  const rawAxis = attrInt(node, 'axis', 1);
  const axis = scalar ? -1 : rawAxis < 0 ? rawAxis + 2 : rawAxis;
  const transB = head.op_type === 'MatMul' ? 0 : attrInt(head, 'transB');
  return {
    kind: 'dequantize-linear',
    quantized,
    scale,
    ...(zeroPoint ? { zeroPoint } : {}),
    shape: [toNumber(q.dims[0]), toNumber(q.dims[1])],
    axis,
    layout: (transB + weight.transposes) % 2 === 1 ? 'VxD' : 'DxV',
    logitScale,
  };
};

const pickLogits = (graph: GraphProto): string | undefined => {
  const names = graph.output.map((o) => o.name);
  return names.find((n) => n === 'logits') ?? names.find((n) => /logits/i.test(n)) ?? names[0];
};

/**
 * Finds the LM head of a causal-LM ONNX graph, the hidden state it multiplies (the paper's g(x)
 * after the final norm) and the unembedding matrix W_U.
 */
export const inspectCausalOnnx = (model: string | LoadedOnnx): CausalOnnxInspection => {
  const loaded = asLoaded(model);
  const { graph } = loaded.model;
  const dir = loaded.dir;
  const ix = indexGraph(graph);
  const logitsOutput = pickLogits(graph);
  if (!logitsOutput)
    return { logitsOnly: true, quantizedHead: false, reason: 'the graph has no outputs' };

  const head = findHead(ix, logitsOutput);
  if (!head) {
    const producer = ix.producer.get(logitsOutput);
    return {
      logitsOutput,
      logitsOnly: true,
      quantizedHead: false,
      reason: `no LM-head matrix product (MatMul/Gemm) leads to "${logitsOutput}"${producer ? ` (it comes from a ${producer.op_type} node)` : ''}`,
    };
  }
  const activation = headActivation(ix, head);
  const transA = head.op_type !== 'MatMul' && attrInt(head, 'transA') === 1;
  if (!activation || transA || isConstant(ix, activation)) {
    return {
      logitsOutput,
      headNode: head.name,
      headOp: head.op_type,
      logitsOnly: true,
      quantizedHead: false,
      reason: `the input of the LM head ${head.op_type} "${head.name}" is not a hidden state`,
    };
  }

  const hiddenOutput = walkBackViews(ix, activation);
  if (isConstant(ix, hiddenOutput) || ix.graphInputs.has(hiddenOutput)) {
    return {
      logitsOutput,
      headNode: head.name,
      headOp: head.op_type,
      logitsOnly: true,
      quantizedHead: false,
      reason: `the LM head reads "${hiddenOutput}", which is not computed by the model`,
    };
  }
  const normNode = ix.producer.get(hiddenOutput);
  const isNorm =
    normNode !== undefined &&
    (NORM_OPS.has(normNode.op_type) || isDecomposedNormOutput(ix, normNode));
  const result: CausalOnnxInspection = {
    logitsOutput,
    headNode: head.name,
    headOp: head.op_type,
    hiddenOutput,
    finalNormOutput: isNorm ? hiddenOutput : undefined,
    normOp: normNode?.op_type,
    logitsOnly: false,
    quantizedHead: false,
  };

  if (QUANTIZED_HEAD_OPS.has(head.op_type)) {
    result.quantizedHead = true;
    const nbits =
      head.op_type === 'MatMulNBits'
        ? matMulNBitsHead(ix, head, headScale(ix, head, logitsOutput, dir).scale)
        : undefined;
    if (nbits && typeof nbits !== 'string') result.quantizedUnembedding = nbits;
    else
      result.reason = `the LM head is a quantized ${head.op_type}${typeof nbits === 'string' ? ` (${nbits})` : ''}`;
  } else {
    const weight = traceWeight(ix, head.input[1]);
    const dtype = weight.tensor ? floatDtypeOf(weight.tensor.data_type) : undefined;
    if (weight.quantized || (weight.tensor && !dtype)) {
      result.quantizedHead = true;
      const dq = weight.dequantize
        ? dequantizeLinearHead(ix, head, weight, headScale(ix, head, logitsOutput, dir).scale)
        : undefined;
      if (dq && typeof dq !== 'string') result.quantizedUnembedding = dq;
      else
        result.reason = weight.quantized
          ? `the LM head weight is dequantized from integers (DequantizeLinear${typeof dq === 'string' ? `: ${dq}` : ''})`
          : `the LM head weight "${weight.name}" is stored as ONNX type ${weight.tensor?.data_type}, not as floats`;
    } else if (!weight.tensor || !weight.name || !dtype) {
      result.reason = `the LM head weight is not a constant of the graph`;
    } else if (weight.tensor.dims.length !== 2) {
      result.reason = `the LM head weight "${weight.name}" has rank ${weight.tensor.dims.length}, not 2`;
    } else {
      // MatMul's B is [d, V]; Gemm/FusedMatMul with transB=1 take [V, d]. Each Transpose flips it.
      const transB = head.op_type === 'MatMul' ? 0 : attrInt(head, 'transB');
      const storedVxD = (transB + weight.transposes) % 2 === 1;
      const after = headScale(ix, head, logitsOutput, dir);
      result.unembedding = {
        name: weight.name,
        dtype,
        shape: [toNumber(weight.tensor.dims[0]), toNumber(weight.tensor.dims[1])],
        layout: storedVxD ? 'VxD' : 'DxV',
        scale: after.scale,
        ...(after.nonlinear ? { nonlinearAfterHead: after.nonlinear } : {}),
      };
    }
  }
  const inferred = elemTypeOf(ix, hiddenOutput);
  result.hiddenElemType =
    inferred !== undefined && FLOAT_TYPES.has(inferred)
      ? inferred
      : result.unembedding
        ? { float32: DataType.FLOAT, float16: DataType.FLOAT16, bfloat16: DataType.BFLOAT16 }[
            result.unembedding.dtype
          ]
        : DataType.FLOAT;
  return result;
};

/** Throws the message a user sees when a model offers no hidden state to embed with. */
export const assertHiddenAvailable = (path: string, info: CausalOnnxInspection): string => {
  if (info.logitsOnly || !info.hiddenOutput) {
    throw new Error(
      `The causal-LM export ${path} is logits-only: ${info.reason ?? 'its LM head input cannot be identified'}. ` +
        'Preference Lens needs the final normalized hidden state (the input of the LM head). ' +
        'Export the model with a separate MatMul/Gemm LM head (e.g. optimum-cli export onnx --task text-generation) ' +
        'or use a sentence-embedding model.',
    );
  }
  return info.hiddenOutput;
};
