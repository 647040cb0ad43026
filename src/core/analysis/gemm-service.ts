import * as ort from 'onnxruntime-node';
import {
  createModel,
  createValueInfo,
  encodeModel,
  type ValueInfoProto,
} from '../embed/causal/onnx-proto.js';
import type { Matrix } from './matrix.js';
import type { GramSide } from './spectral.js';
import type { BehaviorProducts } from './stats.js';

// The linear-algebra worker's side (gemm-client.ts starts it): the analysis's large matrix
// products as small ONNX graphs on onnxruntime, whose BLAS kernels run several times faster than
// the WebAssembly loops at d = 4096: the runs' scores (float64), the statistics' Gram matrices and
// bootstrap replicates (float32). onnxruntime is loaded in this one thread of the process only:
// it has crashed when several worker threads load it.

const FLOAT = 1;
const DOUBLE = 11;
/** onnx.AttributeProto.AttributeType INT and INTS. */
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** C = A B for A [m, n] and B [n, p] of the given element type, every dimension free. */
const matmulModel = (type: number): Uint8Array =>
  graphModel(
    [{ op_type: 'MatMul', input: ['a', 'b'], output: ['c'] }],
    [createValueInfo('a', type, ['m', 'n']), createValueInfo('b', type, ['n', 'p'])],
    createValueInfo('c', type, ['m', 'p']),
  );

/** mu = the mean of the rows of x [n, d], as [1, d]. */
const rowMean = (x: string, mu: string) => ({
  op_type: 'ReduceMean',
  input: [x],
  output: [mu],
  attribute: [
    { name: 'axes', type: ATTRIBUTE_INTS, ints: [0] },
    { name: 'keepdims', type: ATTRIBUTE_INT, i: 1 },
  ],
});

/** float32 C = W (X - mean(X)) for W [r, n], X [n, d]: the bootstrap's product on centred rows. */
const centredMatmulModel = (): Uint8Array =>
  graphModel(
    [
      rowMean('x', 'mu'),
      { op_type: 'Sub', input: ['x', 'mu'], output: ['xc'] },
      { op_type: 'MatMul', input: ['a', 'xc'], output: ['c'] },
    ],
    [createValueInfo('a', FLOAT, ['r', 'n']), createValueInfo('x', FLOAT, ['n', 'd'])],
    createValueInfo('c', FLOAT, ['r', 'd']),
  );

/**
 * float32 Gram matrix Xc^T Xc [d, d] of the rows X [n, d] centred on their mean: the smaller side
 * when n > d.
 */
const dimsGramModel = (): Uint8Array =>
  graphModel(
    [
      rowMean('x', 'mu'),
      { op_type: 'Sub', input: ['x', 'mu'], output: ['xc'] },
      {
        op_type: 'Gemm',
        input: ['xc', 'xc'],
        output: ['c'],
        attribute: [{ name: 'transA', type: ATTRIBUTE_INT, i: 1 }],
      },
    ],
    [createValueInfo('x', FLOAT, ['n', 'd'])],
    createValueInfo('c', FLOAT, ['d', 'd']),
  );

/**
 * float32 Gram matrix [n, n] of the rows X = [A; B] (A [h, d], B [n - h, d], views of X) centred
 * on their mean: [A A^T, A B^T; B A^T, B B^T] from three products, the lower-left block being the
 * transpose of the upper-right one (3/4 of the multiply-adds of a full product for h = n / 2).
 */
const rowsGramModel = (): Uint8Array => {
  const gemm = (a: string, b: string, out: string) => ({
    op_type: 'Gemm',
    input: [a, b],
    output: [out],
    attribute: [{ name: 'transB', type: ATTRIBUTE_INT, i: 1 }],
  });
  const concat = (input: string[], out: string, axis: number) => ({
    op_type: 'Concat',
    input,
    output: [out],
    attribute: [{ name: 'axis', type: ATTRIBUTE_INT, i: axis }],
  });
  return graphModel(
    [
      rowMean('x', 'mu'),
      { op_type: 'Sub', input: ['xa', 'mu'], output: ['ca'] },
      { op_type: 'Sub', input: ['xb', 'mu'], output: ['cb'] },
      gemm('ca', 'ca', 'aa'),
      gemm('ca', 'cb', 'ab'),
      gemm('cb', 'cb', 'bb'),
      { op_type: 'Transpose', input: ['ab'], output: ['ba'] },
      concat(['aa', 'ab'], 'top', 1),
      concat(['ba', 'bb'], 'bottom', 1),
      concat(['top', 'bottom'], 'c', 0),
    ],
    [
      createValueInfo('x', FLOAT, ['n', 'd']),
      createValueInfo('xa', FLOAT, ['h', 'd']),
      createValueInfo('xb', FLOAT, ['k', 'd']),
    ],
    createValueInfo('c', FLOAT, ['n', 'n']),
  );
};

