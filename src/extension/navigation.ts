/**
 * Reveal and navigation: open a dataset line beside the report (never over it), and "Open similar
 * examples", a quick pick of the nearest rows that previews each line as it is highlighted.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { AnalyzeResult } from '../core/pipeline.js';
import { REPORT_VIEW_TYPE } from './panel.js';
import { findExample, nearestByCosine } from './similar.js';
import { formatPosition, isParquetPath, parquetRowIndex } from '../core/dataset/position.js';
import { showParquetRow } from './parquet-rows.js';

const SIMILAR_COUNT = 15;

/**
 * A row's text on one line. The core leaves the texts on disk and reads them back, so a file
 * saved since the analysis says so instead of failing the whole quick pick.
 */
const oneLine = (e: AnalyzeResult['examples'][number], max: number): string => {
  try {
    return (e.display ?? e.text).replace(/\s+/g, ' ').slice(0, max);
  } catch (error) {
    if ((error as Error).name !== 'DatasetChangedError') throw error;
    return '(the file changed since the analysis; run it again)';
  }
};

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

/** The examples nearest to (file, line) in the last run's embeddings, as a quick pick. */
export async function openSimilar(
  last: AnalyzeResult | undefined,
  file: string,
  line: number,
): Promise<void> {
  if (!last) {
    void vscode.window.showInformationMessage(
      'Preference Lens: run an analysis first; similar examples come from its embeddings.',
    );
    return;
  }
  const { examples, embeddings } = last;
  const index = findExample(examples, absolute(file), line);
  if (index < 0) {
    void vscode.window.showInformationMessage(
      `Preference Lens: ${isParquetPath(file) ? `row ${parquetRowIndex(line)}` : `line ${line}`} of ${path.basename(file)} is not an analyzed example.`,
    );
    return;
  }
  type Item = vscode.QuickPickItem & { file: string; line: number };
  const items: Item[] = nearestByCosine(embeddings, index, SIMILAR_COUNT).map(
    ({ index: i, similarity }) => {
      const e = examples[i];
      return {
        label: formatPosition(path.basename(e.file), e.line),
        description: `cosine ${similarity.toFixed(3)} · ${e.behavior} · ${e.label > 0 ? '+' : '−'}`,
        detail: oneLine(e, 200),
        file: e.file,
        line: e.line,
      };
    },
  );
  const source = examples[index];
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = `Examples nearest to ${formatPosition(path.basename(source.file), source.line)} (${source.behavior})`;
  pick.placeholder = oneLine(source, 120);
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
