/**
 * Run control: one analysis at a time (a new run aborts the one in flight and waits for it), with
 * progress in a notification or the window, cancellation, and the automatic re-runs of the last
 * mixture after a save or an edit of one of its files. A run the user started is never superseded
 * by an automatic one.
 */
import * as vscode from 'vscode';
import type { PipelineProgress } from '../core/pipeline.js';
import type { PrecomputedInputs } from '../core/precomputed-run.js';
import type { FaceRun } from '../core/run.js';
import type { SkippedLine } from '../core/dataset/types.js';
import type { Report } from '../core/report/types.js';
import type { ReportPayload } from '../shared/protocol.js';
import { abortSignalFromToken, isCancellation } from './cancellation.js';
import {
  analyzeOptions,
  embedderKey,
  precomputedAnalyzeOptions,
  type ExtensionSettings,
} from './config.js';
import type { Core } from './core-loader.js';
import { formatEditorNumber } from './diagnostics-model.js';
import type { EmbedderPool } from './embedder-pool.js';
import type { Mixture } from './mixture.js';
import { errorMessage, ReportPanel } from './panel.js';
import { incrementTracker, overallFraction, progressMessage } from './progress.js';
import type { StatusView } from './status.js';

const PROGRESS_INTERVAL_MS = 200;

/** The last finished run: what it analyzed and what it showed (the report and its sidecar). */
export interface LastRun {
  mixture: Mixture;
  payload: ReportPayload;
  /** Set for a run on vectors computed elsewhere (no model, no automatic re-runs). */
  precomputed?: PrecomputedInputs;
}

interface RunHandle {
  interactive: boolean;
  controller: AbortController;
  done: Promise<void>;
}

/** What a run needs from the extension's context (the context implements it). */
export interface RunHost {
  config(scope?: vscode.Uri): ExtensionSettings;
  core(): Promise<Core>;
  readonly embedders: EmbedderPool;
  readonly status: StatusView;
  showIdleStatus(): void;
  /** The panel for a run the user started: shown (created if needed) beside the editor. */
  showPanel(): ReportPanel;
  showDiagnostics(
    report: Report,
    skipped: readonly SkippedLine[],
    files: number,
    settings: ExtensionSettings,
  ): void;
  storeReport(payload: ReportPayload): Promise<void>;
  overlays(): Map<string, string>;
}

