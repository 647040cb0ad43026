/**
 * "Analyze priority with precomputed embeddings…": the rows file of `export-rows` and the shards
 * an outside job (the Ray recipe, any tool writing the documented columns) computed for it, picked
 * in open dialogs, then the CLI's `analyze --embeddings DIR --rows FILE [--answer-rows FILE]`
 * pipeline in the run control: same progress, cancellation, report panel and diagnostics as a
 * normal run, on the dataset files the rows file names. No embedding model is started.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PrecomputedInputs } from '../core/precomputed-run.js';
import type { CommandFactory, Ctx } from './ctx.js';
import type { Mixture } from './mixture.js';

export const COMMAND_ANALYZE_PRECOMPUTED = 'preferenceLens.analyzePrecomputed';

/** The Ray recipe writes a causal LM's answer rows beside its shards under this name. */
export const RECIPE_ANSWER_ROWS = '_answer_rows.parquet';

/** workspaceState keys: where the dialogs open next time. */
const LAST_ROWS = 'preferenceLens.precomputed.lastRows';
const LAST_EMBEDDINGS = 'preferenceLens.precomputed.lastEmbeddings';

/** The mixture a precomputed run starts with: the rows file, until it has named its datasets. */
export const precomputedMixture = (inputs: PrecomputedInputs): Mixture => ({
  files: [inputs.rows],
  selected: [inputs.rows],
  schema: null,
  scope: 'file',
  description:
    `Precomputed embeddings ${path.basename(inputs.embeddings)} for the rows of ` +
    `${path.basename(inputs.rows)}${inputs.answerRows ? ` (answer rows ${path.basename(inputs.answerRows)})` : ''}.`,
});

/** Given paths (a test, a keybinding's args) skip the dialogs; else the user picks them. */
export const analyzePrecomputed: CommandFactory =
  (ctx) =>
  async (given?: Partial<PrecomputedInputs>): Promise<void> => {
    const inputs = given?.rows && given.embeddings ? (given as PrecomputedInputs) : await pick(ctx);
    if (!inputs) return;
    await ctx.runs.run(precomputedMixture(inputs), true, inputs);
  };

const pick = async (ctx: Ctx): Promise<PrecomputedInputs | undefined> => {
  const state = ctx.workspaceState;
  const near = (key: string): vscode.Uri | undefined => {
    const last = state.get<string>(key);
    return last ? vscode.Uri.file(last) : vscode.workspace.workspaceFolders?.[0]?.uri;
  };
  const rows = await vscode.window.showOpenDialog({
    title: 'Preference Lens: the rows file that export-rows wrote',
    openLabel: 'Use these rows',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    filters: { 'Rows file': ['parquet'] },
    defaultUri: near(LAST_ROWS),
  });
  if (!rows?.[0]) return undefined;
  const embeddings = await vscode.window.showOpenDialog({
    title:
      'Preference Lens: the folder of embedding shards (*.parquet, or *.npy with *.row_id.npy)',
    openLabel: 'Use these embeddings',
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: near(LAST_EMBEDDINGS) ?? vscode.Uri.file(path.dirname(rows[0].fsPath)),
  });
  if (!embeddings?.[0]) return undefined;
  const dir = embeddings[0].fsPath;
  const answerRows = await pickAnswerRows(dir);
  if (answerRows === null) return undefined;
  await state.update(LAST_ROWS, rows[0].fsPath);
  await state.update(LAST_EMBEDDINGS, dir);
  return { rows: rows[0].fsPath, embeddings: dir, ...(answerRows ? { answerRows } : {}) };
};

/**
 * A causal LM's answer rows (φ and the simulated runs' head): the recipe's file when the folder
 * has one, another file, or none (sentence-model vectors). null: the user cancelled.
 */
const pickAnswerRows = async (dir: string): Promise<string | undefined | null> => {
  const recipe = path.join(dir, RECIPE_ANSWER_ROWS);
  type Item = vscode.QuickPickItem & { choice: 'recipe' | 'other' | 'none' };
  const items: Item[] = [
    ...(existsSync(recipe)
      ? [{ label: RECIPE_ANSWER_ROWS, description: 'beside the shards', choice: 'recipe' as const }]
      : []),
    { label: 'Without answer rows', description: 'sentence-model vectors: no φ', choice: 'none' },
    { label: 'Answer rows file…', description: '.parquet or .npy [2, d]', choice: 'other' },
  ];
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Preference Lens: a causal LM’s answer rows W_U[y₊], W_U[y₋]?',
  });
  if (!chosen) return null;
  if (chosen.choice === 'recipe') return recipe;
  if (chosen.choice === 'none') return undefined;
  const file = await vscode.window.showOpenDialog({
    title: 'Preference Lens: answer rows (answer, token, embedding) or a [2, d] NPY',
    openLabel: 'Use these answer rows',
    canSelectMany: false,
    filters: { 'Answer rows': ['parquet', 'npy'] },
    defaultUri: vscode.Uri.file(dir),
  });
  return file?.[0]?.fsPath ?? null;
};
