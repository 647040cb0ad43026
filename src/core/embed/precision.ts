import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Precision } from './types.js';

export const PRECISIONS: readonly Precision[] = ['fast', 'exact'];

/**
 * `exact` until a single graph meets both goals of issue #14 (2x sentence-transformers and every
 * bundled behavior within 1% of fp32): the tool measures small differences of means, so fidelity
 * wins by default (figures: docs/performance.md, "Precision").
 */
export const DEFAULT_PRECISION: Precision = 'exact';

/** The fast graph of the bundled model (tools/model/export_fast.py); `exact` is the folder's usual one. */
export const FAST_ONNX = join('onnx', 'model_fast.onnx');

export const isPrecision = (value: unknown): value is Precision =>
  typeof value === 'string' && (PRECISIONS as readonly string[]).includes(value);

/**
 * The fast graph of the bundled model folder `dir`. (`exact` is the file any model folder is
 * searched for, onnx/model_quantized.onnx here.) No onnxruntime here: the parent imports this file.
 */
export const fastOnnx = (dir: string): string => {
  const path = join(dir, FAST_ONNX);
  if (!existsSync(path))
    throw new Error(
      `The bundled model has no fast graph (${path}); rebuild it with tools/model/fetch_model.sh, or use the exact precision.`,
    );
  return path;
};
