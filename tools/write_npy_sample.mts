// Writes a sample --save-embeddings folder for tools/check_npy.py: the rows of the bundled
// pairwise example with the matrix a[i, j] = i - j / 8 (exact in float32), through the real writer.
// Usage: npx tsx tools/write_npy_sample.mts OUT_DIR
import { readDataset } from '../src/core/dataset/index.js';
import { writeEmbeddingsNpy } from '../src/core/io/index.js';

const out = process.argv[2] ?? 'out/npy-sample';
const file = await readDataset('examples/pairwise/harmless-pairs-messages.jsonl');
const rows = file.examples.length;
const dim = 384;
const data = new Float32Array(rows * dim);
for (let i = 0; i < rows; i++) for (let j = 0; j < dim; j++) data[i * dim + j] = i - j / 8;
const written = await writeEmbeddingsNpy(out, { data, rows, dim }, file.examples);
console.log(`wrote ${written.npy} (${rows} x ${dim}) and ${written.rows}`);
