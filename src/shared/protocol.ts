/**
 * The one typed protocol between the extension host and the report webview (and the standalone
 * HTML report, which plays the host's part with an embedded payload). Both sides import only this.
 */
import type { ReportPayload } from '../core/report/payload.js';
import type { ReportSidecar } from '../core/report/sidecar-types.js';

// The protocol carries report types only (the core's report layer); the core never imports this.
export type { ReportPayload, ReportSidecar };

export type HostToWebview =
  | { type: 'report'; payload: ReportPayload }
  | { type: 'progress'; message: string; fraction: number | null }
  | { type: 'error'; message: string }
  | { type: 'focusBehavior'; behavior: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'reveal'; file: string; line: number }
  | { type: 'openSimilar'; behavior: string; file: string; line: number }
  | { type: 'export'; format: 'html' | 'json' }
  /** The map's lasso selection as JSON Lines (one row per line: behavior, label, file, line, text). */
  | { type: 'exportRows'; jsonl: string; rows: number };

export const isWebviewToHost = (m: unknown): m is WebviewToHost =>
  typeof m === 'object' &&
  m !== null &&
  ['ready', 'reveal', 'openSimilar', 'export', 'exportRows'].includes(
    (m as { type?: unknown }).type as string,
  );
