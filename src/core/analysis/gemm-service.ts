import * as ort from 'onnxruntime-node';
import {
  createModel,
  createValueInfo,
  encodeModel,
  type ValueInfoProto,
} from '../embed/causal/onnx-proto.js';
import type { Matrix } from './matrix.js';
import type { GramSide } from './spectral.js';
import { gatherRows } from './gather.js';
import type { CentredProducts, CentredProductsRequest } from './stats.js';

// The linear-algebra worker's side (gemm-client.ts starts it): the analysis's large matrix
// products as small ONNX graphs on onnxruntime, whose BLAS kernels run several times faster than
// the WebAssembly loops at d = 4096: the runs' scores (float64), the statistics' Gram matrices and
// weighted row sums of a behavior's rows (float32; the bootstrap's and the permutation test's,
// whose coefficients stats.ts defines). Only general products: no statistic is defined here. onnxruntime is loaded in this one thread of the process only:
// it has crashed when several worker threads load it.

const FLOAT = 1;
const DOUBLE = 11;
/** onnx.AttributeProto.AttributeType INT and INTS. */
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** float64 C = A B^T for A [m, n] and B [p, n] (the states as the runs keep them), every dimension free. */
const scoresModel = (): Uint8Array =>
  graphModel(
    [
      {
        op_type: 'Gemm',
        input: ['a', 'b'],
        output: ['c'],
        attribute: [{ name: 'transB', type: ATTRIBUTE_INT, i: 1 }],
      },
    ],
    [createValueInfo('a', DOUBLE, ['m', 'n']), createValueInfo('b', DOUBLE, ['p', 'n'])],
    createValueInfo('c', DOUBLE, ['m', 'p']),
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

/**
 * The squared norms [r] of the rows of the float32 product W (X - mean(X)) for W [r, n], X [n, d],
 * summed in float64; and the product itself (c, fetched only when asked). For coefficient rows
 * that add up to 0 (the bootstrap's and the permutation test's) it is W X.
 */
const replicateNormsModel = (): Uint8Array =>
  graphModel(
    [
      rowMean('x', 'mu'),
      { op_type: 'Sub', input: ['x', 'mu'], output: ['xc'] },
      { op_type: 'MatMul', input: ['a', 'xc'], output: ['c'] },
      {
        op_type: 'Cast',
        input: ['c'],
        output: ['c64'],
        attribute: [{ name: 'to', type: ATTRIBUTE_INT, i: DOUBLE }],
      },
      {
        op_type: 'ReduceSumSquare',
        input: ['c64'],
        output: ['s'],
        attribute: [
          { name: 'axes', type: ATTRIBUTE_INTS, ints: [1] },
          { name: 'keepdims', type: ATTRIBUTE_INT, i: 0 },
        ],
      },
    ],
    [createValueInfo('a', FLOAT, ['r', 'n']), createValueInfo('x', FLOAT, ['n', 'd'])],
    [createValueInfo('s', DOUBLE, ['r']), createValueInfo('c', FLOAT, ['r', 'd'])],
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
 * float32 Gram matrix [n, n] of the rows X [n, d] centred on their mean, X given whole (x) and as
 * `parts` consecutive blocks of rows (x0, x1, ...: views of it): block (i, j) of the result is
 * Ci Cj^T for i <= j and the transpose of block (j, i) below the diagonal, so the products cost
 * (parts + 1) / (2 parts) of a full one.
 */
const rowsGramModel = (parts: number): Uint8Array => {
  const attribute = (name: string, i: number) => [{ name, type: ATTRIBUTE_INT, i }];
  const node: Record<string, unknown>[] = [rowMean('x', 'mu')];
  for (let i = 0; i < parts; i++)
    node.push({ op_type: 'Sub', input: [`x${i}`, 'mu'], output: [`c${i}`] });
  for (let i = 0; i < parts; i++)
    for (let j = 0; j < parts; j++)
      node.push(
        i <= j
          ? {
              op_type: 'Gemm',
              input: [`c${i}`, `c${j}`],
              output: [`g${i}_${j}`],
              attribute: attribute('transB', 1),
            }
          : { op_type: 'Transpose', input: [`g${j}_${i}`], output: [`g${i}_${j}`] },
      );
  for (let i = 0; i < parts; i++)
    node.push({
      op_type: 'Concat',
      input: Array.from({ length: parts }, (_, j) => `g${i}_${j}`),
      output: [`r${i}`],
      attribute: attribute('axis', 1),
    });
  node.push({
    op_type: 'Concat',
    input: Array.from({ length: parts }, (_, i) => `r${i}`),
    output: ['c'],
    attribute: attribute('axis', 0),
  });
  return graphModel(
    node,
    [
      createValueInfo('x', FLOAT, ['n', 'd']),
      ...Array.from({ length: parts }, (_, i) => createValueInfo(`x${i}`, FLOAT, [`n${i}`, 'd'])),
    ],
    createValueInfo('c', FLOAT, ['n', 'n']),
  );
};

/** Blocks of rows of rowsGramModel for a class of at least ROWS_GRAM_SPLIT_MIN rows (fewer: one). */
const ROWS_GRAM_PARTS = 4;
const ROWS_GRAM_SPLIT_MIN = 64;

/** A model whose nodes read `input` and write `output`. */
const graphModel = (
  node: Record<string, unknown>[],
  input: ValueInfoProto[],
  output: ValueInfoProto | ValueInfoProto[],
): Uint8Array =>
  encodeModel(
    createModel({
      ir_version: 8,
      producer_name: 'preference-lens',
      opset_import: [{ domain: '', version: 17 }],
      graph: { name: 'products', node, input, output: Array.isArray(output) ? output : [output] },
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
    /** float64: the runs' scores. */
    private readonly scoring: ort.InferenceSession,
    /**
     * float32: the centred products, and the Gram matrices that start the covariances' Lanczos
     * iterations. Every session has `threads` intra-op threads.
     */
    private readonly statistics: {
      centred: ort.InferenceSession;
      gram: {
        rows: ort.InferenceSession;
        rowsWhole: ort.InferenceSession;
        dims: ort.InferenceSession;
      };
    },
  ) {}

  static async create(m: Matrix, threads: number): Promise<GemmService> {
    const [scoring, centred, rows, rowsWhole, dims] = await Promise.all([
      session(scoresModel(), Math.max(1, threads)),
      session(replicateNormsModel(), Math.max(1, threads)),
      session(rowsGramModel(ROWS_GRAM_PARTS), Math.max(1, threads)),
      session(rowsGramModel(1), Math.max(1, threads)),
      session(dimsGramModel(), Math.max(1, threads)),
    ]);
    return new GemmService(m, scoring, { centred, gram: { rows, rowsWhole, dims } });
  }

  /**
   * One behavior's products, its rows read here from the shared matrix: each asked-for class's
   * float32 Gram matrix of its rows centred on their mean (the smaller of [n, n] and [d, d]), and
   * for each coefficient block W the norms of W X from one product (float32: the bootstrap
   * interval and the permutation test are Monte Carlo estimates whose sampling error is orders of
   * magnitude above float32 rounding). The product runs on the rows centred on the behavior's mean:
   * the rows of W add up to 0, so it is the same, and the common component that dominates every
   * row does not cost float32 digits.
   */
  async behavior(request: CentredProductsRequest): Promise<CentredProducts> {
    const { positives, negatives, grams, products } = request;
    const d = this.m.dim;
    const np = positives.length;
    const n = np + negatives.length;
    const rows = this.scratch32('rows', n * d);
    gatherRows(this.m, positives, rows);
    gatherRows(this.m, negatives, rows.subarray(np * d));
    const sizes = [np, n - np].map((k, c) => (grams[c] ? (k <= d ? k : d) : 0));
    // The Gram matrices are written into one block that is handed over to the caller.
    const gramOut = new Float32Array(sizes[0] ** 2 + sizes[1] ** 2);
    const out: CentredProducts = { grams: [null, null], products: [] };
    let at = 0;
    for (const c of [0, 1] as const) {
      if (!grams[c]) continue;
      const [from, k] = c === 0 ? [0, np] : [np, n - np];
      const x = rows.subarray(from * d, (from + k) * d);
      const side: GramSide = k <= d ? 'rows' : 'dims';
      const size = sizes[c];
      const parts = side === 'dims' ? 0 : k >= ROWS_GRAM_SPLIT_MIN ? ROWS_GRAM_PARTS : 1;
      const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, [k, d]) };
      for (let i = 0; i < parts; i++) {
        const [lo, hi] = [Math.floor((i * k) / parts), Math.floor(((i + 1) * k) / parts)];
        feeds[`x${i}`] = new ort.Tensor('float32', x.subarray(lo * d, hi * d), [hi - lo, d]);
      }
      const { gram } = this.statistics;
      const session = side === 'dims' ? gram.dims : parts === 1 ? gram.rowsWhole : gram.rows;
      const values = gramOut.subarray(at, at + size * size);
      await session.run(feeds, { c: new ort.Tensor('float32', values, [size, size]) });
      out.grams[c] = { values, size, side };
      at += size * size;
    }
    for (const { coefficients, vectors } of products) {
      const r = coefficients.length / n;
      const norms = new Float64Array(r);
      const c = vectors ? new Float32Array(r * d) : null;
      await this.statistics.centred.run(
        {
          a: new ort.Tensor('float32', coefficients, [r, n]),
          x: new ort.Tensor('float32', rows, [n, d]),
        },
        {
          s: new ort.Tensor('float64', norms, [r]),
          ...(c ? { c: new ort.Tensor('float32', c, [r, d]) } : {}),
        },
      );
      out.products.push({ norms, vectors: c });
    }
    return out;
  }

  /** Blocks reused from one request to the next: filling fresh memory costs more than the copy. */
  private scratch32(name: string, length: number): Float32Array {
    let b = this.blocks32.get(name);
    if (!b || b.length < length) this.blocks32.set(name, (b = new Float32Array(length)));
    return b.subarray(0, length);
  }

  private scratch64(length: number): Float64Array {
    if (this.block64.length < length) this.block64 = new Float64Array(length);
    return this.block64.subarray(0, length);
  }

  private readonly blocks32 = new Map<string, Float32Array>();
  private block64 = new Float64Array(0);

  /**
   * out[j * k + s] = g(rows[j]) . heads[s] for the given rows of the matrix and the k states
   * `heads` ([k, d]): StateScorer.score. The rows are gathered here, as float64, into a reused block.
   */
  async scores(
    rows: Int32Array,
    heads: Float64Array,
    k: number,
    /** Names the states: the same for every chunk of a flush. */
    key: string,
  ): Promise<Float64Array> {
    const d = this.m.dim;
    const n = rows.length;
    // onnxruntime does not read shared memory: one copy of the flush's states serves its chunks.
    if (this.states?.key !== key) {
      if (this.states === null || this.states.block.length < k * d)
        this.states = { key, block: new Float64Array(k * d) };
      this.states.key = key;
      this.states.block.set(heads.subarray(0, k * d));
    }
    const block = this.scratch64(n * d);
    gatherRows(this.m, rows, block);
    const out = new Float64Array(n * k);
    await this.scoring.run(
      {
        a: new ort.Tensor('float64', block, [n, d]),
        b: new ort.Tensor('float64', this.states.block.subarray(0, k * d), [k, d]),
      },
      { c: new ort.Tensor('float64', out, [n, k]) },
    );
    return out;
  }

  /** The states being scored, copied into a block reused from one flush to the next. */
  private states: { key: string; block: Float64Array } | null = null;
}