/** A model whose nodes read `input` and write `output`. */
const graphModel = (
  node: Record<string, unknown>[],
  input: ValueInfoProto[],
  output: ValueInfoProto,
): Uint8Array =>
  encodeModel(
    createModel({
      ir_version: 8,
      producer_name: 'preference-lens',
      opset_import: [{ domain: '', version: 17 }],
      graph: { name: 'products', node, input, output: [output] },
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
    /**
     * float32, one intra-op thread each (they run beside the per-behavior workers): the
     * bootstrap, and the Gram matrices that start the covariances' Lanczos iterations.
     */
    private readonly single: {
      bootstrap: ort.InferenceSession;
      gram: Record<GramSide, ort.InferenceSession>;
    },
  ) {}

  static async create(m: Matrix, threads: number): Promise<GemmService> {
    const [wide, bootstrap, rows, dims] = await Promise.all([
      session(matmulModel(DOUBLE), Math.max(1, threads)),
      session(centredMatmulModel(), Math.max(1, threads)),
      session(rowsGramModel(), Math.max(1, threads)),
      session(dimsGramModel(), Math.max(1, threads)),
    ]);
    return new GemmService(m, wide, { bootstrap, gram: { rows, dims } });
  }

  /**
   * behaviorStatsWith's products of one behavior whose rows [n, d] (positives, then negatives)
   * are in `rows`: each asked-for class's float32 Gram matrix of its rows centred on their mean
   * (the smaller of [n, n] and [d, d]), and with `weights` the norms of the bootstrap replicates'
   * mean differences from one product W X (float32: the interval is a Monte Carlo estimate whose
   * sampling error, about 1% with 200 replicates, is orders of magnitude above float32 rounding).
   * The product runs on the rows centred on the behavior's mean: each replicate's coefficients
   * add up to 0, so it is the same, and the common component that dominates every row does not
   * cost float32 digits.
   */
  async behavior(
    rows: Float32Array,
    np: number,
    grams: [boolean, boolean],
    weights: Float32Array | null,
  ): Promise<BehaviorProducts> {
    const d = this.m.dim;
    const n = rows.length / d;
    const out: BehaviorProducts = { grams: [null, null], replicates: null };
    for (const c of [0, 1] as const) {
      if (!grams[c]) continue;
      const [from, k] = c === 0 ? [0, np] : [np, n - np];
      const x = rows.subarray(from * d, (from + k) * d);
      const side: GramSide = k <= d ? 'rows' : 'dims';
      const h = Math.ceil(k / 2);
      const g = await this.single.gram[side].run({
        x: new ort.Tensor('float32', x, [k, d]),
        ...(side === 'rows' && {
          xa: new ort.Tensor('float32', x.subarray(0, h * d), [h, d]),
          xb: new ort.Tensor('float32', x.subarray(h * d), [k - h, d]),
        }),
      });
      // A copy of onnxruntime's output, which the caller can hand over without copying again.
      const values = Float32Array.from(g.c.data as Float32Array);
      out.grams[c] = { values, size: side === 'rows' ? k : d, side };
    }
    if (!weights) return out;
    const reps = weights.length / n;
    const product = await this.single.bootstrap.run({
      a: new ort.Tensor('float32', weights, [reps, n]),
      x: new ort.Tensor('float32', rows, [n, d]),
    });
    const diffs = product.c.data as Float32Array;
    const values = new Float64Array(reps);
    for (let r = 0; r < reps; r++) {
      let s = 0;
      for (let k = r * d; k < (r + 1) * d; k++) s += diffs[k] * diffs[k];
      values[r] = Math.sqrt(s);
    }
    out.replicates = values;
    return out;
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

  /** The states of the current flush as [d, k] (every chunk of the flush uses them). */
  private transposed: { heads: Float64Array; t: Float64Array } | null = null;
}
