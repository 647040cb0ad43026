/**
 * A Parquet file has no lines to reveal: a row is shown in a read-only JSON view of its own,
 * `preference-lens-row:<file>.row-<N>.json?<N>` (N the 0-based row index), read through the
 * core's Parquet reader when VS Code asks for the document.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { parquetRowIndex } from '../core/dataset/position.js';
import { readParquetRow } from '../core/dataset/parquet-source.js';

export const PARQUET_ROW_SCHEME = 'preference-lens-row';

/** The view's URI for row `index` of `file`; the path ends in .json for syntax colors. */
export const parquetRowUri = (file: string, index: number): vscode.Uri =>
  vscode.Uri.from({
    scheme: PARQUET_ROW_SCHEME,
    path: `${vscode.Uri.file(file).path}.row-${index}.json`,
    query: String(index),
  });

/** The row's text: its fields as indented JSON, under a comment-free header object. */
export const parquetRowText = async (file: string, index: number): Promise<string> => {
  const row = await readParquetRow(file, index);
  const shown =
    row === null
      ? { file, row: index, error: 'the file has no such row (changed since the analysis?)' }
      : { file, row: index, fields: row };
  return JSON.stringify(shown, null, 2) + '\n';
};

export class ParquetRowProvider implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const index = Number(uri.query);
    const file = vscode.Uri.file(uri.path.replace(/\.row-\d+\.json$/, '')).fsPath;
    try {
      return await parquetRowText(file, index);
    } catch (error) {
      return JSON.stringify({ file, row: index, error: (error as Error).message }, null, 2) + '\n';
    }
  }
}

/** Opens the row view of the Parquet row a report's `line` stands for. */
export async function showParquetRow(
  file: string,
  line: number,
  options: vscode.TextDocumentShowOptions,
): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(
    parquetRowUri(path.resolve(file), parquetRowIndex(line)),
  );
  return vscode.window.showTextDocument(doc, options);
}
