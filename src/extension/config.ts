/**
 * The extension's one config module: the `preferenceLens.*` settings as plain data, and their
 * mapping to the core's AnalyzeOptions. Defaults and allowed values come from package.json's
 * `contributes.configuration` only (through src/shared/settings-manifest.ts); this file says how
 * each value is validated and where it goes. vscode is imported for its types only: the reader is
 * built on `WorkspaceConfiguration.inspect`, so the workspace-trust filtering is unit-tested here.
 */
import type * as vscode from 'vscode';
import { parseDiscoverMode, type DiscoverMode } from '../core/discovery/discover-mode.js';
import { type DpoLossName, labelSmoothingApplies } from '../core/analysis/losses.js';
import type { ReadOptions, SchemaName } from '../core/dataset/types.js';
import type { DeviceRequest, EmbedderOptions, Pooling, Precision } from '../core/embed/types.js';
import type { AnalyzeOptions } from '../core/pipeline.js';
import type { SimulationOptions } from '../core/report/types.js';
import {
  RESTRICTED_SETTINGS,
  SETTINGS_SECTION,
  settingChoices,
  settingDefault,
  settingProperties,
} from '../shared/settings-manifest.js';

export const SECTION = SETTINGS_SECTION;

/** What `WorkspaceConfiguration.inspect(key)` returns, reduced to what we read. */
export interface InspectedValue<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export type SettingsReader = <T>(key: string) => InspectedValue<T> | undefined;

export type MixtureScope = 'file' | 'folder' | 'workspace';
export type FieldName = keyof NonNullable<ReadOptions['fields']>;

export interface ExtensionSettings {
  /** "bundled", a Hugging Face id or a local model folder. */
  model: string;
  allowDownload: boolean;
  device: DeviceRequest;
  pooling: Pooling | 'auto';
  /** Which graph of the bundled model runs (ignored for any other model). */
  precision: Precision;
  /** Causal LMs: rows through the tokenizer's chat template when it has one. */
  chatTemplate: boolean;
  /** The warm embedding process: seconds without a run before it ends (0: kept). */
  embedder: { idleTimeout: number };
  schema: SchemaName | 'auto';
  behaviorField: string;
  fields: Partial<Record<FieldName, string>>;
  thresholds: {
    priorityLevel: number | null;
    relativeDistinguishability: number | null;
    significance: number | null;
    flagStability: number | null;
  };
  simulation: {
    /** 'auto': chosen by the head (reference for a causal LM's real head, fast-preview for a zero head). */
    preset: 'auto' | 'reference' | 'fast-preview';
    steps: number | null;
    lr: number | null;
    beta: number | null;
    batchSize: number | null;
    testFraction: number | null;
    seed: number | null;
    loss: DpoLossName;
    /** Used by the sigmoid and robust losses only (labelSmoothingApplies). */
    labelSmoothing: number;
  };
  maxLabelErrorHints: number;
  /** Lettered multiple-choice evals (AnalyzeOptions.multipleChoice). */
  multipleChoiceMode: 'auto' | 'answer-token' | 'option-text';
  /** The pair checks' thresholds (preferenceLens.checks.*). */
  checks: {
    nearIdenticalCosine: number;
    lengthBiasFraction: number;
    lengthBiasCorrelation: number;
  };
  /** Largest simulated test-accuracy loss a rebalancing suggestion may cost any behavior. */
  rebalanceTolerance: number;
  mixtureScope: MixtureScope;
  /** Behavior discovery (preferenceLens.discoverBehaviors): unlabeled, off, auto or k. */
  discoverBehaviors: DiscoverMode;
  batchSize: number | null;
  threads: number | null;
  analysisThreads: number | null;
  cache: boolean;
  diagnosticsOnEdit: boolean;
  editDebounceMs: number;
}

/**
 * Settings a workspace must not control in Restricted Mode: they choose which files are loaded as a
 * model (or downloaded) and which native execution providers run. Read from package.json's
 * `capabilities.untrustedWorkspaces.restrictedConfigurations`.
 */
export { RESTRICTED_SETTINGS };

/** Changing these needs a new embedding child process (a different model or execution provider). */
export const EMBEDDER_SETTINGS = [
  'model',
  'allowDownload',
  'device',
  'pooling',
  'precision',
  'chatTemplate',
  'batchSize',
  'threads',
  'cache',
] as const;

/** The field overrides package.json declares under `preferenceLens.fields`. */
const FIELD_NAMES = settingProperties<FieldName>('fields');

/**
 * Effective value of one setting. In an untrusted workspace a restricted setting only honours the
 * user's own (global) value, never a value the opened folder brings along.
 */