export class RunControl implements vscode.Disposable {
  private lastRun: LastRun | undefined;
  private inflight: RunHandle | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly host: RunHost) {
    this.disposables = [
      vscode.workspace.onDidSaveTextDocument((doc) => this.scheduleRefresh(doc, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        const settings = this.host.config(e.document.uri);
        if (settings.diagnosticsOnEdit) this.scheduleRefresh(e.document, settings.editDebounceMs);
      }),
    ];
  }

  get last(): LastRun | undefined {
    return this.lastRun;
  }

  private scheduleRefresh(doc: vscode.TextDocument, delayMs: number): void {
    const last = this.lastRun;
    if (!last || doc.uri.scheme !== 'file' || !last.mixture.files.includes(doc.uri.fsPath)) return;
    // The shards hold the vectors of the texts as exported: an edit changes none of them.
    if (last.precomputed) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      // A run the user started is never superseded by an automatic refresh: the refresh waits for
      // it (the edit must still be reflected; the run may be past its report, projecting the map).
      const running = this.inflight;
      if (running?.interactive) {
        void running.done.catch(() => undefined).then(() => this.scheduleRefresh(doc, 0));
        return;
      }
      void this.run(last.mixture, false);
    }, delayMs);
  }

  /**
   * Analyzes the mixture; `interactive`: the user asked (notification, cancellable, panel).
   * With `precomputed`, the vectors come from its shards (the rows file stands for the mixture's
   * files, replaced by the files it names once read) and no embedding model is started.
   */
  async run(
    mixture: Mixture,
    interactive: boolean,
    precomputed?: PrecomputedInputs,
  ): Promise<void> {
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
          this.runWithProgress(mixture, interactive, controller, progress, token, precomputed),
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
    precomputed?: PrecomputedInputs,
  ): Promise<void> {
    const host = this.host;
    const fromToken = abortSignalFromToken(token);
    const signal = AbortSignal.any([fromToken.signal, controller.signal]);
    const settings = host.config(vscode.Uri.file(mixture.files[0]));
    const increment = incrementTracker();
    const started = Date.now();
    progress.report({
      message: precomputed
        ? `reading ${precomputed.rows}`
        : `reading ${mixture.files.length} file${mixture.files.length === 1 ? '' : 's'}`,
    });
    if (interactive)
      ReportPanel.active?.post({ type: 'progress', message: 'Analyzing…', fraction: 0 });
    try {
      const core = await host.core();
      // The simulation reports every step; the UI needs a few updates a second.
      let lastUpdate = { stage: '', at: 0 };
      const onProgress = (p: PipelineProgress): void => {
        const now = Date.now();
        if (p.stage === lastUpdate.stage && now - lastUpdate.at < PROGRESS_INTERVAL_MS) return;
        lastUpdate = { stage: p.stage, at: now };
        const fraction = overallFraction(p);
        const message = progressMessage(p);
        progress.report({ message, increment: increment(fraction) });
        host.status.running(message, fraction);
        ReportPanel.active?.post({ type: 'progress', message, fraction });
      };
      let result: FaceRun;
      if (precomputed) {
        host.status.running('reading the precomputed embeddings', 0);
        const options = precomputedAnalyzeOptions(settings);
        // The status bar keeps naming the configured model: the shards' model is the report's.
        result = await core.analyzePrecomputedRun(precomputed, options, signal, onProgress);
      } else {
        host.status.running('starting the embedding model', 0);
        try {
          const embedder = await host.embedders.get(embedderKey(settings));
          host.status.loaded(embedder.info);
          signal.throwIfAborted();
          const options = { ...analyzeOptions(settings, host.overlays()), embedder };
          result = await core.analyzeRun(mixture.files, options, signal, onProgress);
        } finally {
          // The idle timeout (preferenceLens.embedder.idleTimeout) counts from here.
          host.embedders.release();
        }
      }
      // A precomputed run's mixture is the files its rows file names.
      const analyzed: Mixture = precomputed
        ? { ...mixture, files: result.report.inputs.map((f) => f.file) }
        : mixture;
      // The report opens now and the map fills in: projecting 1k–5k rows takes seconds (UMAP).
      const early: ReportPayload = {
        report: result.report,
        sidecar: null,
        mixture: analyzed.description,
        mapPending: true,
      };
      const run = { mixture: analyzed, ...(precomputed ? { precomputed } : {}) };
      this.lastRun = { ...run, payload: early };
      host.showDiagnostics(result.report, result.skipped, analyzed.files.length, settings);
      (interactive ? host.showPanel() : ReportPanel.active)?.setPayload(early);
      // Stored before the full payload, never after it (a reload in between shows this one).
      const storedEarly = host.storeReport({ ...early, mapPending: undefined });
      // The map's projection and the nearest rows on a worker thread (the core builds the sidecar):
      // the host stays responsive meanwhile.
      progress.report({ message: 'projecting the embedding map' });
      host.status.running('projecting the embedding map', 0.99);
      let sidecar: ReportPayload['sidecar'];
      try {
        sidecar = await result.sidecar({ signal });
      } catch (error) {
        // The report stands without its map: say so instead of "projecting" forever.
        if (this.lastRun?.payload === early)
          ReportPanel.active?.setPayload({ ...early, mapPending: undefined });
        throw error;
      }
      const payload: ReportPayload = {
        report: result.report,
        sidecar,
        mixture: analyzed.description,
      };
      // A newer run may have shown its own report meanwhile: only this run's panel fills in.
      await storedEarly;
      if (this.lastRun?.payload === early) {
        this.lastRun = { ...run, payload };
        ReportPanel.active?.setPayload(payload);
        void host.storeReport(payload);
      }
      const warnings = result.report.behaviors.reduce((n: number, b) => n + b.warnings.length, 0);
      vscode.window.setStatusBarMessage(
        `Preference Lens: ${result.report.behaviors.length} behaviors, ${warnings} warning${warnings === 1 ? '' : 's'} ` +
          `(${formatEditorNumber((Date.now() - started) / 1000)} s)`,
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
      const message = errorMessage(error);
      ReportPanel.active?.post({ type: 'error', message });
      if (precomputed) {
        // No embedding process took part: nothing to restart.
        void vscode.window.showErrorMessage(`Preference Lens: the analysis failed: ${message}`);
        return;
      }
      // Whatever failed, a fresh embedding process for the next run is the safe way back
      // (a crashed child cannot be reused).
      await host.embedders.reset();
      host.status.forgetModel();
      void vscode.window.showErrorMessage(
        `Preference Lens: the analysis failed: ${message} The next run starts a new embedding process.`,
      );
    } finally {
      fromToken.dispose();
      host.showIdleStatus();
    }
  }

  /** Stops the automatic re-runs and aborts the run in flight. */
  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.inflight?.controller.abort();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
