/**
 * The extension's controller: the analyze command, runs with progress and cancellation, the warm
 * embedder, diagnostics, the report panel and their refresh on save and edit.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../core/io/atomic-write.js';
import type { AnalyzeResult, PipelineProgress } from '../core/pipeline.js';
import type { ReportPayload, WebviewToHost } from '../shared/protocol.js';
import { abortSignalFromToken, isCancellation } from './cancellation.js';
import { buildDiagnostics, formatNumber } from './diagnostics-model.js';
import { COMMAND_OPEN_SIMILAR, COMMAND_SHOW_IN_REPORT, DiagnosticsView } from './diagnostics.js';
import { EmbedderPool } from './embedder-pool.js';
import { isJsonl, selectMixture, type Mixture } from './mixture.js';
import { errorMessage, REPORT_VIEW_TYPE, ReportPanel } from './panel.js';
import { incrementTracker, overallFraction, progressMessage } from './progress.js';
import {
  affects,
  analyzeOptions,
  EMBEDDER_SETTINGS,
  embedderKey,
  readSettings,
  SECTION,
  type ExtensionSettings,
} from './settings.js';
import { findExample, nearestByCosine } from './similar.js';
import { COMMAND_SHOW_REPORT, StatusView } from './status.js';

export const COMMAND_ANALYZE = 'preferenceLens.analyze';
const PAYLOAD_FILE = 'last-report.json';
const SIMILAR_COUNT = 15;
const PROGRESS_INTERVAL_MS = 200;

type Core = typeof import('./core-loader.js');

interface LastRun {
  result: AnalyzeResult;
  mixture: Mixture;
  payload: ReportPayload;
}

interface RunHandle {
  interactive: boolean;
  controller: AbortController;
  done: Promise<void>;
}

export class ExtensionHost implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly diagnostics = new DiagnosticsView();
  private readonly status = new StatusView();
  private readonly pool = new EmbedderPool(async (key) =>
    (await this.core()).createEmbedder(JSON.parse(key)),
  );
  private corePromise: Promise<Core> | undefined;
  private last: LastRun | undefined;
  private inflight: RunHandle | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastDatasetEditor: vscode.TextDocument | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    const handler = (m: WebviewToHost): Promise<void> => this.onPanelMessage(m);
    this.disposables.push(
      this.diagnostics,
      this.status,
      vscode.commands.registerCommand(COMMAND_ANALYZE, (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
        this.analyzeCommand(uri, uris),
      ),
      vscode.commands.registerCommand(COMMAND_SHOW_REPORT, () => this.showReport()),
      vscode.commands.registerCommand(COMMAND_SHOW_IN_REPORT, (behavior: string) =>
        this.showInReport(behavior),
      ),
      vscode.commands.registerCommand(COMMAND_OPEN_SIMILAR, (file: string, line: number) =>
        this.openSimilar(file, line),
      ),
      vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          const payload = await this.readStoredPayload();
          ReportPanel.revive(panel, context.extensionUri, handler, payload);
          if (payload) await this.restoreDiagnostics(payload);
        },
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        if (affects((s) => e.affectsConfiguration(s), EMBEDDER_SETTINGS))
          void this.restartEmbedder();
        this.showIdleStatus();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.restartEmbedder();
        this.showIdleStatus();
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isDataset(editor.document)) this.lastDatasetEditor = editor.document;
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc === this.lastDatasetEditor) this.lastDatasetEditor = undefined;
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => this.scheduleRefresh(doc, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        const settings = this.settings(e.document.uri);
        if (settings.diagnosticsOnEdit) this.scheduleRefresh(e.document, settings.editDebounceMs);
      }),
    );
    const active = vscode.window.activeTextEditor?.document;
    if (active && isDataset(active)) this.lastDatasetEditor = active;
    this.showIdleStatus();
  }

  /** Loads the pipeline, embedder and renderers on first use only. */
  private core(): Promise<Core> {
    this.corePromise ??= import('./core-loader.js');
    return this.corePromise;
  }

  private settings(scope?: vscode.Uri): ExtensionSettings {
    const config = vscode.workspace.getConfiguration(SECTION, scope);
    return readSettings((key) => config.inspect(key), vscode.workspace.isTrusted);
  }

  private showIdleStatus(): void {
    this.status.idle(
      this.settings(vscode.window.activeTextEditor?.document.uri),
      vscode.workspace.isTrusted,
    );
  }

  private async restartEmbedder(): Promise<void> {
    await this.pool.reset();
    this.status.forgetModel();
    this.showIdleStatus();
  }

  /** Explorer: (clicked, selection); editor title / palette: (document) or nothing. */
  private async analyzeCommand(uri?: vscode.Uri, uris?: vscode.Uri[]): Promise<void> {
    const targets = (uris && uris.length ? uris : uri ? [uri] : []).filter(
      (u) => u.scheme === 'file',
    );
    if (targets.length === 0) {
      // From the palette while the report (a webview) has focus there is no active text editor:
      // take the JSONL editor the user was in, then any visible one.
      const doc =
        vscode.window.activeTextEditor?.document ??
        this.lastDatasetEditor ??
        vscode.window.visibleTextEditors.map((e) => e.document).find((d) => isDataset(d));
      if (doc && doc.uri.scheme === 'file') targets.push(doc.uri);
    }
    if (targets.length === 0) {
      void vscode.window.showWarningMessage(
        'Preference Lens: open a JSONL dataset or select JSONL files or folders in the Explorer.',
      );
      return;
    }
    const settings = this.settings(targets[0]);
    const overlays = this.overlays();
    let mixture: Mixture;
    try {
      mixture = await selectMixture({
        selected: targets.map((u) => u.fsPath),
        scope: settings.mixtureScope,
        workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
        schema: settings.schema === 'auto' ? null : settings.schema,
        fields: settings.fields,
        behaviorField: settings.behaviorField || undefined,
        overlays,
      });
    } catch (error) {
      void vscode.window.showErrorMessage(`Preference Lens: ${errorMessage(error)}`);
      return;
    }
    await this.run(mixture, true);
  }

  /** Unsaved JSONL editors: the analysis reads what the user sees, not the file on disk. */
  private overlays(): Map<string, string> {
    const overlays = new Map<string, string>();
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.isDirty && doc.uri.scheme === 'file' && isJsonl(doc.uri.fsPath))
        overlays.set(doc.uri.fsPath, doc.getText());
    }
    return overlays;
  }

  private scheduleRefresh(doc: vscode.TextDocument, delayMs: number): void {
    const last = this.last;
    if (!last || doc.uri.scheme !== 'file' || !last.mixture.files.includes(doc.uri.fsPath)) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      // A run the user started is never superseded by an automatic refresh.
      if (this.inflight?.interactive) return;
      void this.run(last.mixture, false);
    }, delayMs);
  }

  private async run(mixture: Mixture, interactive: boolean): Promise<void> {
    if (this.inflight) {
      this.inflight.controller.abort();
      await this.inflight.done.catch(() => undefined);
    }
    const controller = new AbortController();
    const handle: RunHandle = { interactive, controller, done: Promise.resolve() };
    this.inflight = handle;
    handle.done = Promise.resolve(
      vscode.window.withProgress(
        {
          location: interactive
            ? vscode.ProgressLocation.Notification
            : vscode.ProgressLocation.Window,
          title: 'Preference Lens',
          cancellable: interactive,
        },
        (progress, token) =>
          this.runWithProgress(mixture, interactive, controller, progress, token),
      ),
    ).then(() => {
      if (this.inflight === handle) this.inflight = undefined;
    });
    await handle.done;
  }

  private async runWithProgress(
    mixture: Mixture,
    interactive: boolean,
    controller: AbortController,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const fromToken = abortSignalFromToken(token);
    const signal = AbortSignal.any([fromToken.signal, controller.signal]);
    const settings = this.settings(vscode.Uri.file(mixture.files[0]));
    const increment = incrementTracker();
    const started = Date.now();
    progress.report({
      message: `reading ${mixture.files.length} file${mixture.files.length === 1 ? '' : 's'}`,
    });
    if (interactive)
      ReportPanel.active?.post({ type: 'progress', message: 'Analyzing…', fraction: 0 });
    try {
      const core = await this.core();
      this.status.running('starting the embedding model', 0);
      const embedder = await this.pool.get(embedderKey(settings));
      this.status.loaded(embedder.info);
      signal.throwIfAborted();
      // The simulation reports every step; the UI needs a few updates a second.
      let lastUpdate = { stage: '', at: 0 };
      const onProgress = (p: PipelineProgress): void => {
        const now = Date.now();
        if (p.stage === lastUpdate.stage && now - lastUpdate.at < PROGRESS_INTERVAL_MS) return;
        lastUpdate = { stage: p.stage, at: now };
        const fraction = overallFraction(p);
        const message = progressMessage(p);
        progress.report({ message, increment: increment(fraction) });
        this.status.running(message, fraction);
        ReportPanel.active?.post({ type: 'progress', message, fraction });
      };
      const options = { ...analyzeOptions(settings, this.overlays()), embedder };
      const result = await core.analyze(mixture.files, options, signal, onProgress);
      const scatter = core.buildScatter(result.examples, result.embeddings, result.report);
      const payload: ReportPayload = {
        report: result.report,
        scatter,
        mixture: mixture.description,
      };
      this.last = { result, mixture, payload };
      this.diagnostics.set(
        result.report,
        buildDiagnostics(result.report, result.skipped, {
          maxLabelErrorHintsPerFile: settings.maxLabelErrorHints,
          mixture:
            mixture.files.length > 1 ? `(Mixture: ${mixture.files.length} files.)` : undefined,
        }),
      );
      const panel = interactive
        ? ReportPanel.show(this.context.extensionUri, (m) => this.onPanelMessage(m))
        : ReportPanel.active;
      panel?.setPayload(payload);
      void this.storePayload(payload);
      const warnings = result.report.behaviors.reduce((n: number, b) => n + b.warnings.length, 0);
      vscode.window.setStatusBarMessage(
        `Preference Lens: ${result.report.behaviors.length} behaviors, ${warnings} warning${warnings === 1 ? '' : 's'} ` +
          `(${formatNumber((Date.now() - started) / 1000)} s)`,
        10_000,
      );
    } catch (error) {
      if (isCancellation(error, signal)) {
        ReportPanel.active?.post({
          type: 'progress',
          message: 'Analysis cancelled.',
          fraction: null,
        });
        // Only the user's cancel is news; a superseded refresh is not.
        if (fromToken.signal.aborted)
          void vscode.window.showInformationMessage('Preference Lens: analysis cancelled.');
        return;
      }
      // Whatever failed, a fresh embedding process for the next run is the safe way back
      // (a crashed child cannot be reused).
      await this.pool.reset();
      this.status.forgetModel();
      const message = errorMessage(error);
      ReportPanel.active?.post({ type: 'error', message });
      void vscode.window.showErrorMessage(
        `Preference Lens: the analysis failed: ${message} The next run starts a new embedding process.`,
      );
    } finally {
      fromToken.dispose();
      this.showIdleStatus();
    }
  }

  /**
   * After a window reload the restored report brings its markers back, unless a file of the
   * mixture changed since (then they would point at the wrong lines; the next run redoes them).
   */
  private async restoreDiagnostics(payload: ReportPayload): Promise<void> {
    const created = Date.parse(payload.report.createdAt);
    const mtimes = await Promise.all(
      payload.report.inputs.map((i) =>
        stat(i.file).then(
          (s) => s.mtimeMs,
          () => Infinity,
        ),
      ),
    );
    if (this.last || mtimes.some((m) => m > created)) return;
    const settings = this.settings(vscode.Uri.file(payload.report.inputs[0]?.file ?? ''));
    const files = payload.report.inputs.length;
    this.diagnostics.set(
      payload.report,
      buildDiagnostics(payload.report, payload.report.skipped.lines, {
        maxLabelErrorHintsPerFile: settings.maxLabelErrorHints,
        mixture: files > 1 ? `(Mixture: ${files} files.)` : undefined,
      }),
    );
  }

  private async showReport(): Promise<void> {
    const payload = this.last?.payload ?? (await this.readStoredPayload());
    if (!payload) {
      void vscode.window.showInformationMessage(
        'Preference Lens: no report yet. Run "Preference Lens: Analyze priority" on a JSONL file.',
      );
      return;
    }
    ReportPanel.show(this.context.extensionUri, (m) => this.onPanelMessage(m), false).setPayload(
      payload,
    );
  }

  private async showInReport(behavior: string): Promise<void> {
    await this.showReport();
    ReportPanel.active?.focusBehavior(behavior);
  }

  private async onPanelMessage(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        return;
      case 'reveal':
        await this.reveal(message.file, message.line);
        return;
      case 'openSimilar':
        await this.openSimilar(message.file, message.line);
        return;
      case 'export':
        await this.exportReport(message.format);
        return;
    }
  }

  /** Opens the file beside the report and selects the line (1-based). */
  private async reveal(file: string, line: number): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(this.absolute(file)));
    const editor = await vscode.window.showTextDocument(doc, {
      viewColumn: this.editorColumn(),
      preview: true,
    });
    const range = doc.lineAt(Math.max(0, Math.min(doc.lineCount - 1, line - 1))).range;
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return editor;
  }

  private absolute(file: string): string {
    if (path.isAbsolute(file)) return file;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    return path.resolve(root, file);
  }

  /** The column of a text editor that is not the report's, so revealing never covers the report. */
  private editorColumn(): vscode.ViewColumn {
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
  }

  private async openSimilar(file: string, line: number): Promise<void> {
    const last = this.last;
    if (!last) {
      void vscode.window.showInformationMessage(
        'Preference Lens: run an analysis first; similar examples come from its embeddings.',
      );
      return;
    }
    const { examples, embeddings } = last.result;
    const index = findExample(examples, this.absolute(file), line);
    if (index < 0) {
      void vscode.window.showInformationMessage(
        `Preference Lens: line ${line} of ${path.basename(file)} is not an analyzed example.`,
      );
      return;
    }
    type Item = vscode.QuickPickItem & { file: string; line: number };
    const items: Item[] = nearestByCosine(embeddings, index, SIMILAR_COUNT).map(
      ({ index: i, similarity }) => {
        const e = examples[i];
        return {
          label: `${path.basename(e.file)}:${e.line}`,
          description: `cosine ${similarity.toFixed(3)} · ${e.behavior} · ${e.label > 0 ? '+' : '−'}`,
          detail: (e.display ?? e.text).replace(/\s+/g, ' ').slice(0, 200),
          file: e.file,
          line: e.line,
        };
      },
    );
    const source = examples[index];
    const pick = vscode.window.createQuickPick<Item>();
    pick.title = `Examples nearest to ${path.basename(source.file)}:${source.line} (${source.behavior})`;
    pick.placeholder = (source.display ?? source.text).replace(/\s+/g, ' ').slice(0, 120);
    pick.items = items;
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.onDidChangeActive(([item]) => {
      if (item) void this.preview(item.file, item.line);
    });
    pick.onDidAccept(() => {
      const [item] = pick.selectedItems;
      pick.hide();
      if (item) void this.reveal(item.file, item.line);
    });
    pick.onDidHide(() => pick.dispose());
    pick.show();
  }

  private async preview(file: string, line: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const range = doc.lineAt(Math.max(0, line - 1)).range;
    await vscode.window.showTextDocument(doc, {
      viewColumn: this.editorColumn(),
      preview: true,
      preserveFocus: true,
      selection: range,
    });
  }

  private async exportReport(format: 'html' | 'json'): Promise<void> {
    const payload = this.last?.payload ?? (await this.readStoredPayload());
    if (!payload) return;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `preference-lens-report.${format}`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: root ? vscode.Uri.joinPath(root, name) : undefined,
      filters: format === 'html' ? { HTML: ['html'] } : { JSON: ['json'] },
      saveLabel: 'Export report',
    });
    if (!target) return;
    const content =
      format === 'json' ? JSON.stringify(payload.report, null, 2) : await this.renderHtml(payload);
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

  private async renderHtml(payload: ReportPayload): Promise<string> {
    const core = await this.core();
    const assets = await core.loadReportAssets(
      vscode.Uri.joinPath(this.context.extensionUri, 'dist').fsPath,
    );
    return core.renderHtml(payload, assets);
  }

  private storageFile(): vscode.Uri {
    return vscode.Uri.joinPath(
      this.context.storageUri ?? this.context.globalStorageUri,
      PAYLOAD_FILE,
    );
  }

  private async storePayload(payload: ReportPayload): Promise<void> {
    // Written beside it and renamed over it: a reader (a restoring window, another run) never
    // sees a half-written report.
    await writeFileAtomic(this.storageFile().fsPath, JSON.stringify(payload));
  }

  private async readStoredPayload(): Promise<ReportPayload | undefined> {
    try {
      return JSON.parse(await readFile(this.storageFile().fsPath, 'utf8')) as ReportPayload;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.inflight?.controller.abort();
    void this.pool.reset();
    ReportPanel.active?.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

const isDataset = (doc: vscode.TextDocument): boolean =>
  doc.uri.scheme === 'file' && (doc.languageId === 'jsonl' || isJsonl(doc.uri.fsPath));
