/** Export: the report as JSON (the schema in the README) or as the self-contained HTML page. */
import * as vscode from 'vscode';
import type { ReportPayload } from '../shared/protocol.js';
import type { Core } from './core-loader.js';

export type ExportFormat = 'html' | 'json';

/** Where the HTML renderer comes from: the lazily loaded core and the extension's dist/. */
export interface Renderer {
  core(): Promise<Core>;
  readonly extensionUri: vscode.Uri;
}

/** Asks where to save, writes the file and offers to open it. */
export async function exportReport(
  payload: ReportPayload,
  format: ExportFormat,
  renderer: Renderer,
): Promise<void> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `preference-lens-report.${format}`;
  const target = await vscode.window.showSaveDialog({
    defaultUri: root ? vscode.Uri.joinPath(root, name) : undefined,
    filters: format === 'html' ? { HTML: ['html'] } : { JSON: ['json'] },
    saveLabel: 'Export report',
  });
  if (!target) return;
  const content =
    format === 'json'
      ? JSON.stringify(payload.report, null, 2)
      : await renderHtml(payload, renderer);
  await vscode.workspace.fs.writeFile(target, Buffer.from(content, 'utf8'));
  const open = 'Open';
  if (
    (await vscode.window.showInformationMessage(
      `Preference Lens: report saved to ${target.fsPath}.`,
      open,
    )) === open
  ) {
    await vscode.env.openExternal(target);
  }
}

/** The standalone page inlines the same bundles and stylesheet the panel loads from dist/. */
const renderHtml = async (payload: ReportPayload, renderer: Renderer): Promise<string> => {
  const core = await renderer.core();
  const assets = await core.loadReportAssets(
    vscode.Uri.joinPath(renderer.extensionUri, 'dist').fsPath,
  );
  // Exported while the map was still projecting: the page says it has none, not "projecting".
  return core.renderHtml({ ...payload, mapPending: undefined }, assets);
};

/** The map's lasso selection, as the webview serialized it (JSON Lines), to a file the user picks. */
export async function exportRows(jsonl: string, rows: number): Promise<void> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: root ? vscode.Uri.joinPath(root, 'preference-lens-selection.jsonl') : undefined,
    filters: { 'JSON Lines': ['jsonl'] },
    saveLabel: `Export ${rows} rows`,
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, Buffer.from(jsonl, 'utf8'));
  void vscode.window.showInformationMessage(
    `Preference Lens: ${rows} rows saved to ${target.fsPath}.`,
  );
}
