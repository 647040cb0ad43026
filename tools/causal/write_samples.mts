// One-off: writes the test suite's tiny causal LMs (every head style) and what exposeFinalHidden
// makes of them into a folder, for check_exposed.py to validate with the official onnx checker
// and onnxruntime's Python API. Run: npx tsx tools/causal/write_samples.mts OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposeFinalHidden, readAnswerRows } from '../../src/core/embed/causal/index.js';
import { makeWeights, writeTinyModelDir, type HeadStyle } from '../../test/unit/causal-fixture.js';

const out = process.argv[2] ?? 'out/causal-samples';
const styles: HeadStyle[] = [
  'simplified-norm',
  'skip-norm',
  'fp16-hidden',
  'matmul',
  'transpose',
  'gemm',
  'fp16',
  'float-data',
  'last-token',
  'quantized',
];
for (const style of styles) {
  const dir = join(out, style);
  mkdirSync(dir, { recursive: true });
  const weights = makeWeights();
  const src = writeTinyModelDir(dir, weights, style);
  exposeFinalHidden(src, join(dir, 'hidden.onnx'));
  const all = exposeFinalHidden(src, join(dir, 'all.onnx'), { keepOriginalOutputs: true });
  const rows = style === 'quantized' ? undefined : readAnswerRows(src, [9, 10]);
  writeFileSync(
    join(dir, 'expected.json'),
    JSON.stringify({
      hidden: all.hiddenOutput,
      yes: rows ? Array.from(rows.yes) : null,
      no: rows ? Array.from(rows.no) : null,
      unembed: Array.from(weights.unembed),
    }),
  );
}
console.log(`wrote ${styles.length} samples to ${out}`);
