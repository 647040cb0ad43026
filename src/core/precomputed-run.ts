import {
  precomputedEmbedder,
  readAnswerRows,
  readEmbeddingShards,
  type MatrixStorage,
} from './embed/precomputed.js';
import { readRowsParquet } from './io/parquet-rows.js';
import {
  analyze,
  type AnalyzeOptions,
  type AnalyzeResult,
  type PipelineProgress,
} from './pipeline.js';

export interface PrecomputedInputs {
  /** The rows file written by `export-rows` (its rows, inputs and skipped lines). */
  rows: string;
  /** The folder of embedding shards. */
  embeddings: string;
  /** A causal LM's answer rows W_U[y₊], W_U[y₋] (φ and the simulated runs' head). */
  answerRows?: string;
  /** float32 or float16 storage of the matrix (default 'auto', see MatrixStorage). */
  storage?: MatrixStorage;
}

/**
 * The analysis of vectors computed elsewhere (e.g. by the Ray recipe): the rows file stands for
 * the datasets, the shards for the embedder; the rest is the local pipeline, unchanged.
 */
export async function analyzePrecomputed(
  inputs: PrecomputedInputs,
  options: Omit<AnalyzeOptions, 'embedder' | 'embed' | 'read' | 'files' | 'alignedModel'> = {},
  signal?: AbortSignal,
  onProgress?: (p: PipelineProgress) => void,
): Promise<AnalyzeResult> {
  onProgress?.({ stage: 'read', message: `reading ${inputs.rows}`, fraction: null });
  const rows = await readRowsParquet(inputs.rows);
  const loaded = await readEmbeddingShards({
    dir: inputs.embeddings,
    rowCount: rows.rowCount,
    storage: inputs.storage,
    signal,
    onShard: (done, total) =>
      onProgress?.({ stage: 'embed', message: `shards: ${done}/${total}`, fraction: done / total }),
  });
  const head = inputs.answerRows ? await readAnswerRows(inputs.answerRows, loaded.dim) : undefined;
  return analyze(
    rows.files.map((f) => f.file),
    {
      ...options,
      // The shards hold no prompt embeddings to cluster: unlabeled rows stay one behavior (the
      // default, 'unlabeled', would embed the prompts with the bundled model). Here, not in each
      // face, so the CLI and VS Code agree.
      discoverBehaviors: 'off',
      files: rows.files,
      embedder: precomputedEmbedder(loaded, inputs.embeddings, head),
    },
    signal,
    onProgress,
  );
}
