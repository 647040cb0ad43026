/**
 * The extension's context: it owns every disposable (commands, views, listeners, the warm
 * embedder, the run in flight) and the services commands reach through it. Commands come as a
 * table of factories (commands.ts) that the context binds to itself, as rust-analyzer's editor
 * extension does; the context imports no command.
 */
import * as vscode from 'vscode';
import type { SkippedLine } from '../core/dataset/types.js';
import type { Report } from '../core/report/types.js';
import type { ReportPayload } from '../shared/protocol.js';
import {
  affects,
  EMBEDDER_SETTINGS,
  readConfig,
  SECTION,
  type ExtensionSettings,
} from './config.js';
import type { Core } from './core-loader.js';
import { buildDiagnostics } from './diagnostics-model.js';
import { DiagnosticsView } from './diagnostics.js';
import { DatasetEditors, unsavedOverlays } from './documents.js';
import { EmbedderPool } from './embedder-pool.js';
import { REPORT_VIEW_TYPE, ReportPanel, type PanelMessageHandler } from './panel.js';
import { PARQUET_ROW_SCHEME, ParquetRowProvider } from './parquet-rows.js';
import { inputsUnchanged, ReportStorage } from './report-storage.js';
import { RunControl, type RunHost } from './run-control.js';
import { StatusView } from './status.js';

// Command arguments are whatever VS Code, a menu or a code action passes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Cmd = (...args: any[]) => unknown;
/** Makes a command's callback for a context. */
export type CommandFactory = (ctx: Ctx) => Cmd;

export class Ctx implements RunHost, vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  readonly diagnostics = new DiagnosticsView();
  readonly status = new StatusView();
  // The embedder's warnings (a cache that cannot be read or written) would otherwise go unseen:
  // the run still succeeds, only slower next time.
  readonly embedders = new EmbedderPool(
    async (key) =>
      (await this.core()).createEmbedder({
        ...JSON.parse(key),
        onWarning: (message: string) =>
          void vscode.window.showWarningMessage(`Preference Lens: ${message}`),
      }),
    {
      // Seconds without a run before the warm embedding process ends and frees its memory.
      idleMs: () => 1000 * readConfig(vscode.workspace).embedder.idleTimeout,
      onIdleEnd: () => {
        this.status.forgetModel();
        this.showIdleStatus();
      },
    },
  );
  readonly editors = new DatasetEditors();
  readonly storage: ReportStorage;
  readonly runs: RunControl;
  private readonly onPanelMessage: PanelMessageHandler;
  private corePromise: Promise<Core> | undefined;

  constructor(
    private readonly extensionContext: vscode.ExtensionContext,
    commands: Record<string, CommandFactory>,
    panelMessages: (ctx: Ctx) => PanelMessageHandler,
  ) {
    this.storage = new ReportStorage(extensionContext);
    this.onPanelMessage = panelMessages(this);
    this.pushCleanup(this.diagnostics, this.status, this.editors);
    for (const [name, factory] of Object.entries(commands))
      this.pushCleanup(vscode.commands.registerCommand(name, factory(this)));
    this.pushCleanup(
      vscode.workspace.registerTextDocumentContentProvider(
        PARQUET_ROW_SCHEME,
        new ParquetRowProvider(),
      ),
      vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
        deserializeWebviewPanel: (panel) => this.restorePanel(panel),
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
    );
    // Disposed first of all, by dispose(): the run in flight is aborted before its embedder goes.
    this.runs = new RunControl(this);
    this.showIdleStatus();
  }

  get extensionUri(): vscode.Uri {
    return this.extensionContext.extensionUri;
  }

  /** This workspace's small remembered values (e.g. the folders last picked in a dialog). */
  get workspaceState(): vscode.Memento {
    return this.extensionContext.workspaceState;
  }

  pushCleanup(...disposables: vscode.Disposable[]): void {
    this.disposables.push(...disposables);
  }

  /** Loads the pipeline, embedder and renderers on first use only. */
  core(): Promise<Core> {
    this.corePromise ??= import('./core-loader.js');
    return this.corePromise;
  }

  config(scope?: vscode.Uri): ExtensionSettings {
    return readConfig(vscode.workspace, scope);
  }

  overlays(): Map<string, string> {
    return unsavedOverlays();
  }

  showIdleStatus(): void {
    this.status.idle(
      this.config(vscode.window.activeTextEditor?.document.uri),
      vscode.workspace.isTrusted,
    );
  }

  private async restartEmbedder(): Promise<void> {
    await this.embedders.reset();
    this.status.forgetModel();
    this.showIdleStatus();
  }

  showPanel(preserveFocus = true): ReportPanel {
    return ReportPanel.show(this.extensionUri, this.onPanelMessage, preserveFocus);
  }

  showDiagnostics(
    report: Report,
    skipped: readonly SkippedLine[],
    files: number,
    settings: ExtensionSettings,
  ): void {
    this.diagnostics.set(
      report,
      buildDiagnostics(report, skipped, {
        maxLabelErrorHintsPerFile: settings.maxLabelErrorHints,
        mixture: files > 1 ? `(Mixture: ${files} files.)` : undefined,
      }),
    );
  }

  storeReport(payload: ReportPayload): Promise<void> {
    return this.storage.store(payload);
  }

  /** The last run's report, else the one stored by an earlier window. */
  async lastPayload(): Promise<ReportPayload | undefined> {
    return this.runs.last?.payload ?? (await this.storage.read());
  }

  /**
   * After a window reload: the stored report comes back in the panel, and its markers with it
   * unless a file of the mixture changed since (or a run has already made new ones).
   */
  private async restorePanel(panel: vscode.WebviewPanel): Promise<void> {
    const payload = await this.storage.read();
    ReportPanel.revive(panel, this.extensionUri, this.onPanelMessage, payload);
    if (!payload) return;
    const unchanged = await inputsUnchanged(payload);
    if (this.runs.last || !unchanged) return;
    const inputs = payload.report.inputs;
    const settings = this.config(vscode.Uri.file(inputs[0]?.file ?? ''));
    this.showDiagnostics(payload.report, payload.report.skipped.lines, inputs.length, settings);
  }

  dispose(): void {
    this.runs.dispose();
    void this.embedders.reset();
    ReportPanel.active?.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
