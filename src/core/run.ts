/**
 * What a face (the CLI, the extension host, the webview through them) gets from a run: the Report
 * and its sidecar of per-row data (map positions, flags, texts, nearest rows). The embeddings and
 * the rows as read stay behind this object: a face never touches a vector nor re-reads a source.
 * The exports that need them (the embeddings as NPY, a rebalanced dataset) are core steps it calls.
 */
import type { SkippedLine } from './dataset/types.js';
import { writeEmbeddingsNpy } from './io/npy.js';
import { writeRebalancedJsonl, type RebalanceWriteResult } from './io/rebalance.js';
import { analyze, type AnalyzeResult } from './pipeline.js';
import { analyzePrecomputed } from './precomputed-run.js';
import { buildSidecar, type SidecarOptions } from './report/sidecar.js';
import type { ReportSidecar } from './report/sidecar-types.js';
import type { Report } from './report/types.js';

export interface FaceRun {
  report: Report;
  /** The lines left out of the analysis (the report's skipped.lines). */
  skipped: SkippedLine[];
  /**
   * The report's sidecar, built on the first call (the projection and the nearest rows run on a
   * worker thread when its bundle is there) and kept; null for a run without rows.
   */
  sidecar(options?: { signal?: AbortSignal }): Promise<ReportSidecar | null>;
  /** Writes the embeddings as `embeddings.npy` and their rows into `dir`. */
  saveEmbeddings(dir: string): Promise<{ npy: string; rows: string }>;
  /** Writes the analyzed records with the given upsampling weights (io/rebalance.ts). */
  writeRebalanced(
    out: string,
    weights: Readonly<Record<string, number>>,
  ): Promise<RebalanceWriteResult>;
}

/** The face's view of a finished analysis. `sidecar`: fixed options of its build (tests). */
export function faceRun(
  result: AnalyzeResult,
  sidecar: Pick<SidecarOptions, 'worker' | 'umapMaxRows' | 'seed'> = {},
): FaceRun {
  let built: Promise<ReportSidecar | null> | undefined;
  return {
    report: result.report,
    skipped: result.skipped,
    sidecar: (options = {}) => {
      built ??= buildSidecar(result.examples, result.embeddings, result.report, {
        ...sidecar,
        signal: options.signal,
        flags: result.rowFlags,
      }).catch((error: unknown) => {
        // A cancelled or failed build is not kept: the next call tries again.
        built = undefined;
        throw error;
      });
      return built;
    },
    saveEmbeddings: (dir) => writeEmbeddingsNpy(dir, result.embeddings, result.examples),
    writeRebalanced: (out, weights) => writeRebalancedJsonl(out, result.files, weights),
  };
}

/** analyze (pipeline.ts), as a face sees it. */
export const analyzeRun = async (...args: Parameters<typeof analyze>): Promise<FaceRun> =>
  faceRun(await analyze(...args));

/** analyzePrecomputed (precomputed-run.ts), as a face sees it. */
export const analyzePrecomputedRun = async (
  ...args: Parameters<typeof analyzePrecomputed>
): Promise<FaceRun> => faceRun(await analyzePrecomputed(...args));
