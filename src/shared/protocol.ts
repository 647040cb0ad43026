/**
 * The one typed protocol between the extension host and the report webview (and the standalone
 * HTML report, which plays the host's part with an embedded payload). Both sides import only this.
 */
import type { Report } from '../core/report/types.js';

/** Points for the UMAP scatter: already PCA-reduced and subsampled by the host. */
export interface ScatterInput {
  /** Row-major [n, dims] PCA coordinates. */
  coords: number[];
  dims: number;
  behavior: number[];
  label: (1 | -1)[];
  file: number[];
  line: number[];
  text: string[];
  files: string[];
  behaviors: string[];
  /** Rows before subsampling, so the webview can say "showing n of total". */
  total: number;
  seed: number;
}

export interface ReportPayload {
  report: Report;
  scatter: ScatterInput | null;
  /** Which files formed the mixture and why (the extension's mixture scope), for the header. */
  mixture?: string;
}

export type HostToWebview =
  | { type: 'report'; payload: ReportPayload }
  | { type: 'progress'; message: string; fraction: number | null }
  | { type: 'error'; message: string }
  | { type: 'focusBehavior'; behavior: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'reveal'; file: string; line: number }
  | { type: 'openSimilar'; behavior: string; file: string; line: number }
  | { type: 'export'; format: 'html' | 'json' };

export const isWebviewToHost = (m: unknown): m is WebviewToHost =>
  typeof m === 'object' &&
  m !== null &&
  ['ready', 'reveal', 'openSimilar', 'export'].includes((m as { type?: unknown }).type as string);
