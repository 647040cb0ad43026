/**
 * Which open documents are datasets: the JSONL editor an analysis without arguments means, and
 * the unsaved text an analysis reads instead of the file on disk.
 */
import * as vscode from 'vscode';
import { isJsonl } from './mixture.js';

export const isDataset = (doc: vscode.TextDocument): boolean =>
  doc.uri.scheme === 'file' && (doc.languageId === 'jsonl' || isJsonl(doc.uri.fsPath));

/** Unsaved JSONL editors: the analysis reads what the user sees, not the file on disk. */
export const unsavedOverlays = (): Map<string, string> => {
  const overlays = new Map<string, string>();
  for (const doc of vscode.workspace.textDocuments) {
    if (doc.isDirty && doc.uri.scheme === 'file' && isJsonl(doc.uri.fsPath))
      overlays.set(doc.uri.fsPath, doc.getText());
  }
  return overlays;
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
