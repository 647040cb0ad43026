import type { RowData } from './io/half.js';
import { createHash } from 'node:crypto';
import { normalizePrompt, runPairChecks, type CheckThresholds } from './analysis/pair-checks.js';
import { readRowContents, rowPromptChars, rowTextLength } from './dataset/index.js';
import type { Example } from './dataset/types.js';
import type { Embeddings } from './embed/types.js';

/** Rows read back per chunk while the prompts are hashed (bounded memory for large files). */
const CHUNK = 2048;

const key = (text: string): string =>
  createHash('sha256').update(text, 'utf16le').digest('base64').slice(0, 22);

/**
 * The pair checks on a mixture's rows: what pair-checks.ts needs besides the vectors, derived from
 * the rows (response lengths from the stored lengths; prompts read back, one per record, and kept
 * as hashes only).
 */
export async function checkMixture(
  examples: readonly Example[],
  embeddings: Embeddings<RowData>,
  maxTokens: number | undefined,
  thresholds: Partial<CheckThresholds>,
  signal?: AbortSignal,
): Promise<ReturnType<typeof runPairChecks>> {
  const n = examples.length;
  const responseLength = new Float64Array(n);
  const promptKeys: ({ exact: string; near: string } | null)[] = new Array<null>(n).fill(null);
  // A pair's two rows share their prompt: its first row stands for the record.
  const wanted: number[] = [];
  const seenPairs = new Set<number>();
  examples.forEach((e, r) => {
    responseLength[r] = rowTextLength(e) - rowPromptChars(e);
    if (e.pair === undefined) wanted.push(r);
    else if (!seenPairs.has(e.pair)) {
      seenPairs.add(e.pair);
      if (rowPromptChars(e) > 0) wanted.push(r);
    }
  });
  for (let s = 0; s < wanted.length; s += CHUNK) {
    signal?.throwIfAborted();
    const rows = wanted.slice(s, s + CHUNK);
    const contents = await readRowContents(
      rows.map((r) => examples[r]),
      signal,
    );
    rows.forEach((r, k) => {
      const c = contents[k];
      // An evals row's prompt is its question, the whole text.
      const prompt = c.promptChars ? c.text.slice(0, c.promptChars) : c.text;
      promptKeys[r] = { exact: key(prompt), near: key(normalizePrompt(prompt)) };
    });
  }
  return runPairChecks(
    {
      rows: examples,
      data: embeddings.data,
      dim: embeddings.dim,
      responseLength,
      promptKeys,
      truncation: embeddings.truncation,
      maxTokens,
    },
    thresholds,
  );
}