export const effectiveValue = <T>(
  inspected: InspectedValue<T> | undefined,
  trusted: boolean,
  restricted: boolean,
): T | undefined => {
  if (!inspected) return undefined;
  if (restricted && !trusted) return inspected.globalValue ?? inspected.defaultValue;
  return (
    inspected.workspaceFolderValue ??
    inspected.workspaceValue ??
    inspected.globalValue ??
    inspected.defaultValue
  );
};

export const readSettings = (read: SettingsReader, trusted: boolean): ExtensionSettings => {
  const restricted = new Set<string>(RESTRICTED_SETTINGS);
  /** The effective value if valid, else package.json's default. */
  const get = <T>(key: string, valid: (v: unknown) => boolean): T => {
    const value = effectiveValue<T>(read<T>(key), trusted, restricted.has(key.split('.')[0]));
    return value !== undefined && value !== null && valid(value) ? value : settingDefault<T>(key);
  };
  const nullableNumber = (key: string, positive = false): number | null =>
    get<number | null>(
      key,
      (x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0),
    );
  const oneOf = <T extends string>(key: string): T =>
    get<T>(key, (v) => settingChoices<T>(key).includes(v as T));
  const isString = (v: unknown): boolean => typeof v === 'string';
  const isBool = (v: unknown): boolean => typeof v === 'boolean';
  const isNonNegative = (v: unknown): boolean => typeof v === 'number' && v >= 0;
  const isUnit = (v: unknown): boolean =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;

  const rawFields = get<Record<string, unknown>>(
    'fields',
    (v) => typeof v === 'object' && !Array.isArray(v),
  );
  const fields: Partial<Record<FieldName, string>> = {};
  for (const name of FIELD_NAMES) {
    const value = rawFields[name];
    if (typeof value === 'string' && value.trim()) fields[name] = value.trim();
  }
  const model = get<string>('model', isString).trim() || settingDefault<string>('model');

  return {
    model,
    allowDownload: get('allowDownload', isBool),
    device: oneOf<DeviceRequest>('device'),
    pooling: oneOf<Pooling | 'auto'>('pooling'),
    precision: oneOf<Precision>('precision'),
    chatTemplate: get('chatTemplate', isBool),
    embedder: { idleTimeout: get('embedder.idleTimeout', isNonNegative) },
    schema: oneOf<SchemaName | 'auto'>('schema'),
    behaviorField: get<string>('behaviorField', isString).trim(),
    fields,
    thresholds: {
      priorityLevel: nullableNumber('thresholds.priorityLevel'),
      relativeDistinguishability: nullableNumber('thresholds.relativeDistinguishability'),
      significance: nullableNumber('thresholds.significance'),
      flagStability: nullableNumber('thresholds.flagStability'),
    },
    simulation: {
      preset: oneOf<ExtensionSettings['simulation']['preset']>('simulation.preset'),
      steps: nullableNumber('simulation.steps', true),
      lr: nullableNumber('simulation.lr', true),
      beta: nullableNumber('simulation.beta', true),
      batchSize: nullableNumber('simulation.batchSize', true),
      testFraction: nullableNumber('simulation.testFraction', true),
      seed: nullableNumber('simulation.seed'),
      loss: oneOf<DpoLossName>('simulation.loss'),
      labelSmoothing: get<number>(
        'simulation.labelSmoothing',
        (v) => typeof v === 'number' && v >= 0 && v < 0.5,
      ),
    },
    maxLabelErrorHints: get('maxLabelErrorHints', isNonNegative),
    multipleChoiceMode: oneOf<ExtensionSettings['multipleChoiceMode']>('multipleChoiceMode'),
    checks: {
      nearIdenticalCosine: get('checks.nearIdenticalCosine', isUnit),
      lengthBiasFraction: get(
        'checks.lengthBiasFraction',
        (v) => isUnit(v) && (v as number) >= 0.5,
      ),
      lengthBiasCorrelation: get('checks.lengthBiasCorrelation', isUnit),
    },
    rebalanceTolerance: get('rebalanceTolerance', (v) => typeof v === 'number' && v >= 0 && v <= 1),
    mixtureScope: oneOf<MixtureScope>('mixtureScope'),
    // get() only returns a value parseDiscoverMode takes (the default included), so null never comes.
    discoverBehaviors: parseDiscoverMode(
      get<unknown>('discoverBehaviors', (v) => parseDiscoverMode(v) !== null),
    ) as DiscoverMode,
    batchSize: nullableNumber('batchSize', true),
    threads: nullableNumber('threads', true),
    analysisThreads: nullableNumber('analysisThreads', true),
    cache: get('cache', isBool),
    diagnosticsOnEdit: get('diagnosticsOnEdit', isBool),
    editDebounceMs: get('editDebounceMs', isNonNegative),
  };
};

/** The settings that apply to a resource (its workspace folder's, else the workspace's). */
export const readConfig = (
  workspace: Pick<typeof vscode.workspace, 'getConfiguration' | 'isTrusted'>,
  scope?: vscode.Uri,
): ExtensionSettings => {
  const config = workspace.getConfiguration(SECTION, scope);
  return readSettings((key) => config.inspect(key), workspace.isTrusted);
};

