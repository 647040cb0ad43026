/**
 * VS Code side of the diagnostics: the collection, hovers over lines that carry one of our
 * diagnostics, and the code actions "Show in report" / "Open similar examples".
 */
import * as vscode from 'vscode';
import type { Report } from '../core/report/types.js';
import {
  DIAGNOSTIC_SOURCE,
  behaviorHoverMarkdown,
  type PlainDiagnostic,
  type PlainSeverity,
} from './diagnostics-model.js';

export const COMMAND_SHOW_IN_REPORT = 'preferenceLens.showInReport';
export const COMMAND_OPEN_SIMILAR = 'preferenceLens.openSimilar';

const SEVERITY: Record<PlainSeverity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** Wide enough for any JSONL line; VS Code clamps a range to the line it is on. */
const LINE_END = 1_000_000;

export class DiagnosticsView implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('preferenceLens');
  /** The plain data behind each vscode.Diagnostic, for hovers and code actions. */
  private readonly plain = new WeakMap<vscode.Diagnostic, PlainDiagnostic>();
  private report: Report | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    const selector: vscode.DocumentSelector = [{ language: 'jsonl' }, { pattern: '**/*.jsonl' }];
    this.disposables.push(
      this.collection,
      vscode.languages.registerHoverProvider(selector, {
        provideHover: (doc, pos) => this.hover(doc, pos),
      }),
      vscode.languages.registerCodeActionsProvider(
        selector,
        { provideCodeActions: (doc, range, context) => this.codeActions(doc, range, context) },
        { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
      ),
      // Diagnostics belong to an analysis of open files; a closed file's markers go with it.
      vscode.workspace.onDidCloseTextDocument((doc) => this.collection.delete(doc.uri)),
    );
  }

  /** Replaces every marker with those of a new analysis. */
  set(report: Report, byFile: Map<string, PlainDiagnostic[]>): void {
    this.report = report;
    this.collection.clear();
    for (const [file, list] of byFile) {
      const diagnostics = list.map((d) => {
        const range = new vscode.Range(d.line, d.startColumn, d.line, d.endColumn ?? LINE_END);
        const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
        diagnostic.source = DIAGNOSTIC_SOURCE;
        diagnostic.code = d.code;
        if (d.related?.length) {
          diagnostic.relatedInformation = d.related.map(
            (r) =>
              new vscode.DiagnosticRelatedInformation(
                new vscode.Location(vscode.Uri.file(r.file), new vscode.Position(r.line, 0)),
                r.message,
              ),
          );
        }
        this.plain.set(diagnostic, d);
        return diagnostic;
      });
      this.collection.set(vscode.Uri.file(file), diagnostics);
    }
  }

  clear(): void {
    this.collection.clear();
  }

  private ours(doc: vscode.TextDocument, line: number): PlainDiagnostic[] {
    return (this.collection.get(doc.uri) ?? [])
      .filter((d) => d.range.start.line === line)
      .map((d) => this.plain.get(d))
      .filter((d): d is PlainDiagnostic => d !== undefined);
  }

  private hover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const report = this.report;
    if (!report) return undefined;
    const names = [...new Set(this.ours(doc, position.line).map((d) => d.behavior))];
    const sections = names
      .map((name) => report.behaviors.find((b) => b.name === name))
      .filter((b) => b !== undefined)
      .map((b) => behaviorHoverMarkdown(report, b));
    if (sections.length === 0) return undefined;
    const markdown = new vscode.MarkdownString(sections.join('\n\n---\n\n'));
    return new vscode.Hover(markdown, doc.lineAt(position.line).range);
  }

  private codeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const seen = new Set<string>();
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      const plain = this.plain.get(diagnostic);
      if (!plain?.behavior || seen.has(`${plain.behavior}:${plain.line}`)) continue;
      seen.add(`${plain.behavior}:${plain.line}`);
      const show = new vscode.CodeAction(
        `Show "${plain.behavior}" in report`,
        vscode.CodeActionKind.QuickFix,
      );
      show.command = {
        title: show.title,
        command: COMMAND_SHOW_IN_REPORT,
        arguments: [plain.behavior],
      };
      show.diagnostics = [diagnostic];
      const similar = new vscode.CodeAction(
        'Open similar examples',
        vscode.CodeActionKind.QuickFix,
      );
      similar.command = {
        title: similar.title,
        command: COMMAND_OPEN_SIMILAR,
        arguments: [doc.uri.fsPath, plain.line + 1],
      };
      similar.diagnostics = [diagnostic];
      actions.push(show, similar);
    }
    return actions;
  }

  dispose(): void {
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
