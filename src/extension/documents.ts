/**
 * Which open documents are datasets: the JSONL editor an analysis without arguments means, and
 * the unsaved text an analysis reads instead of the file on disk.
 */
import * as vscode from 'vscode';
import { isParquetPath } from '../core/dataset/position.js';
import { isDatasetFile, isJsonl } from './mixture.js';

export const isDataset = (doc: vscode.TextDocument): boolean =>
  doc.uri.scheme === 'file' && (doc.languageId === 'jsonl' || isJsonl(doc.uri.fsPath));

/** Unsaved JSONL and JSON editors: the analysis reads what the user sees, not the file on disk. */
export const unsavedOverlays = (): Map<string, string> => {
  const overlays = new Map<string, string>();
  for (const doc of vscode.workspace.textDocuments) {
    const file = doc.uri.fsPath;
    if (doc.isDirty && doc.uri.scheme === 'file' && isDatasetFile(file) && !isParquetPath(file))
      overlays.set(file, doc.getText());
  }
  return overlays;
};

/**
 * The dataset file of the active editor tab when it is no text editor: a Parquet file is
 * binary, so it is open in a custom editor (a Parquet viewer) or the binary editor, if at all.
 */
export const activeTabDataset = (): vscode.Uri | undefined => {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri =
    input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText
      ? input.uri
      : undefined;
  return uri && uri.scheme === 'file' && isDatasetFile(uri.fsPath) ? uri : undefined;
};

/**
 * Remembers the JSONL editor the user was in: from the palette while the report (a webview) has
 * focus there is no active text editor.
 */
export class DatasetEditors implements vscode.Disposable {
  private last: vscode.TextDocument | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isDataset(editor.document)) this.last = editor.document;
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc === this.last) this.last = undefined;
      }),
    ];
    const active = vscode.window.activeTextEditor?.document;
    if (active && isDataset(active)) this.last = active;
  }

  /** The active editor's document, else the last JSONL editor, else any visible JSONL editor. */
  current(): vscode.TextDocument | undefined {
    return (
      vscode.window.activeTextEditor?.document ??
      this.last ??
      vscode.window.visibleTextEditors.map((e) => e.document).find((d) => isDataset(d))
    );
  }

  dispose(): void {
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
