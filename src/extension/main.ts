/**
 * Activation stays tiny: the context registers the commands, providers and the panel serializer.
 * The model, onnxruntime and the pipeline load on the first analysis (see core-loader.ts).
 */
import type * as vscode from 'vscode';
import { createCommands, panelMessages } from './commands.js';
import { Ctx } from './ctx.js';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  ctx = new Ctx(context, createCommands(), panelMessages);
  context.subscriptions.push(ctx);
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
