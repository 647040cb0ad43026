// Rows of a quantized LM head, dequantized exactly as the op defines them: the answer rows the
// model's logits are really computed with, not a float approximation of some other checkpoint.
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { DataType, EXTERNAL_LOCATION, type TensorProto, toNumber } from './onnx-proto.js';
import { floatDtypeOf, readStrided } from './tensor-data.js';

/**
 * A head weight held as integers. 'dequantize-linear': W = (q - zero_point) * scale with one scale
 * per slice along `axis` (or one for all), the ONNX DequantizeLinear op. 'matmul-nbits':
 * onnxruntime's MatMulNBits, W[n, k] = (q - zero_point) * scale per row n and block of k.
 */
export type QuantizedUnembedding =
  | {
      kind: 'dequantize-linear';
      quantized: string;
      scale: string;
      zeroPoint?: string;
      /** Shape of the stored integer tensor. */
      shape: [number, number];
      /** Axis the scales run along (normalized to 0 or 1); -1 for a single scale. */
      axis: number;
      /** 'VxD': row v of the stored tensor is W_U[v]; 'DxV': column v is. */
      layout: 'VxD' | 'DxV';
      /** Constant logit scale (see Unembedding.scale). */
      logitScale: number;
    }
  | {
      kind: 'matmul-nbits';
      quantized: string;
      scale: string;
      zeroPoint?: string;
      /** K (the hidden size) and N (the vocabulary). */
      k: number;
      n: number;
      bits: number;
      blockSize: number;
      logitScale: number;
    };

export const quantizedSize = (q: QuantizedUnembedding): { vocab: number; dim: number } =>
  q.kind === 'matmul-nbits'
    ? { vocab: q.n, dim: q.k }
    : q.layout === 'VxD'
      ? { vocab: q.shape[0], dim: q.shape[1] }
      : { vocab: q.shape[1], dim: q.shape[0] };

const INTEGER_BYTES: Record<number, { bytes: number; signed: boolean }> = {
  [DataType.UINT8]: { bytes: 1, signed: false },
  [DataType.INT8]: { bytes: 1, signed: true },
  4: { bytes: 2, signed: false }, // UINT16
  5: { bytes: 2, signed: true }, // INT16
  [DataType.INT32]: { bytes: 4, signed: true },
};

const elementCount = (t: TensorProto): number =>
  t.dims.reduce<number>((a, d) => a * toNumber(d), 1);

