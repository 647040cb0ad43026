import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnalysisInput } from '../../src/core/analysis/analyze.js';
import type { Matrix } from '../../src/core/analysis/matrix.js';
import { Rng } from '../../src/core/analysis/rng.js';

/**
 * Embeddings that look like a sentence-embedding model's: unit-norm rows sharing a common
 * component, each behavior separating its classes along its own direction by `separation`.
 */
export function syntheticMixture(options: {
  dim: number;
  perBehavior: readonly number[];
  separation: readonly number[];
  seed?: number;
  common?: number;
}): { matrix: Matrix<Float32Array>; labels: Int8Array; behavior: Int32Array } {
  const rng = new Rng(options.seed ?? 99);
  const d = options.dim;
  const n = options.perBehavior.reduce((a, b) => a + b, 0);
  const data = new Float32Array(n * d);
  const labels = new Int8Array(n);
  const behavior = new Int32Array(n);
  const common = Array.from({ length: d }, () => rng.normal());
  const cn = Math.hypot(...common);
  let r = 0;
  options.perBehavior.forEach((count, b) => {
    const dir = Array.from({ length: d }, () => rng.normal());
    const dn = Math.hypot(...dir);
    const topic = Array.from({ length: d }, () => rng.normal() / Math.sqrt(d));
    for (let i = 0; i < count; i++, r++) {
      const s = rng.float() < 0.5 ? 1 : -1;
      labels[r] = s;
      behavior[r] = b;
      const row = new Float64Array(d);
      for (let k = 0; k < d; k++)
        row[k] =
          ((options.common ?? 0.6) * common[k]) / cn +
          topic[k] +
          (s * options.separation[b] * dir[k]) / dn / 2 +
          (0.5 * rng.normal()) / Math.sqrt(d);
      const len = Math.hypot(...row);
      for (let k = 0; k < d; k++) data[r * d + k] = row[k] / len;
    }
  });
  return { matrix: { data, rows: n, dim: d }, labels, behavior };
}

export function rowsWhere(pred: (i: number) => boolean, n: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (pred(i)) out.push(i);
  return Int32Array.from(out);
}

/**
 * Real embeddings: the bundled all-MiniLM-L6-v2 on the `question` of the first 150 lines of four
 * persona behaviors (tools/crosscheck/make-real-fixture.mts).
 */
export function personaFixture(): {
  meta: { dim: number; names: string[]; labels: number[]; behavior: number[] };
  data: Float32Array;
  input: AnalysisInput & { data: Float32Array };
} {
  const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
  const meta = JSON.parse(
    readFileSync(here('../fixtures/analysis/minilm-persona.json'), 'utf8'),
  ) as { dim: number; names: string[]; labels: number[]; behavior: number[] };
  const bytes = readFileSync(here('../fixtures/analysis/minilm-persona.f32'));
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const input: AnalysisInput & { data: Float32Array } = {
    data,
    dim: meta.dim,
    labels: meta.labels,
    behaviorIndex: meta.behavior,
    behaviorNames: meta.names,
    model: 'minilm',
  };
  return { meta, data, input };
}

/**
 * Real paired embeddings: the bundled all-MiniLM-L6-v2 on the bundled HH-RLHF sample (299 pairs,
 * chosen row then rejected row, each with its pair id; tools/crosscheck/make-hh-fixture.mts).
 */
export function hhFixture(): {
  meta: { dim: number; labels: number[]; pairs: number[] };
  data: Float32Array;
} {
  const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
  const meta = JSON.parse(readFileSync(here('../fixtures/analysis/minilm-hh.json'), 'utf8')) as {
    dim: number;
    labels: number[];
    pairs: number[];
  };
  const bytes = readFileSync(here('../fixtures/analysis/minilm-hh.f32'));
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  return { meta, data };
}
