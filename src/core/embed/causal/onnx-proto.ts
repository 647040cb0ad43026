import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnx-schema.js';

// keepCase: the field names stay as in onnx.proto (raw_data, op_type), which is what every ONNX
// tool and document uses.
const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const modelType = root.lookupType('onnx.ModelProto');
const tensorType = root.lookupType('onnx.TensorProto');
const valueInfoType = root.lookupType('onnx.ValueInfoProto');

/** protobufjs gives int64 fields as Long objects (the `long` package is installed) or numbers. */
export type Int64 = number | { toNumber(): number };

export const toNumber = (v: Int64 | undefined | null): number =>
  v === undefined || v === null ? 0 : typeof v === 'number' ? v : v.toNumber();

/** The fields of onnx.proto that this module reads; the decoded objects hold all the others too. */
export interface StringStringEntry {
  key: string;
  value: string;
}

export interface TensorProto {
  name: string;
  dims: Int64[];
  data_type: number;
  raw_data: Uint8Array;
  float_data: number[];
  int32_data: number[];
  data_location: number;
  external_data: StringStringEntry[];
}

export interface TensorShapeDim {
  dim_value?: Int64;
  dim_param?: string;
}

export interface TypeProto {
  tensor_type?: { elem_type: number; shape?: { dim: TensorShapeDim[] } | null } | null;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto | null;
}

export interface AttributeProto {
  name: string;
  type: number;
  i: Int64;
  f: number;
  s: Uint8Array;
  ints: Int64[];
  t?: TensorProto | null;
  g?: GraphProto | null;
  graphs: GraphProto[];
}

export interface NodeProto {
  name: string;
  op_type: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
}

export interface ModelProto {
  ir_version: Int64;
  graph: GraphProto;
}

/** onnx.TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  BFLOAT16: 16,
} as const;

export const EXTERNAL_LOCATION = 1;

export interface LoadedOnnx {
  path: string;
  /** Folder the external data locations are relative to. */
  dir: string;
  model: ModelProto;
  /** The file's bytes as read: each raw_data decoded from them is a view into them. */
  bytes?: Uint8Array;
}

export const decodeModel = (bytes: Uint8Array): ModelProto => {
  const model = modelType.decode(bytes) as unknown as ModelProto;
  if (!model.graph) throw new Error('Not an ONNX model: it has no graph.');
  return model;
};

export const encodeModel = (model: ModelProto): Uint8Array =>
  modelType.encode(model as unknown as protobuf.Message).finish();

export const loadOnnx = (path: string): LoadedOnnx => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`Cannot read the ONNX model ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw new Error(`Cannot parse the ONNX model ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { path, dir: dirname(path), model, bytes };
};

/** Initializers smaller than this stay inline when a graph is made to reference its source file. */
const EXTERNALIZE_MIN_BYTES = 128;

/**
 * Makes every large inline initializer of the top-level graph external data pointing at its own
 * bytes in the file it was read from (`location`, relative to the folder the graph is loaded
 * against): the re-encoded graph is then a few kilobytes that reference the original weights
 * instead of a second copy of them. Only tensors decoded as views into `loaded.bytes` (protobufjs
 * does that for a Buffer) are moved; any other stays inline. Returns the bytes left inline.
 */
export const referenceSourceWeights = (loaded: LoadedOnnx, location: string): number => {
  const bytes = loaded.bytes;
  let inline = 0;
  for (const t of loaded.model.graph.initializer) {
    const raw = t.raw_data;
    if (!raw || raw.length === 0 || t.data_location === EXTERNAL_LOCATION) continue;
    const offset = raw.byteOffset - (bytes?.byteOffset ?? 0);
    if (
      !bytes ||
      raw.length < EXTERNALIZE_MIN_BYTES ||
      raw.buffer !== bytes.buffer ||
      offset < 0 ||
      offset + raw.length > bytes.length
    ) {
      inline += raw.length;
      continue;
    }
    t.data_location = EXTERNAL_LOCATION;
    t.external_data = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    t.raw_data = new Uint8Array(0);
  }
  return inline;
};

export const asLoaded = (model: string | LoadedOnnx): LoadedOnnx =>
  typeof model === 'string' ? loadOnnx(model) : model;

export const createTensor = (fields: Partial<Record<keyof TensorProto, unknown>>): TensorProto =>
  tensorType.create(fields) as unknown as TensorProto;

/** A graph value of the given element type and shape (numbers are fixed dims, strings symbolic). */
export const createValueInfo = (
  name: string,
  elemType: number,
  dims: (number | string)[],
): ValueInfoProto =>
  valueInfoType.fromObject({
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
        },
      },
    },
  }) as unknown as ValueInfoProto;

/** Builds a ModelProto from a plain object (used by the tests to write small models). */
export const createModel = (fields: Record<string, unknown>): ModelProto =>
  modelType.fromObject(fields) as unknown as ModelProto;
