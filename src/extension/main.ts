/**
 * Activation stays tiny: it registers commands, providers and the panel serializer. The model,
 * onnxruntime and the pipeline load on the first analysis (see core-loader.ts).
 */
import type * as vscode from 'vscode';
import { ExtensionHost } from './host.js';

let host: ExtensionHost | undefined;

export function activate(context: vscode.ExtensionContext): void {
  host = new ExtensionHost(context);
  context.subscriptions.push(host);
}

export function deactivate(): void {
  host?.dispose();
  host = undefined;
}