/** The bytes [offset, offset + length) of an integer tensor's little-endian data, wherever it is kept. */
const readRawBytes = (t: TensorProto, dir: string, offset: number, length: number): Uint8Array => {
  if (t.data_location === EXTERNAL_LOCATION) {
    const entry = (key: string) => t.external_data.find((e) => e.key === key)?.value;
    const location = entry('location');
    if (!location || isAbsolute(location) || normalize(location).startsWith('..')) {
      throw new Error(`Initializer ${t.name}: bad external data location "${location ?? ''}".`);
    }
    const out = new Uint8Array(length);
    const fd = openSync(join(dir, location), 'r');
    try {
      if (readSync(fd, out, 0, length, Number(entry('offset') ?? 0) + offset) !== length) {
        throw new Error(`Initializer ${t.name}: external data ends early.`);
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }
  if (t.raw_data && t.raw_data.length > 0) {
    if (offset + length > t.raw_data.length)
      throw new Error(`Initializer ${t.name}: raw_data is shorter than its shape.`);
    return t.raw_data.subarray(offset, offset + length);
  }
  throw new Error(`Initializer ${t.name} keeps no raw bytes.`);
};

/** Integer elements [start + k*stride] for k < count, as numbers. */
const readIntegers = (
  t: TensorProto,
  dir: string,
  start: number,
  stride: number,
  count: number,
): number[] => {
  const type = INTEGER_BYTES[t.data_type];
  if (!type)
    throw new Error(`Initializer ${t.name} is not an integer tensor (type ${t.data_type}).`);
  if (start < 0 || start + (count - 1) * stride >= elementCount(t))
    throw new Error(`Index out of range for ${t.name}.`);
  const hasRaw = t.data_location === EXTERNAL_LOCATION || (t.raw_data && t.raw_data.length > 0);
  if (!hasRaw) {
    // Small integer types are kept one per int32_data entry when there is no raw_data.
    if (!t.int32_data || t.int32_data.length < elementCount(t))
      throw new Error(`Initializer ${t.name} holds no data.`);
    return Array.from({ length: count }, (_, k) => t.int32_data[start + k * stride]);
  }
  const read = (bytes: Uint8Array, at: number): number => {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, type.bytes);
    if (type.bytes === 1) return type.signed ? view.getInt8(0) : view.getUint8(0);
    if (type.bytes === 2) return type.signed ? view.getInt16(0, true) : view.getUint16(0, true);
    return view.getInt32(0, true);
  };
  if (stride === 1) {
    const bytes = readRawBytes(t, dir, start * type.bytes, count * type.bytes);
    return Array.from({ length: count }, (_, k) => read(bytes, k * type.bytes));
  }
  return Array.from({ length: count }, (_, k) =>
    read(readRawBytes(t, dir, (start + k * stride) * type.bytes, type.bytes), 0),
  );
};

const floatsOf = (t: TensorProto, dir: string, start: number, stride: number, count: number) => {
  if (!floatDtypeOf(t.data_type))
    throw new Error(`The scale ${t.name} is not a float tensor (type ${t.data_type}).`);
  return readStrided(t, dir, start, stride, count);
};

/** The float32 product the op computes: one rounding of (q - zp) * scale, as onnxruntime does. */
const dequant = (q: number, zp: number, scale: number): number => Math.fround((q - zp) * scale);

/**
 * Row `id` of W_U (length = the hidden size), dequantized exactly as the head op defines it and
 * multiplied by the head's constant logit scale. `tensors` resolves initializer names.
 */
export const readQuantizedRow = (
  q: QuantizedUnembedding,
  tensors: ReadonlyMap<string, TensorProto>,
  dir: string,
  id: number,
): Float32Array => {
  const get = (name: string): TensorProto => {
    const t = tensors.get(name);
    if (!t) throw new Error(`The quantized head tensor ${name} is missing.`);
    return t;
  };
  const { vocab, dim } = quantizedSize(q);
  if (!Number.isInteger(id) || id < 0 || id >= vocab)
    throw new Error(`Token id ${id} is outside the LM head's vocabulary of ${vocab}.`);
  const out = new Float32Array(dim);
  const weight = get(q.quantized);
  const scale = get(q.scale);
  const zero = q.zeroPoint ? get(q.zeroPoint) : undefined;

  if (q.kind === 'dequantize-linear') {
    const [rows, cols] = q.shape;
    // Row v of W_U is stored row v (VxD) or column v (DxV).
    const start = q.layout === 'VxD' ? id * cols : id;
    const stride = q.layout === 'VxD' ? 1 : cols;
    const values = readIntegers(weight, dir, start, stride, dim);
    // The stored position (r, c) of element k of the row, and the slice its scale belongs to.
    const channel = (k: number): number => {
      if (q.axis < 0) return 0;
      const r = q.layout === 'VxD' ? id : k;
      const c = q.layout === 'VxD' ? k : id;
      return q.axis === 0 ? r : c;
    };
    const channels = q.axis < 0 ? 1 : q.axis === 0 ? rows : cols;
    if (elementCount(scale) !== channels)
      throw new Error(
        `The scale ${scale.name} has ${elementCount(scale)} values, not ${channels}.`,
      );
    for (let k = 0; k < dim; k++) {
      const c = channel(k);
      const s = floatsOf(scale, dir, c, 1, 1)[0];
      const zp = zero ? readIntegers(zero, dir, c, 1, 1)[0] : 0;
      out[k] = dequant(values[k], zp, s);
    }
  } else {
    const { bits, blockSize, k: kDim } = q;
    if (bits !== 4 && bits !== 8)
      throw new Error(`MatMulNBits with ${bits} bits is not supported (4 and 8 are).`);
    const blocks = Math.ceil(kDim / blockSize);
    const blob = (blockSize * bits) / 8;
    const bytes = readIntegers(weight, dir, id * blocks * blob, 1, blocks * blob);
    const scales = floatsOf(scale, dir, id * blocks, 1, blocks);
    // Zero points: packed like B (uint8), one float per block, or absent (2^(bits-1)).
    let zps: number[];
    if (!zero) zps = new Array<number>(blocks).fill(2 ** (bits - 1));
    else if (floatDtypeOf(zero.data_type))
      zps = Array.from(floatsOf(zero, dir, id * blocks, 1, blocks));
    else if (bits === 8) zps = readIntegers(zero, dir, id * blocks, 1, blocks);
    else {
      const perRow = Math.ceil(blocks / 2);
      const packed = readIntegers(zero, dir, id * perRow, 1, perRow);
      zps = Array.from({ length: blocks }, (_, b) => (packed[b >> 1] >> ((b & 1) * 4)) & 0xf);
    }
    for (let kk = 0; kk < kDim; kk++) {
      const b = Math.floor(kk / blockSize);
      const j = kk % blockSize;
      const byte = bytes[b * blob + (bits === 8 ? j : j >> 1)];
      const value = bits === 8 ? byte : (byte >> ((j & 1) * 4)) & 0xf;
      out[kk] = dequant(value, zps[b], scales[b]);
    }
  }
  return q.logitScale === 1 ? out : out.map((v) => v * q.logitScale);
};
