import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * The analysis draws every random number from here so that one seed reproduces a whole report.
 * Streams are separated by a salt (behavior index, purpose) instead of sharing one generator, so
 * that adding a behavior or changing the number of bootstrap replicates does not reshuffle the
 * train/test split of every other behavior.
 */
export class Rng {
  private readonly gen: RandomGenerator;

  constructor(seed: number, ...salt: number[]) {
    this.gen = xoroshiro128plus(mixSeed(seed, salt));
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return uniformInt(this.gen, 0, n - 1);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Standard normal (Box-Muller); used for seeded start vectors and synthetic data. */
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(a: { length: number; [i: number]: unknown }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /**
   * k distinct indices out of [0, n) (partial Fisher-Yates on a caller-owned scratch permutation,
   * so a 128-example batch out of 100k rows costs 128 swaps, not a full shuffle).
   */
  sampleWithoutReplacement(perm: Int32Array, k: number, out: Int32Array): void {
    const n = perm.length;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      out[i] = perm[i];
    }
  }
}

/** splitmix32-style mixing of a seed with salts into one 32-bit seed. */
function mixSeed(seed: number, salt: number[]): number {
  let h = seed | 0;
  for (const s of salt) {
    h = Math.imul(h ^ (s | 0), 0x9e3779b1) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) | 0;
    h ^= h >>> 13;
  }
  return h;
}
