/**
 * The one typed protocol between the extension host and the report webview (and the standalone
 * HTML report, which plays the host's part with an embedded payload). Both sides import only this.
 */
import type { ReportSidecar } from '../core/report/sidecar-types.js';
import type { Report } from '../core/report/types.js';

export type { ReportSidecar };

export interface ReportPayload {
  report: Report;
  /** Every row with its map position (computed once by the core); null without rows. */
  sidecar: ReportSidecar | null;
  /** Which files formed the mixture and why (the extension's mixture scope), for the header. */
  mixture?: string;
  /**
   * The map is still being projected (VS Code shows the report as soon as the analysis ends): the
   * sidecar follows in a second `report` message. Absent in stored and exported reports.
   */
  mapPending?: boolean;
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
  | { type: 'export'; format: 'html' | 'json' }
  /** The map's lasso selection as JSON Lines (one row per line: behavior, label, file, line, text). */
  | { type: 'exportRows'; jsonl: string; rows: number };

export const isWebviewToHost = (m: unknown): m is WebviewToHost =>
  typeof m === 'object' &&
  m !== null &&
  ['ready', 'reveal', 'openSimilar', 'export', 'exportRows'].includes(
    (m as { type?: unknown }).type as string,
  );