/** The embedder's options. `bundledCacheDir` undefined keeps the core's default cache folder. */
export const embedderOptions = (s: ExtensionSettings): EmbedderOptions => {
  const options: EmbedderOptions = { allowDownload: s.allowDownload, device: s.device };
  if (s.model !== 'bundled') options.model = s.model;
  else options.precision = s.precision;
  if (s.pooling !== 'auto') options.pooling = s.pooling;
  if (!s.chatTemplate) options.chatTemplate = false;
  if (s.batchSize !== null) options.batchSize = s.batchSize;
  if (s.threads !== null) options.threads = s.threads;
  if (!s.cache) options.cacheDir = false;
  return options;
};

/** Two settings objects that give the same key can share one running embedder. */
export const embedderKey = (s: ExtensionSettings): string => JSON.stringify(embedderOptions(s));

export const analyzeOptions = (
  s: ExtensionSettings,
  overlays?: ReadonlyMap<string, string>,
): AnalyzeOptions => {
  const read: NonNullable<AnalyzeOptions['read']> = {};
  if (s.schema !== 'auto') read.schema = s.schema;
  if (s.behaviorField) read.behaviorField = s.behaviorField;
  if (Object.keys(s.fields).length) read.fields = { ...s.fields };
  if (overlays && overlays.size) read.overlays = overlays;

  const simulation: Partial<SimulationOptions> =
    s.simulation.preset === 'auto' ? {} : { preset: s.simulation.preset };
  const sim = s.simulation;
  if (sim.steps !== null) simulation.steps = Math.round(sim.steps);
  if (sim.lr !== null) simulation.lr = sim.lr;
  if (sim.beta !== null) simulation.beta = sim.beta;
  if (sim.batchSize !== null) simulation.batchSize = Math.round(sim.batchSize);
  if (sim.testFraction !== null) simulation.testFraction = sim.testFraction;
  if (sim.seed !== null) simulation.seed = Math.round(sim.seed);
  // Only what differs from the default loss, so the report's options stay as they were without it.
  if (sim.loss !== settingDefault<DpoLossName>('simulation.loss')) simulation.loss = sim.loss;
  if (sim.labelSmoothing !== 0 && labelSmoothingApplies(sim.loss))
    simulation.labelSmoothing = sim.labelSmoothing;

  const thresholds: NonNullable<AnalyzeOptions['thresholds']> = {};
  if (s.thresholds.priorityLevel !== null) thresholds.priorityLevel = s.thresholds.priorityLevel;
  if (s.thresholds.relativeDistinguishability !== null) {
    thresholds.relativeDistinguishability = s.thresholds.relativeDistinguishability;
  }
  if (s.thresholds.significance !== null) thresholds.significance = s.thresholds.significance;
  if (s.thresholds.flagStability !== null) thresholds.flagStability = s.thresholds.flagStability;

  return {
    read,
    embed: embedderOptions(s),
    simulation,
    thresholds,
    maxSuspects: s.maxLabelErrorHints,
    multipleChoice: s.multipleChoiceMode,
    checks: { ...s.checks },
    rebalanceTolerance: s.rebalanceTolerance,
    discoverBehaviors: s.discoverBehaviors,
    ...(s.analysisThreads === null ? {} : { analysisThreads: Math.round(s.analysisThreads) }),
  };
};

/**
 * The options of a run on precomputed embeddings, as the CLI's `analyze --embeddings` takes them:
 * no reading options (the rows file holds the texts as exported), no embedder or aligned model,
 * no behavior discovery (export-rows did it, on the prompts it embedded).
 */
export const precomputedAnalyzeOptions = (
  s: ExtensionSettings,
): Omit<AnalyzeOptions, 'embedder' | 'embed' | 'read' | 'files' | 'alignedModel'> => {
  const {
    read: _read,
    embed: _embed,
    alignedModel: _aligned,
    discoverBehaviors: _discover,
    ...rest
  } = analyzeOptions(s);
  return rest;
};

/**
 * How the extension may reach the Hub for an hf:// dataset: the model's download switch, so
 * Restricted Mode applies the same way (a workspace cannot turn downloads on), and the user cache.
 */
export const hubAccess = (
  s: ExtensionSettings,
  cacheDir: string,
): { allowDownload: boolean; cacheDir: string } => ({ allowDownload: s.allowDownload, cacheDir });

/** Whether a configuration change touches one of the given settings (e.g. EMBEDDER_SETTINGS). */
export const affects = (
  affectsConfiguration: (section: string) => boolean,
  keys: readonly string[],
): boolean => keys.some((key) => affectsConfiguration(`${SECTION}.${key}`));
