import type { BoundCheck } from './types.js';
import { norm } from './matrix.js';

/**
 * Theorem 4.1 (Im & Li 2024) bounds the head change by 6 beta eta t ||mu+ - mu-|| under a
 * step-size condition beta'^2 eta c_n^2 <= 1/4, where beta = beta' d^(-1/2) and c_n is the
 * constant of ||mu|| + tr(Cov)^(1/2) <= c_n sqrt(d). Taking the smallest c_n the data allow,
 * c_n sqrt(d) = max over both classes of ||mu|| + sqrt(tr Cov), the product is
 * beta^2 eta max(||mu±|| + sqrt(tr Cov±))^2 (the d's cancel). Computed per behavior from the
 * statistics' class means and (n - 1)-divisor traces. Only this condition is checked: the
 * covariance condition ||Cov|| <= c_v sqrt(d) holds for some constant for any fixed data.
 */
export function boundCheck(
  beta: number,
  lr: number,
  behaviors: readonly {
    name: string;
    muPositive: Float64Array;
    muNegative: Float64Array;
    tracePositive: number;
    traceNegative: number;
  }[],
): BoundCheck {
  const perBehavior: Record<string, number> = {};
  let worst = 0;
  for (const b of behaviors) {
    const d = b.muPositive.length;
    const cn = Math.max(
      norm(b.muPositive, d) + Math.sqrt(b.tracePositive),
      norm(b.muNegative, d) + Math.sqrt(b.traceNegative),
    );
    const product = beta * beta * lr * cn * cn;
    perBehavior[b.name] = product;
    worst = Math.max(worst, product);
  }
  return {
    status: worst <= 0.25 ? 'guaranteed' : 'empirical',
    stepSizeProduct: worst,
    perBehavior,
  };
}
