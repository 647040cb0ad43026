import { halfToFloat } from '../../io/half.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { DataType, EXTERNAL_LOCATION, type TensorProto, toNumber } from './onnx-proto.js';

export type FloatDtype = 'float32' | 'float16' | 'bfloat16';

export const floatDtypeOf = (dataType: number): FloatDtype | undefined =>
  dataType === DataType.FLOAT
    ? 'float32'
    : dataType === DataType.FLOAT16
      ? 'float16'
      : dataType === DataType.BFLOAT16
        ? 'bfloat16'
        : undefined;

const bytesPer: Record<FloatDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// The decoding lives with the float16 matrix storage (no Node imports there: the webview's build reads it).
export { halfToFloat } from '../../io/half.js';

/** bfloat16 is the upper half of a float32. */
export const bfloat16ToFloat = (h: number): number => {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
};

/** Converts a raw 16-bit buffer (as onnxruntime returns float16 tensors) to float32. */
export const halfArrayToFloat32 = (src: Uint16Array): Float32Array => {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
  return out;
};

const decodeElement = (bytes: Uint8Array, offset: number, dtype: FloatDtype): number => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'float32') return view.getFloat32(offset, true);
  const h = view.getUint16(offset, true);
  return dtype === 'float16' ? halfToFloat(h) : bfloat16ToFloat(h);
};

interface ExternalRef {
  file: string;
  offset: number;
  length?: number;
}

const externalRef = (tensor: TensorProto, modelDir: string): ExternalRef => {
  const entry = (key: string) => tensor.external_data.find((e) => e.key === key)?.value;
  const location = entry('location');
  if (!location)
    throw new Error(`Initializer ${tensor.name} has external data without a location.`);
  // ONNX locations are relative to the model file and may not leave its folder.
  if (isAbsolute(location) || normalize(location).startsWith('..')) {
    throw new Error(
      `Initializer ${tensor.name}: external data location "${location}" leaves the model folder.`,
    );
  }
  const length = entry('length');
  return {
    file: join(modelDir, location),
    offset: Number(entry('offset') ?? 0),
    length: length === undefined ? undefined : Number(length),
  };
};

/**
 * Reads elements [start + k*stride] for k < count of a float tensor as float32, wherever the
 * tensor keeps its data: raw_data, float_data (float32), int32_data (16-bit types keep their bits
 * there) or an external file.
 */
export const readStrided = (
  tensor: TensorProto,
  modelDir: string,
  start: number,
  stride: number,
  count: number,
): Float32Array => {
  const dtype = floatDtypeOf(tensor.data_type);
  if (!dtype)
    throw new Error(
      `Initializer ${tensor.name} is not a float tensor (ONNX data type ${tensor.data_type}).`,
    );
  const total = tensor.dims.reduce<number>((a, d) => a * toNumber(d), 1);
  const last = start + (count - 1) * stride;
  if (start < 0 || last >= total)
    throw new Error(`Index ${last} out of range for ${tensor.name} (${total} elements).`);
  const out = new Float32Array(count);
  const size = bytesPer[dtype];

  if (tensor.data_location === EXTERNAL_LOCATION) {
    const ref = externalRef(tensor, modelDir);
    if (ref.length !== undefined && ref.length < total * size) {
      throw new Error(`Initializer ${tensor.name}: external data is shorter than its shape.`);
    }
    const fd = openSync(ref.file, 'r');
    try {
      const buf = new Uint8Array(size);
      for (let k = 0; k < count; k++) {
        const pos = ref.offset + (start + k * stride) * size;
        if (readSync(fd, buf, 0, size, pos) !== size) {
          throw new Error(`Initializer ${tensor.name}: external file ${ref.file} ends early.`);
        }
        out[k] = decodeElement(buf, 0, dtype);
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }

  if (tensor.raw_data && tensor.raw_data.length > 0) {
    if (tensor.raw_data.length < total * size) {
      throw new Error(`Initializer ${tensor.name}: raw_data is shorter than its shape.`);
    }
    for (let k = 0; k < count; k++)
      out[k] = decodeElement(tensor.raw_data, (start + k * stride) * size, dtype);
    return out;
  }

  const typed = dtype === 'float32' ? tensor.float_data : tensor.int32_data;
  if (!typed || typed.length < total) throw new Error(`Initializer ${tensor.name} holds no data.`);
  for (let k = 0; k < count; k++) {
    const v = typed[start + k * stride];
    out[k] = dtype === 'float32' ? v : dtype === 'float16' ? halfToFloat(v) : bfloat16ToFloat(v);
  }
  return out;
};
