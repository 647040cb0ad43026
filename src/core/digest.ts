import { createHash } from 'node:crypto';

/** Bytes of a textDigest. */
export const DIGEST_BYTES = 32;

/**
 * A text's identity: SHA-256 of its UTF-16 code units. The reader stores it for every row, so a
 * text that stays on disk can still be deduplicated and looked up in the embedding cache (whose
 * key is derived from it), and is checked against it when it is read back. UTF-16 rather than
 * UTF-8 so that two strings that differ only in lone surrogates (which UTF-8 encodes alike, as
 * U+FFFD) never share a digest.
 */
export const textDigest = (text: string): Buffer =>
  createHash('sha256').update(text, 'utf16le').digest();

/**
 * The identity of a text embedded with a prompt boundary (a pairwise row: the first
 * `promptChars` code units are its prompt, cut first when the text is too long): the text's
 * digest and the boundary, hashed together, so a vector cached for the text cut at its end, or
 * with another boundary, is never reused for it. Without a boundary it is the text's digest.
 */
export const boundaryDigest = (digest: Uint8Array, promptChars: number): Uint8Array => {
  if (promptChars <= 0) return digest;
  const boundary = Buffer.alloc(4);
  boundary.writeUInt32LE(promptChars);
  return createHash('sha256').update('prompt-boundary').update(digest).update(boundary).digest();
};
