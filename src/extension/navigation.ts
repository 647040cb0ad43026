/**
 * Reveal and navigation: open a dataset line beside the report (never over it), and "Open similar
 * examples", a quick pick of the nearest rows that previews each line as it is highlighted.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { ReportPayload } from '../shared/protocol.js';
import { REPORT_VIEW_TYPE } from './panel.js';
import { findRow, storedNeighbours } from './similar.js';
import { formatPosition, isParquetPath, parquetRowIndex } from '../core/dataset/position.js';
import { showParquetRow } from './parquet-rows.js';

/** A row's text (the sidecar's, as the analysis read it) on one line. */
const oneLine = (text: string, max: number): string => text.replace(/\s+/g, ' ').slice(0, max);

/** Opens the file beside the report and selects the line (1-based); a Parquet row in its view. */
export async function reveal(file: string, line: number): Promise<vscode.TextEditor> {
  if (isParquetPath(file)) {
    return showParquetRow(absolute(file), line, { viewColumn: editorColumn(), preview: true });
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(absolute(file)));
  const editor = await vscode.window.showTextDocument(doc, {
    viewColumn: editorColumn(),
    preview: true,
  });
  const range = doc.lineAt(Math.max(0, Math.min(doc.lineCount - 1, line - 1))).range;
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

/** A report names files as the analysis read them; a relative one is taken from the workspace. */
const absolute = (file: string): string => {
  if (path.isAbsolute(file)) return file;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return path.resolve(root, file);
};

/** The column of a text editor that is not the report's, so revealing never covers the report. */
const editorColumn = (): vscode.ViewColumn => {
  const reportColumn = vscode.window.tabGroups.all.find((g) =>
    g.tabs.some(
      (t) =>
        t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(REPORT_VIEW_TYPE),
    ),
  )?.viewColumn;
  const editor = vscode.window.visibleTextEditors.find(
    (e) => e.viewColumn !== undefined && e.viewColumn !== reportColumn,
  );
  if (editor?.viewColumn) return editor.viewColumn;
  return reportColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
};

const preview = async (file: string, line: number): Promise<void> => {
  if (isParquetPath(file)) {
    await showParquetRow(file, line, {
      viewColumn: editorColumn(),
      preview: true,
      preserveFocus: true,
    });
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const range = doc.lineAt(Math.max(0, line - 1)).range;
  await vscode.window.showTextDocument(doc, {
    viewColumn: editorColumn(),
    preview: true,
    preserveFocus: true,
    selection: range,
  });
};

/**
 * The examples nearest to (file, line) by the cosine of their embeddings, as a quick pick: the
 * neighbours the core stored in the report's sidecar (a stored report has them too).
 */
export async function openSimilar(
  payload: ReportPayload | undefined,
  file: string,
  line: number,
): Promise<void> {
  const sidecar = payload?.sidecar;
  if (!sidecar) {
    void vscode.window.showInformationMessage(
      payload?.mapPending
        ? 'Preference Lens: the nearest rows are still being computed with the map; try again in a moment.'
        : 'Preference Lens: run an analysis first; similar examples come from its embeddings.',
    );
    return;
  }
  const index = findRow(sidecar, absolute(file), line);
  if (index < 0) {
    void vscode.window.showInformationMessage(
      `Preference Lens: ${isParquetPath(file) ? `row ${parquetRowIndex(line)}` : `line ${line}`} of ${path.basename(file)} is not an analyzed example.`,
    );
    return;
  }
  const near = storedNeighbours(sidecar, index);
  if (!near) {
    void vscode.window.showInformationMessage(
      sidecar.neighbours
        ? `Preference Lens: a run of ${sidecar.rows} rows keeps the nearest rows of its listed label hints only; this row is not one.`
        : 'Preference Lens: this report was written before it kept the nearest rows; run the analysis again.',
    );
    return;
  }
  const fileOf = (i: number): string => sidecar.files[sidecar.file[i]];
  const behaviorOf = (i: number): string =>
    sidecar.behaviors[sidecar.behavior[i]] ?? '(left out of the analysis)';
  type Item = vscode.QuickPickItem & { file: string; line: number };
  const items: Item[] = near.map(({ index: i, similarity }) => ({
    label: formatPosition(path.basename(fileOf(i)), sidecar.line[i]),
    description: `cosine ${similarity.toFixed(3)} · ${behaviorOf(i)} · ${sidecar.label[i] > 0 ? '+' : '−'}`,
    detail: oneLine(sidecar.text[i], 200),
    file: fileOf(i),
    line: sidecar.line[i],
  }));
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = `Examples nearest to ${formatPosition(path.basename(fileOf(index)), sidecar.line[index])} (${behaviorOf(index)})`;
  pick.placeholder = oneLine(sidecar.text[index], 120);
  pick.items = items;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.onDidChangeActive(([item]) => {
    if (item) void preview(item.file, item.line);
  });
  pick.onDidAccept(() => {
    const [item] = pick.selectedItems;
    pick.hide();
    if (item) void reveal(item.file, item.line);
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}
