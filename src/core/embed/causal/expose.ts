import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { headDimension } from './answer-rows.js';
import { assertHiddenAvailable, type CausalOnnxInspection, inspectCausalOnnx } from './inspect.js';
import {
  asLoaded,
  createValueInfo,
  encodeModel,
  EXTERNAL_LOCATION,
  type GraphProto,
  type LoadedOnnx,
  type NodeProto,
} from './onnx-proto.js';

export interface ExposeOptions {
  /**
   * Keep the model's own outputs (logits, present key/values) next to the hidden state. Off by
   * default: the edited graph then ends at the hidden state, so the LM head (B x S x V logits, the
   * largest tensor of the forward pass) and the key/value outputs are never computed.
   */
  keepOriginalOutputs?: boolean;
  /** The model's inspection when the caller has it (made before its weights were moved out). */
  inspection?: CausalOnnxInspection;
}

export interface ExposedModel {
  path: string;
  hiddenOutput: string;
  inspection: CausalOnnxInspection;
}

/** Every tensor a node reads, including outer-scope names read inside If/Loop/Scan bodies. */
const nodeReads = (node: NodeProto): string[] => {
  const reads = node.input.filter((i) => i !== '');
  const visit = (g: GraphProto) => {
    for (const n of g.node) reads.push(...nodeReads(n));
  };
  for (const a of node.attribute) {
    if (a.g) visit(a.g);
    for (const g of a.graphs ?? []) visit(g);
  }
  return reads;
};

/** Keeps the nodes, initializers and inputs that the given outputs depend on, in their order. */
const pruneTo = (graph: GraphProto, outputs: readonly string[]): void => {
  const producerIndex = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o && producerIndex.set(o, i)));
  const needed = new Set<string>(outputs);
  const keep = new Set<number>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    const i = producerIndex.get(name);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    for (const r of nodeReads(graph.node[i])) {
      if (!needed.has(r)) {
        needed.add(r);
        stack.push(r);
      }
    }
  }
  graph.node = graph.node.filter((_, i) => keep.has(i));
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
  graph.input = graph.input.filter((v) => needed.has(v.name));
  graph.value_info = graph.value_info.filter((v) => needed.has(v.name));
};

/**
 * Writes a copy of the model whose graph outputs the final normalized hidden state (the LM head's
 * input). The copy keeps external-data locations as they are, so it must sit where they resolve.
 * A LoadedOnnx passed in is edited in place (no second decode of a large model).
 */
export const exposeFinalHidden = (
  source: string | LoadedOnnx,
  outPath: string,
  options: ExposeOptions = {},
): ExposedModel => {
  const loaded = asLoaded(source);
  const inspection = options.inspection ?? inspectCausalOnnx(loaded);
  const hiddenOutput = assertHiddenAvailable(loaded.path, inspection);
  const graph = loaded.model.graph;
  // ONNX requires a shape on graph outputs. A declared one is reused; otherwise the usual
  // [batch, sequence, d] (onnxruntime only warns if an odd export differs; the runner reads any rank).
  const declared = graph.value_info.find((v) => v.name === hiddenOutput);
  const d = headDimension(inspection) ?? 'hidden_size';
  const hiddenInfo = declared?.type?.tensor_type?.shape
    ? declared
    : createValueInfo(hiddenOutput, inspection.hiddenElemType ?? 1, [
        'batch_size',
        'sequence_length',
        d,
      ]);
  if (options.keepOriginalOutputs) {
    if (!graph.output.some((o) => o.name === hiddenOutput)) graph.output.push(hiddenInfo);
  } else {
    graph.output = [graph.output.find((o) => o.name === hiddenOutput) ?? hiddenInfo];
    pruneTo(graph, [hiddenOutput]);
  }
  // A graph output is declared once, as an output: not also among the intermediate values.
  graph.value_info = graph.value_info.filter((v) => v.name !== hiddenOutput);
  mkdirSync(dirname(outPath), { recursive: true });
  // Written under a temporary name and renamed, so a concurrent reader never sees half a model.
  const tmp = `${outPath}.${process.pid}.tmp`;
  writeFileSync(tmp, encodeModel(loaded.model));
  renameSync(tmp, outPath);
  return { path: outPath, hiddenOutput, inspection };
};

/** The external data files a model's initializers point to (relative to the model's folder). */
export const externalLocations = (loaded: LoadedOnnx): string[] => {
  const locations = new Set<string>();
  for (const t of loaded.model.graph.initializer) {
    if (t.data_location !== EXTERNAL_LOCATION) continue;
    const location = t.external_data.find((e) => e.key === 'location')?.value;
    if (location) locations.add(location);
  }
  return [...locations].sort();
};
