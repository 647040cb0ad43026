/**
 * The commands, as a table of factories: each takes the context and returns the callback VS Code
 * calls. The webview's requests (reveal a line, similar examples, export) are handled here too.
 */
import * as vscode from 'vscode';
import { COMMAND_OPEN_SIMILAR, COMMAND_SHOW_IN_REPORT } from './diagnostics.js';
import type { CommandFactory, Ctx } from './ctx.js';
import { exportReport, exportRows } from './export.js';
import { selectMixture, type Mixture } from './mixture.js';
import { activeTabDataset } from './documents.js';
import { isParquetPath } from '../core/dataset/position.js';
import { openSimilar, reveal } from './navigation.js';
import { errorMessage, ReportPanel, type PanelMessageHandler } from './panel.js';
import { COMMAND_SHOW_REPORT } from './status.js';
import { hubAccess } from './config.js';
import { HUB_SCHEME, parseHubUri, resolveHubDataset } from '../core/dataset/hub.js';
import { defaultDatasetCacheDir } from '../core/embed/paths.js';
import { analyzePrecomputed, COMMAND_ANALYZE_PRECOMPUTED } from './precomputed.js';

export const COMMAND_ANALYZE = 'preferenceLens.analyze';
export const COMMAND_ANALYZE_HUB = 'preferenceLens.analyzeHub';

export const createCommands = (): Record<string, CommandFactory> => ({
  [COMMAND_ANALYZE]: analyze,
  [COMMAND_ANALYZE_HUB]: analyzeHub,
  [COMMAND_ANALYZE_PRECOMPUTED]: analyzePrecomputed,
  [COMMAND_SHOW_REPORT]: (ctx) => () => showReport(ctx),
  [COMMAND_SHOW_IN_REPORT]: (ctx) => async (behavior: string) => {
    await showReport(ctx);
    ReportPanel.active?.focusBehavior(behavior);
  },
  [COMMAND_OPEN_SIMILAR]: (ctx) => async (file: string, line: number) =>
    openSimilar(await ctx.lastPayload(), file, line),
});

/** Explorer: (clicked, selection); editor title / palette: (document) or nothing. */
const analyze: CommandFactory = (ctx) => async (uri?: vscode.Uri, uris?: vscode.Uri[]) => {
  const targets = (uris && uris.length ? uris : uri ? [uri] : []).filter(
    (u) => u.scheme === 'file',
  );
  if (targets.length === 0) {
    const tab = activeTabDataset();
    const doc = ctx.editors.current();
    if (tab && isParquetPath(tab.fsPath)) targets.push(tab);
    else if (doc && doc.uri.scheme === 'file') targets.push(doc.uri);
    else if (tab) targets.push(tab);
  }
  if (targets.length === 0) {
    // Nothing open to analyze (a Parquet file never is a text editor): ask for the files.
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: true,
      canSelectFolders: false,
      openLabel: 'Analyze',
      title: 'Preference Lens: dataset files to analyze as one mixture',
      filters: { Datasets: ['jsonl', 'json', 'parquet'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    if (picked) targets.push(...picked.filter((u) => u.scheme === 'file'));
  }
  if (targets.length === 0) {
    void vscode.window.showWarningMessage(
      'Preference Lens: open a JSONL dataset or select JSONL, JSON or Parquet files or folders in the Explorer.',
    );
    return;
  }
  const settings = ctx.config(targets[0]);
  let mixture: Mixture;
  try {
    mixture = await selectMixture({
      selected: targets.map((u) => u.fsPath),
      scope: settings.mixtureScope,
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      schema: settings.schema === 'auto' ? null : settings.schema,
      fields: settings.fields,
      behaviorField: settings.behaviorField || undefined,
      overlays: ctx.overlays(),
    });
  } catch (error) {
    void vscode.window.showErrorMessage(`Preference Lens: ${errorMessage(error)}`);
    return;
  }
  await ctx.runs.run(mixture, true);
};

/**
 * A Hugging Face Hub split, asked for by id: its Parquet shards come from the dataset cache, or
 * are downloaded there when preferenceLens.allowDownload allows it (not from an untrusted
 * workspace's settings), then analyzed as the selected files.
 */
const analyzeHub: CommandFactory = (ctx) => async (given?: string) => {
  const withScheme = (value: string): string =>
    value.startsWith(HUB_SCHEME) ? value : `${HUB_SCHEME}${value}`;
  const uri =
    given ??
    (await vscode.window.showInputBox({
      title: 'Preference Lens: analyze a Hugging Face dataset',
      prompt: 'hf://owner/name[@config][/split] (config: default, split: train when left out)',
      placeHolder: 'hf://Anthropic/hh-rlhf@default/test',
      validateInput: (value) => {
        try {
          parseHubUri(withScheme(value));
          return undefined;
        } catch (error) {
          return errorMessage(error);
        }
      },
    }));
  if (!uri) return;
  const settings = ctx.config();
  let mixture: Mixture;
  try {
    const files = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Preference Lens: ${withScheme(uri)}`,
      },
      () => resolveHubDataset(withScheme(uri), hubAccess(settings, defaultDatasetCacheDir())),
    );
    mixture = await selectMixture({
      selected: files,
      scope: 'file',
      workspaceFolders: [],
      schema: settings.schema === 'auto' ? null : settings.schema,
      fields: settings.fields,
      behaviorField: settings.behaviorField || undefined,
    });
  } catch (error) {
    void vscode.window.showErrorMessage(`Preference Lens: ${errorMessage(error)}`);
    return;
  }
  await ctx.runs.run(mixture, true);
};

const showReport = async (ctx: Ctx): Promise<void> => {
  const payload = await ctx.lastPayload();
  if (!payload) {
    void vscode.window.showInformationMessage(
      'Preference Lens: no report yet. Run "Preference Lens: Analyze priority" on a JSONL file.',
    );
    return;
  }
  ctx.showPanel(false).setPayload(payload);
};

/** The webview's requests: intents about lines of the datasets, or an export. */
export const panelMessages =
  (ctx: Ctx): PanelMessageHandler =>
  async (message) => {
    switch (message.type) {
      case 'ready':
        return;
      case 'reveal':
        await reveal(message.file, message.line);
        return;
      case 'openSimilar':
        await openSimilar(await ctx.lastPayload(), message.file, message.line);
        return;
      case 'export': {
        const payload = await ctx.lastPayload();
        if (payload) await exportReport(payload, message.format, ctx);
        return;
      }
      case 'exportRows':
        await exportRows(message.jsonl, message.rows);
        return;
    }
  };
