import type { ReportSidecar } from './sidecar-types.js';
import type { Report } from './types.js';

/**
 * What every face shows: the report and its per-row sidecar. The extension posts it to the
 * webview (src/shared/protocol.ts), the standalone HTML page embeds it (html.ts).
 */
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
