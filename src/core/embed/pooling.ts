import type { Pooling } from './types.js';

/**
 * Pools a right- or left-padded hidden-state batch [batch, seq, dim] into rows [batch, dim].
 * mean averages the positions whose mask is set; cls takes position 0; last-token takes the last
 * position whose mask is set (the paper's g(x) for a prompt).
 */
export const poolHidden = (
  hidden: Float32Array,
  mask: ArrayLike<number | bigint>,
  batch: number,
  seq: number,
  dim: number,
  pooling: Pooling,
  normalize: boolean,
): Float32Array => {
  const out = new Float32Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * dim, (b + 1) * dim);
    const base = b * seq;
    if (pooling === 'mean') {
      let count = 0;
      for (let t = 0; t < seq; t++) {
        if (!Number(mask[base + t])) continue;
        count++;
        const off = (base + t) * dim;
        for (let k = 0; k < dim; k++) row[k] += hidden[off + k];
      }
      const inv = 1 / Math.max(count, 1e-9);
      for (let k = 0; k < dim; k++) row[k] *= inv;
    } else {
      let t = 0;
      if (pooling === 'last-token') {
        t = seq - 1;
        while (t > 0 && !Number(mask[base + t])) t--;
      }
      row.set(hidden.subarray((base + t) * dim, (base + t + 1) * dim));
    }
    if (normalize) {
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += row[k] * row[k];
      const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
      for (let k = 0; k < dim; k++) row[k] *= inv;
    }
  }
  return out;
};
