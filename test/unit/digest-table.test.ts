import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestTable } from '../../src/core/digest-table.js';

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

describe('DigestTable', () => {
  it('keeps the first number of each digest, like a Map keyed by the digests, across growth', () => {
    const table = new DigestTable();
    const oracle = new Map<string, number>();
    // 20,000 digests, each offered three times with different numbers, in a mixed order.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20000; i++) {
        const k = (i * 7919 + round * 104729) % 20000;
        const digest = sha(`text ${k}`);
        const value = round * 100000 + i;
        const key = digest.toString('hex');
        expect(table.getOrAdd(digest, value)).toBe(oracle.get(key));
        if (!oracle.has(key)) oracle.set(key, value);
      }
    }
    expect(table.size).toBe(20000);
    for (const [key, value] of oracle) expect(table.get(Buffer.from(key, 'hex'))).toBe(value);
    expect(table.get(sha('never added'))).toBeUndefined();
  });

  it('tells apart digests that share their first bytes (the hash) and differ after', () => {
    const table = new DigestTable();
    const digests = Array.from({ length: 3000 }, (_, i) => {
      const d = Buffer.alloc(32, 0xab);
      d.writeUInt32LE(i, 28); // same first 28 bytes: every one lands in the same probe chain
      return d;
    });
    digests.forEach((d, i) => expect(table.getOrAdd(d, i)).toBeUndefined());
    digests.forEach((d, i) => expect(table.getOrAdd(d, -1 >>> 0)).toBe(i));
    // A view into a larger buffer works as well as a Buffer of its own.
    const host = new Uint8Array(64);
    host.set(digests[17], 16);
    expect(table.get(host.subarray(16, 48))).toBe(17);
  });
});
