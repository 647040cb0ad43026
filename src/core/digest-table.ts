import { DIGEST_BYTES } from './digest.js';

const FIRST_CAPACITY = 1024;

/**
 * 32-byte digests (SHA-256), each with a number below 2^32, in about 44 to 52 bytes an entry: the digests side by
 * side in one byte array, the numbers in another, and an open-addressing table of entry indices.
 * A Map keyed by the digests as strings costs about three times that, which for the millions of
 * records of a large input is hundreds of MB. The digests are uniform, so their first four bytes
 * are the hash.
 */
export class DigestTable {
  private digests = new Uint8Array(FIRST_CAPACITY * DIGEST_BYTES);
  private values = new Uint32Array(FIRST_CAPACITY);
  /** Entry index + 1 per slot, 0 when empty; at most half full. */
  private slots = new Int32Array(FIRST_CAPACITY * 2);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The number stored with `digest`, or undefined. */
  get(digest: Uint8Array): number | undefined {
    const slot = this.find(digest);
    const entry = this.slots[slot];
    return entry === 0 ? undefined : this.values[entry - 1];
  }

  /** The number stored with `digest`; if there is none, stores `value` and returns undefined. */
  getOrAdd(digest: Uint8Array, value: number): number | undefined {
    let slot = this.find(digest);
    const entry = this.slots[slot];
    if (entry !== 0) return this.values[entry - 1];
    if (this.count === this.values.length) {
      this.grow();
      slot = this.find(digest);
    }
    const index = this.count++;
    this.digests.set(digest.subarray(0, DIGEST_BYTES), index * DIGEST_BYTES);
    this.values[index] = value;
    this.slots[slot] = index + 1;
    return undefined;
  }

  /** The slot holding `digest`, or the empty slot where it would go. */
  private find(digest: Uint8Array): number {
    const mask = this.slots.length - 1;
    let slot = hashOf(digest, 0) & mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0 || this.equals(entry - 1, digest)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private equals(index: number, digest: Uint8Array): boolean {
    const at = index * DIGEST_BYTES;
    for (let i = 0; i < DIGEST_BYTES; i++) if (this.digests[at + i] !== digest[i]) return false;
    return true;
  }

  private grow(): void {
    const capacity = this.values.length * 2;
    const digests = new Uint8Array(capacity * DIGEST_BYTES);
    digests.set(this.digests);
    const values = new Uint32Array(capacity);
    values.set(this.values);
    this.digests = digests;
    this.values = values;
    this.slots = new Int32Array(capacity * 2);
    const mask = this.slots.length - 1;
    for (let index = 0; index < this.count; index++) {
      let slot = hashOf(this.digests, index * DIGEST_BYTES) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = index + 1;
    }
  }
}

const hashOf = (bytes: Uint8Array, at: number): number =>
  (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
