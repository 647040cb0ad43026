/** The status bar item: which model and device the analysis uses, and the progress of a run. */
import * as vscode from 'vscode';
import type { ModelInfo } from '../core/embed/types.js';
import type { ExtensionSettings } from './config.js';

export const COMMAND_SHOW_REPORT = 'preferenceLens.showReport';

export class StatusView implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'preferenceLens.status',
    vscode.StatusBarAlignment.Right,
    100,
  );
  private model: Pick<ModelInfo, 'id' | 'device' | 'deviceReason'> | undefined;

  constructor() {
    this.item.name = 'Preference Lens';
    this.item.command = COMMAND_SHOW_REPORT;
  }

  /** Before any run: the configured model, no device yet (nothing is loaded at activation). */
  idle(settings: ExtensionSettings, trusted: boolean): void {
    const model = this.model?.id ?? settings.model;
    const device = this.model ? this.model.device : `${settings.device} (not started)`;
    this.item.text = `$(telescope) ${shortModel(model)} · ${device}`;
    const tooltip = new vscode.MarkdownString(
      [
        `**Preference Lens**`,
        `Model: ${model}`,
        `Device: ${device}${this.model ? ` — ${this.model.deviceReason}` : ''}`,
        trusted ? '' : 'Restricted Mode: only your user settings choose the model and device.',
        '',
        'Click to show the report.',
      ].join('\n\n'),
    );
    this.item.tooltip = tooltip;
    this.item.show();
  }

  running(message: string, fraction: number): void {
    this.item.text = `$(sync~spin) Preference Lens: ${message} (${Math.round(fraction * 100)}%)`;
  }

  loaded(info: Pick<ModelInfo, 'id' | 'device' | 'deviceReason'>): void {
    this.model = info;
  }

  /** The embedder was dropped (settings changed, crash): the device is unknown until next run. */
  forgetModel(): void {
    this.model = undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

const shortModel = (model: string): string =>
  model === 'bundled' ? 'bundled model' : (model.split(/[\\/]/).filter(Boolean).pop() ?? model);
