// The real causal LM the converter builds (npm run model:causal). Tests that need it skip with a
// message when it is missing, unless PL_REQUIRE_CAUSAL=1 (CI), where a missing model fails them.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe } from 'vitest';

export const SMOLLM2_DIR = resolve('.models', 'smollm2-135m-instruct');
export const SMOLLM2_PRESENT = existsSync(resolve(SMOLLM2_DIR, 'onnx', 'model.onnx'));
export const SMOLLM2_VARIANTS = ['model_fp16.onnx', 'model_quantized.onnx', 'model_q4.onnx'].every(
  (f) => existsSync(resolve(SMOLLM2_DIR, 'onnx', f)),
);

const required = process.env.PL_REQUIRE_CAUSAL === '1';

/** describe() when the model (and, with variants, its variant exports) is built; skipped otherwise. */
export const describeSmolLM2 = (name: string, fn: () => void, variants = false): void => {
  const present = SMOLLM2_PRESENT && (!variants || SMOLLM2_VARIANTS);
  if (!present && !required) {
    const what = variants ? 'its --variants exports' : 'onnx/model.onnx';
    console.warn(
      `skipped "${name}": ${SMOLLM2_DIR} lacks ${what} (build it with \`npm run model:causal\`; PL_REQUIRE_CAUSAL=1 makes this a failure)`,
    );
    describe.skip(`${name} (skipped: .models/smollm2-135m-instruct not built)`, fn);
    return;
  }
  if (!present) {
    describe(name, () => {
      throw new Error(
        `PL_REQUIRE_CAUSAL=1 but ${SMOLLM2_DIR} is not built${variants ? ' with --variants' : ''}: run \`npm run model:causal\``,
      );
    });
    return;
  }
  describe(name, fn);
};

/** IEEE half (round to nearest even) of a float32, back as a float: numpy's astype(float16). */
export const roundToHalf = (v: number): number => {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = bits >>> 31 ? -1 : 1;
  const a = Math.abs(v);
  if (!Number.isFinite(a) || a >= 65520) return sign * Infinity;
  if (a < 2 ** -24 / 2) return sign * 0;
  const exp = Math.max(Math.floor(Math.log2(a)), -14);
  const quantum = 2 ** (exp - 10);
  const q = a / quantum;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q) - 0.5) === 0)
    r = Math.trunc(q) % 2 === 0 ? Math.trunc(q) : Math.trunc(q) + 1;
  return sign * r * quantum;
};

export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
};

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
