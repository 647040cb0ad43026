import { withRowBlock } from './kernels.js';
import type { Matrix } from './matrix.js';

/**
 * Scores g(row) . delta(t) of a run's rows for several states t at once: what a minibatch run's
 * curves need after its steps (simulate.ts). One pass over the rows serves every state, where a
 * per-step evaluation would read all the rows once per step (at d = 4096 a mixture's rows are
 * gigabytes, and that memory traffic was most of a joint run's time).
 */
export interface StateScorer {
  /** Rows per call of score (the caller splits the rows into chunks of this size). */
  readonly chunkRows: number;
  /**
   * out[(j - from) * k + s] = g(rows[j]) . heads[s * d .. (s + 1) * d) for from <= j < to, s < k,
   * with `rows` the run's scoredRows().
   */
  score(
    from: number,
    to: number,
    heads: Float64Array,
    k: number,
  ): Float64Array | Promise<Float64Array>;
}

/** States a run keeps unscored before it scores them itself (memory: FLUSH_STATES x d numbers). */
export const FLUSH_STATES = 32;

/** A chunk of rows that stays in L2 while every state is scored against it. */
const CHUNK_BYTES = 1 << 20;

/**
 * The scorer of this thread: each chunk of rows is copied once into the SIMD module's memory and
 * dotted with every state there, by the same kernel as a per-step evaluation (same numbers).
 */
export function syncStateScorer(m: Matrix, rows: Int32Array): StateScorer {
  const d = m.dim;
  return {
    chunkRows: Math.max(1, Math.floor(CHUNK_BYTES / (4 * d))),
    score(from, to, heads, k) {
      const n = to - from;
      const out = new Float64Array(n * k);
      const tmp = new Float64Array(n);
      withRowBlock(m.data, d, rows.subarray(from, to), (block) => {
        for (let s = 0; s < k; s++) {
          block.dots(heads.subarray(s * d, (s + 1) * d), tmp);
          for (let j = 0; j < n; j++) out[j * k + s] = tmp[j];
        }
      });
      return out;
    },
  };
}
