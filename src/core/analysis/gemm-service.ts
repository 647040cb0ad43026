import * as ort from 'onnxruntime-node';
import { createModel, createValueInfo, encodeModel } from '../embed/causal/onnx-proto.js';
import { addRows } from './kernels.js';
import type { Matrix } from './matrix.js';
import { bootstrapCoefficients, percentileInterval } from './stats.js';

// The linear-algebra worker's side (gemm-client.ts starts it): the analysis's large matrix
// products as a one-node ONNX graph (MatMul, float64) on onnxruntime, whose BLAS kernels run
// several times faster than the WebAssembly loops at d = 4096. onnxruntime is loaded in this one
// thread of the process only: it has crashed when several worker threads load it.

const FLOAT = 1;
const DOUBLE = 11;

/** C = A B for A [m, n] and B [n, p] of the given element type, every dimension free. */
const matmulModel = (type: number): Uint8Array =>
  encodeModel(
    createModel({
      ir_version: 8,
      producer_name: 'preference-lens',
      opset_import: [{ domain: '', version: 17 }],
      graph: {
        name: 'matmul',
        node: [{ op_type: 'MatMul', input: ['a', 'b'], output: ['c'] }],
        input: [createValueInfo('a', type, ['m', 'n']), createValueInfo('b', type, ['n', 'p'])],
        output: [createValueInfo('c', type, ['m', 'p'])],
      },
    }),
  );

const session = (bytes: Uint8Array, threads: number): Promise<ort.InferenceSession> =>
  ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Idle intra-op threads sleep instead of spinning: this worker shares the cores with others.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });

export class GemmService {
  private constructor(
    private readonly m: Matrix,
    /** float64, `threads` intra-op threads: the runs' scores (a joint run's while the others wait). */
    private readonly wide: ort.InferenceSession,
    /** float32, one intra-op thread (it runs beside the per-behavior workers): the bootstrap. */
    private readonly single: ort.InferenceSession,
  ) {}

  static async create(m: Matrix, threads: number): Promise<GemmService> {
    const wide = await session(matmulModel(DOUBLE), Math.max(1, threads));
    return new GemmService(m, wide, await session(matmulModel(FLOAT), 1));
  }

  private async matmul(
    s: ort.InferenceSession,
    a: Float64Array,
    rows: number,
    inner: number,
    b: Float64Array,
    cols: number,
  ): Promise<Float64Array> {
    const out = await s.run({
      a: new ort.Tensor('float64', a, [rows, inner]),
      b: new ort.Tensor('float64', b, [inner, cols]),
    });
    return out.c.data as Float64Array;
  }

  /**
   * bootstrapDistinguishability's interval (same resampling): the replicates' mean differences
   * are one product W G of the [reps, n] coefficients and the [n, d] rows, in float32 (twice as
   * fast as float64; the interval is a Monte Carlo estimate whose sampling error, about 1% with
   * 200 replicates, is orders of magnitude above float32 rounding). The rows are centred on the
   * behavior's mean first: each replicate's coefficients add up to 0, so the product is the same,
   * and the common component that dominates every row does not cost float32 digits.
   */
  async bootstrap(
    positives: Int32Array,
    negatives: Int32Array,
    reps: number,
    confidence: number,
    seed: number,
  ): Promise<[number, number]> {
    const d = this.m.dim;
    const { data } = this.m;
    const np = positives.length;
    const n = np + negatives.length;
    const rows = new Int32Array(n);
    rows.set(positives);
    rows.set(negatives, np);
    const mean = new Float64Array(d);
    addRows(data, d, rows, new Float64Array(n).fill(1 / n), n, mean);
    const x = this.scratch32('rows', n * d);
    for (let j = 0; j < n; j++) {
      const o = rows[j] * d;
      const t = j * d;
      for (let k = 0; k < d; k++) x[t + k] = data[o + k] - mean[k];
    }
    const w = this.scratch32('weights', reps * n);
    bootstrapCoefficients(np, negatives.length, reps, seed, (r, coef) => w.set(coef, r * n));
    const out = await this.single.run({
      a: new ort.Tensor('float32', w, [reps, n]),
      b: new ort.Tensor('float32', x, [n, d]),
    });
    const diffs = out.c.data as Float32Array;
    const values = new Float64Array(reps);
    for (let r = 0; r < reps; r++) {
      let s = 0;
      for (let k = r * d; k < (r + 1) * d; k++) s += diffs[k] * diffs[k];
      values[r] = Math.sqrt(s);
    }
    return percentileInterval(values, confidence);
  }

  /**
   * out[j * k + s] = block[j] . heads[s] for the n rows of `block` ([n, d], gathered by the caller)
   * and k states `heads` ([k, d]): StateScorer.score.
   */
  async scores(
    block: Float64Array,
    n: number,
    heads: Float64Array,
    k: number,
  ): Promise<Float64Array> {
    const d = this.m.dim;
    if (this.transposed?.heads !== heads) {
      const t = new Float64Array(d * k);
      for (let s = 0; s < k; s++) for (let c = 0; c < d; c++) t[c * k + s] = heads[s * d + c];
      this.transposed = { heads, t };
    }
    return this.matmul(this.wide, block.subarray(0, n * d), n, d, this.transposed.t, k);
  }

  /** Blocks reused from one behavior to the next: filling fresh memory costs more than the copy. */
  private readonly buffers32 = new Map<string, Float32Array>();

  private scratch32(name: string, length: number): Float32Array {
    let b = this.buffers32.get(name);
    if (!b || b.length < length) this.buffers32.set(name, (b = new Float32Array(length)));
    return b.subarray(0, length);
  }

  /** The states of the current flush as [d, k] (every chunk of the flush uses them). */
  private transposed: { heads: Float64Array; t: Float64Array } | null = null;
}
