/**
 * The report panel: one WebviewPanel at a time, nonce CSP, restored after a window reload by the
 * serializer (the last payload is kept on disk in the workspace storage, since the panel's own
 * state can be dropped by VS Code).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  isWebviewToHost,
  type HostToWebview,
  type ReportPayload,
  type WebviewToHost,
} from '../shared/protocol.js';

export const REPORT_VIEW_TYPE = 'preferenceLens.report';

export type PanelMessageHandler = (message: WebviewToHost) => void | Promise<void>;

export class ReportPanel implements vscode.Disposable {
  private static current: ReportPanel | undefined;

  private payload: ReportPayload | undefined;
  private ready = false;
  /** Messages sent before the webview said 'ready' (it drops what arrives before its listener). */
  private queue: HostToWebview[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: PanelMessageHandler,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.html = panelHtml(panel.webview, extensionUri);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage(
      (message: unknown) => {
        if (!isWebviewToHost(message)) return;
        if (message.type === 'ready') {
          this.ready = true;
          if (this.payload) this.queue.unshift({ type: 'report', payload: this.payload });
          const pending = this.queue;
          this.queue = [];
          for (const m of pending) void panel.webview.postMessage(m);
        }
        void Promise.resolve(this.onMessage(message)).catch((error: unknown) => {
          void vscode.window.showErrorMessage(`Preference Lens: ${errorMessage(error)}`);
        });
      },
      null,
      this.disposables,
    );
  }

  static get active(): ReportPanel | undefined {
    return ReportPanel.current;
  }

  /** Shows the panel beside the editor, creating it if needed. */
  static show(
    extensionUri: vscode.Uri,
    onMessage: PanelMessageHandler,
    preserveFocus = true,
  ): ReportPanel {
    if (ReportPanel.current) {
      ReportPanel.current.panel.reveal(undefined, preserveFocus);
      return ReportPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      'Preference Lens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: true },
    );
    ReportPanel.current = new ReportPanel(panel, extensionUri, onMessage);
    return ReportPanel.current;
  }

  static revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    onMessage: PanelMessageHandler,
    payload?: ReportPayload,
  ): ReportPanel {
    ReportPanel.current?.dispose();
    ReportPanel.current = new ReportPanel(panel, extensionUri, onMessage);
    if (payload) ReportPanel.current.setPayload(payload);
    return ReportPanel.current;
  }

  setPayload(payload: ReportPayload): void {
    this.payload = payload;
    this.post({ type: 'report', payload });
  }

  post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
    else if (message.type !== 'report') this.queue.push(message);
  }

  focusBehavior(behavior: string): void {
    this.panel.reveal(undefined, false);
    this.post({ type: 'focusBehavior', behavior });
  }

  dispose(): void {
    if (ReportPanel.current === this) ReportPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

const webviewOptions = (extensionUri: vscode.Uri): vscode.WebviewOptions => ({
  enableScripts: true,
  localResourceRoots: [
    vscode.Uri.joinPath(extensionUri, 'dist'),
    vscode.Uri.joinPath(extensionUri, 'media'),
  ],
});

const panelHtml = (webview: vscode.Webview, extensionUri: vscode.Uri): string => {
  const nonce = randomBytes(16).toString('base64');
  const asset = (...parts: string[]): string =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    // No worker and no fetch: the map arrives projected in the payload (the report's sidecar).
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="preference-lens-nonce" content="${nonce}">
<link rel="stylesheet" href="${asset('dist', 'report.css')}">
<title>Preference Lens</title>
</head>
<body>
<div id="app"><p class="placeholder">Preference Lens: waiting for the analysis…</p></div>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
};

/** One readable line for a notification: no terminal colour codes (onnxruntime's log has them). */
export const errorMessage = (error: unknown): string => {
  const text = (error instanceof Error ? error.message : String(error))
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
};
