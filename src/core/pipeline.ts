import { analyzeEmbeddings } from './analysis/analyze.js';
import type { RowData } from './io/half.js';
import {
  DatasetInputError,
  readDatasets,
  readRowContents,
  rowDigest,
  rowPromptChars,
  rowTextLength,
} from './dataset/index.js';
import { boundaryDigest } from './digest.js';
import type { DatasetFile, ReadOptions, Example, SkippedLine } from './dataset/types.js';
import { formatPosition } from './dataset/position.js';
import { pairMargins, scoreMarginsByBehavior } from './report/score-margins.js';
import { createEmbedder } from './embed/index.js';
import type {
  AnswerHead,
  Embedder,
  EmbedderOptions,
  Embeddings,
  EmbedProgress,
  TextSource,
} from './embed/types.js';
import type { BehaviorCounts, BehaviorScience } from './analysis/types.js';
import {
  REPORT_VERSION,
  type BehaviorReport,
  type Report,
  type SimulationOptions,
} from './report/types.js';
import type { RowFlag } from './report/sidecar-types.js';
import { TOOL_VERSION } from './version.js';
import { mixedSchemaWarning } from './analysis/verdicts.js';
import { resolveSimulationOptions } from './analysis/analyze.js';
import { discoverBehaviors, discoveryReason, type DiscoverMode } from './discovery/discover.js';
import { MIN_PROMPTS_PER_CLUSTER, K_RANGE } from './discovery/cluster.js';
import type { DiscoveryReport } from './report/types.js';
import { DEFAULT_DISCOVER_MODE } from './discovery/discover-mode.js';
import type { CheckThresholds } from './analysis/pair-checks.js';
import { checkMixture } from './pair-check-inputs.js';

export interface AnalyzeOptions {
  read?: Omit<ReadOptions, 'signal'>;
  embed?: EmbedderOptions;
  /** Rows already read (e.g. from an export-rows file): the inputs are then not read again. */
  files?: DatasetFile[];
  /** An already running embedder (the extension keeps one child process warm). */
  embedder?: Embedder<RowData>;
  simulation?: Partial<SimulationOptions>;
  thresholds?: {
    priorityLevel?: number;
    relativeDistinguishability?: number;
    significance?: number;
    priorityLevelAbsolute?: number;
    flagStability?: number;
    labelHintCutoff?: number;
  };
  /**
   * Evals questions with lettered choices: 'option-text' (a pair of option texts per question),
   * 'answer-token' (the paper's one row labeled by the letter), or 'auto' (default): option-text
   * for a sentence-embedding model, answer-token for a causal LM. read.multipleChoice, when set,
   * wins.
   */
  multipleChoice?: 'auto' | 'answer-token' | 'option-text';
  /** The pair checks' thresholds (pair-checks.ts's DEFAULT_CHECK_THRESHOLDS when unset). */
  checks?: Partial<CheckThresholds>;
  /** Max possible-label-error suspects kept per behavior. */
  maxSuspects?: number;
  rebalance?: boolean;
  /** Largest simulated accuracy loss a rebalancing may cost any behavior (default 0.02). */
  rebalanceTolerance?: number;
  /** Worker threads of the analysis (default: the machine's parallelism, at most 8). */
  analysisThreads?: number;
  /** Two-model misalignment: the aligned checkpoint (the main model is the base). */
  alignedModel?: EmbedderOptions;
  /**
   * Behavior discovery (src/core/discovery): 'unlabeled' (default) clusters the prompts when the
   * input names no behaviors; 'auto' or a number always; 'off' never.
   */
  discoverBehaviors?: DiscoverMode;
}

export type PipelineStage = 'read' | 'embed' | 'analyze' | 'simulate' | 'done';

export interface PipelineProgress {
  stage: PipelineStage;
  message: string;
  /** 0..1 within the stage, when known. */
  fraction: number | null;
  embed?: EmbedProgress;
}

export interface AnalyzeResult {
  report: Report;
  examples: Example[];
  embeddings: Embeddings<RowData>;
  skipped: SkippedLine[];
  /** The files as read (rows and skipped lines per file), e.g. to write a rebalanced dataset. */
  files: DatasetFile[];
  /** Rows (indices into examples) flagged per kind, for the report's sidecar (browse table, map). */
  rowFlags: RowFlag[];
}

const MAIN_EMBED = 'embedding';

/** Unset options (undefined or null from a CLI flag or a setting) must not override defaults. */
const definedOnly = <T extends object>(o: T | undefined): Partial<T> =>
  Object.fromEntries(
    Object.entries(o ?? {}).filter(([, v]) => v !== undefined && v !== null),
  ) as Partial<T>;

/** The rows of a mixture as analyze holds them while it embeds and analyzes. */
export interface MixtureRows {
  files: DatasetFile[];
  examples: Example[];
  skipped: SkippedLine[];
}

/**
 * analyze's first stage: the rows of every input, their texts left on disk (keepTexts: false,
 * unless options.read says otherwise) and read back when they are embedded or shown.
 */
export async function readMixture(
  inputs: readonly string[],
  options: AnalyzeOptions = {},
  signal?: AbortSignal,
  onProgress?: (p: PipelineProgress) => void,
): Promise<MixtureRows> {
  const report = (p: PipelineProgress) => onProgress?.(p);
  report({ stage: 'read', message: 'reading datasets', fraction: 0 });
  const files =
    options.files ??
    (await readDatasets(inputs, {
      keepTexts: false,
      ...options.read,
      signal,
      onProgress: (read, total) =>
        report({
          stage: 'read',
          message: 'reading datasets',
          fraction: total ? read / total : null,
        }),
    }));
  const examples = files.flatMap((f) => f.examples);
  const skipped = files.flatMap((f) => f.skipped);
  if (examples.length === 0) {
    const first = skipped[0];
    throw new DatasetInputError(
      inputs.join(', '),
      first
        ? `no usable rows: all ${skipped.length} line(s) were skipped (first: ${formatPosition(first.file, first.line, first.column)} ${first.message})`
        : 'no usable rows: the input holds no records',
    );
  }
  return { files, examples, skipped };
}

/** The rows' texts for the embedder: digests and lengths in memory, texts read back on demand. */
const rowTexts = (examples: readonly Example[]): TextSource => ({
  length: examples.length,
  digest: (row) => boundaryDigest(rowDigest(examples[row]), rowPromptChars(examples[row])),
  textLength: (row) => rowTextLength(examples[row]),
  promptChars: (row) => rowPromptChars(examples[row]),
  texts: async (rows, signal) =>
    (
      await readRowContents(
        rows.map((r) => examples[r]),
        signal,
      )
    ).map((c) => c.text),
});

/** The multiple-choice mode a run uses (AnalyzeOptions.multipleChoice) for a model of `kind`. */
export const multipleChoiceMode = (
  options: Pick<AnalyzeOptions, 'read' | 'multipleChoice'>,
  kind: 'sentence-embedding' | 'causal-lm',
): 'answer-token' | 'option-text' => {
  if (options.read?.multipleChoice) return options.read.multipleChoice;
  const asked = options.multipleChoice ?? 'auto';
  if (asked !== 'auto') return asked;
  return kind === 'causal-lm' ? 'answer-token' : 'option-text';
};

/** Reads, embeds and analyzes one mixture: the single entry point of every face. */
export async function analyze(
  inputs: readonly string[],
  options: AnalyzeOptions = {},
  signal?: AbortSignal,
  onProgress?: (p: PipelineProgress) => void,
): Promise<AnalyzeResult> {
  const report = (p: PipelineProgress) => onProgress?.(p);
  const t0 = performance.now();
  let { files, examples, skipped } = await readMixture(inputs, options, signal, onProgress);
  const t1 = performance.now();
  // A second read (multiple-choice option texts) counts as reading, not embedding.
  let rereadMs = 0;

  const embedder = options.embedder ?? (await createEmbedder(options.embed ?? {}));
  // The multiple-choice mode depends on the model: lettered questions are read again as option
  // texts when a sentence-embedding model should see them so (only when the inputs hold any).
  const mode = multipleChoiceMode(options, embedder.info.kind);
  if (mode === 'option-text' && !options.files && files.some((f) => f.splittableChoices)) {
    const again = performance.now();
    try {
      ({ files, examples, skipped } = await readMixture(
        inputs,
        { ...options, read: { ...options.read, multipleChoice: 'option-text' } },
        signal,
        onProgress,
      ));
    } catch (error) {
      if (!options.embedder) await embedder.dispose();
      throw error;
    }
    rereadMs = performance.now() - again;
  }
  let embeddings: Embeddings<RowData>;
  let discovery: DiscoveryReport | null;
  let discoveryMs: number;
  let head: AnswerHead | undefined;
  let aligned: { data: RowData; model: string; head?: AnswerHead } | undefined;
  const texts = rowTexts(examples);
  let lastEmbed: EmbedProgress = { done: 0, total: texts.length, cached: 0 };
  const embedProgress = (label: string) => (p: EmbedProgress) => {
    if (label === MAIN_EMBED) lastEmbed = p;
    report({
      stage: 'embed',
      message: `${label}: ${p.done}/${p.total} (${p.cached} cached)`,
      fraction: p.total ? p.done / p.total : 1,
      embed: p,
    });
  };
  try {
    report({ stage: 'embed', message: `embedding with ${embedder.info.id}`, fraction: 0 });
    embeddings = await embedder.embed(texts, signal, embedProgress(MAIN_EMBED));
    const tDiscover = performance.now();
    discovery = await discover(files, examples, embedder, options, signal, report);
    discoveryMs = performance.now() - tDiscover;
    head = embedder.answerHead ? await embedder.answerHead(' Yes', ' No') : undefined;
    if (options.alignedModel) {
      const second = await createEmbedder(options.alignedModel);
      try {
        if (second.info.dimension !== embedder.info.dimension) {
          throw new Error(
            `the aligned model has dimension ${second.info.dimension}, the base model ${embedder.info.dimension}: they must be two checkpoints of one model`,
          );
        }
        const e = await second.embed(texts, signal, embedProgress('embedding (aligned model)'));
        aligned = {
          data: e.data,
          model: second.info.id,
          head: second.answerHead ? await second.answerHead(' Yes', ' No') : undefined,
        };
      } finally {
        await second.dispose();
      }
    }
  } finally {
    if (!options.embedder) await embedder.dispose();
  }
  const t2 = performance.now();

  const behaviorNames: string[] = [];
  const nameIndex = new Map<string, number>();
  const behaviorFiles = new Map<string, Map<string, number>>();
  const behaviorIndex = new Int32Array(examples.length);
  const labels = new Int8Array(examples.length);
  examples.forEach((e, r) => {
    let b = nameIndex.get(e.behavior);
    if (b === undefined) {
      b = behaviorNames.length;
      behaviorNames.push(e.behavior);
      nameIndex.set(e.behavior, b);
      behaviorFiles.set(e.behavior, new Map());
    }
    behaviorIndex[r] = b;
    labels[r] = e.label;
    const lines = behaviorFiles.get(e.behavior)!;
    lines.set(e.file, Math.min(lines.get(e.file) ?? Infinity, e.line));
  });

  const analysis = await analyzeEmbeddings(
    {
      data: embeddings.data,
      dim: embeddings.dim,
      labels,
      behaviorIndex,
      behaviorNames,
      pairs: Int32Array.from(examples, (e) => e.pair ?? -1),
      head,
      model: embedder.info.id,
      aligned,
    },
    {
      // A real LM head moves under the paper's own hyperparameters; a zero head barely does, so
      // it gets the fast preview unless a preset was asked for (docs/causal-lm.md).
      simulation: {
        preset: head ? 'reference' : 'fast-preview',
        ...definedOnly(options.simulation),
      },
      thresholds: definedOnly(options.thresholds),
      maxSuspects: options.maxSuspects,
      rebalance: options.rebalance ?? true,
      rebalanceTolerance: options.rebalanceTolerance,
      threads: options.analysisThreads ?? undefined,
    },
    signal,
    (p) =>
      report({
        stage: p.stage === 'statistics' ? 'analyze' : p.stage === 'done' ? 'done' : 'simulate',
        message: p.message,
        fraction: p.fraction,
      }),
  );
  const t3 = performance.now();
  const checks = await checkMixture(
    examples,
    embeddings,
    embedder.info.maxTokens,
    definedOnly(options.checks),
    signal,
  );
  const t4 = performance.now();

  // The suspects' texts, read back from their files in one pass.
  const suspectRows = [...new Set(analysis.behaviors.flatMap((b) => b.suspects.map((s) => s.row)))];
  const contents = await readRowContents(
    suspectRows.map((r) => examples[r]),
    signal,
  );
  const shown = new Map(suspectRows.map((r, i) => [r, contents[i].display ?? contents[i].text]));

  // Annotator margins (UltraFeedback-style score fields), kept beside the embedding science.
  const margins = pairMargins(examples);
  const marginSummaries = scoreMarginsByBehavior(examples, margins);

  // A report behavior is the analysis's figures (BehaviorScience, BehaviorCounts) with what the
  // reader knows added: its files, the label hints' lines and texts, the annotator margins. The
  // counts follow the files in the JSON, as in every report written so far.
  const behaviors: BehaviorReport[] = analysis.behaviors.map((b) => {
    const {
      index: _index,
      suspects,
      suspectRows: _suspectRows,
      wrongSideCount,
      pastOppositeMeanCount,
      upsampling,
      ...figures
    } = b;
    const science: BehaviorScience = figures;
    const counts: BehaviorCounts = {
      wrongSideCount,
      pastOppositeMeanCount,
      ...(upsampling === undefined ? {} : { upsampling }),
    };
    return {
      ...science,
      files: [...(behaviorFiles.get(b.name) ?? new Map<string, number>())].map(
        ([file, firstLine]) => ({ file, firstLine }),
      ),
      ...counts,
      ...(marginSummaries.has(b.name) ? { scoreMargin: marginSummaries.get(b.name) } : {}),
      suspects: suspects.map((s) => {
        const pair = examples[s.row].pair;
        const margin = pair === undefined ? undefined : margins.get(pair);
        return {
          file: examples[s.row].file,
          line: examples[s.row].line,
          label: s.label,
          projection: s.projection,
          confidence: s.confidence,
          ...(margin === undefined ? {} : { scoreMargin: margin }),
          text: shown.get(s.row)!,
        };
      }),
    };
  });
  const byReason: Report['skipped']['byReason'] = {};
  for (const s of skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;

  const result: Report = {
    version: REPORT_VERSION,
    createdAt: new Date().toISOString(),
    tool: { name: 'preference-lens', version: TOOL_VERSION },
    model: {
      id: embedder.info.id,
      kind: embedder.info.kind,
      dimension: embedder.info.dimension,
      device: embedder.info.device,
      deviceReason: embedder.info.deviceReason,
      pooling: embedder.info.pooling,
      ...(embedder.info.precision ? { precision: embedder.info.precision } : {}),
      sha256: embedder.info.sha256,
      ...(embedder.info.maxTokens === undefined ? {} : { maxTokens: embedder.info.maxTokens }),
    },
    inputs: files.map((f) => ({
      file: f.file,
      schema: f.schema,
      rows: f.examples.length,
      skipped: f.skipped.length,
    })),
    behaviors,
    warnings: [
      ...analysis.warnings,
      ...checks.warnings,
      ...[mixedSchemaWarning(files.map((f) => ({ file: f.file, schema: f.schema })))].filter(
        (w) => w !== null,
      ),
    ],
    pairChecks: checks.report,
    ...multipleChoiceFacts(files),
    excluded: analysis.excluded,
    priority: analysis.priority,
    simulation: analysis.simulation,
    twoModel: analysis.twoModel,
    rebalancing: analysis.rebalancing,
    discovery,
    skipped: { total: skipped.length, byReason, lines: skipped },
    thresholds: analysis.thresholds,
    timings: {
      readMs: Math.round(t1 - t0 + rereadMs),
      // The prompts' embedding and the clustering are discovery's time (timings.discoveryMs).
      embedMs: Math.round(t2 - t1 - rereadMs - discoveryMs),
      ...(discovery ? { discoveryMs: Math.round(discoveryMs) } : {}),
      analysisMs: Math.round(t3 - t2),
      embeddedRows: lastEmbed.total - lastEmbed.cached,
      cachedRows: lastEmbed.cached,
      checksMs: Math.round(t4 - t3),
    },
  };
  report({ stage: 'done', message: 'done', fraction: 1 });
  const rowFlags: RowFlag[] = [
    { kind: 'possible-label-error', rows: analysis.behaviors.flatMap((b) => b.suspectRows) },
  ];
  return { report: result, examples, embeddings, skipped, files, rowFlags };
}

/**
 * Behavior discovery when the options or the input call for it (discoveryReason): the prompts are
 * clustered and every row gets its cluster as its behavior. An unlabeled input too small to split
 * (fewer than K_RANGE[0] · MIN_PROMPTS_PER_CLUSTER prompts) stays one behavior.
 */
async function discover(
  files: readonly DatasetFile[],
  examples: Example[],
  embedder: Embedder<RowData>,
  options: AnalyzeOptions,
  signal: AbortSignal | undefined,
  report: (p: PipelineProgress) => void,
): Promise<DiscoveryReport | null> {
  const mode = options.discoverBehaviors ?? DEFAULT_DISCOVER_MODE;
  const reason = discoveryReason(files, examples, mode);
  if (reason === null || mode === 'off') return null;
  const prompts = new Set(examples.map((e, r) => e.pair ?? `row ${r}`)).size;
  const least =
    mode === 'auto' || mode === 'unlabeled' ? K_RANGE[0] * MIN_PROMPTS_PER_CLUSTER : mode;
  if (prompts < least) {
    if (reason === 'unlabeled') return null;
    // Asked for explicitly: say why it cannot be done (unusable input, exit 2), before the prompts are embedded.
    throw new DatasetInputError(
      files.map((f) => f.file).join(', '),
      `cannot discover ${mode === 'auto' ? 'behaviors' : `${mode} behaviors`} in ${prompts} prompts: ${mode === 'auto' ? `automatic k needs at least ${least}` : 'k must not exceed the number of prompts'}`,
    );
  }
  report({ stage: 'embed', message: 'embedding prompts for behavior discovery', fraction: 0 });
  const seed = resolveSimulationOptions(definedOnly(options.simulation)).seed;
  const { report: found } = await discoverBehaviors(examples, embedder, {
    mode,
    reason,
    seed,
    signal,
    onEmbedProgress: (p) =>
      report({
        stage: 'embed',
        message: `prompts: ${p.done}/${p.total} (${p.cached} cached)`,
        fraction: p.total ? p.done / p.total : 1,
      }),
  });
  return found;
}

/** report.multipleChoice: present when the inputs hold lettered questions. */
const multipleChoiceFacts = (files: readonly DatasetFile[]): Pick<Report, 'multipleChoice'> => {
  // The mode the rows were read in (rows given by the caller, e.g. a rows file, keep theirs).
  const mode = files.some((f) => f.multipleChoice === 'option-text')
    ? 'option-text'
    : 'answer-token';
  let records = 0;
  for (const f of files) {
    if (f.schema !== 'evals') continue;
    if (f.multipleChoice === 'option-text') {
      records += new Set(f.examples.filter((e) => e.pair !== undefined).map((e) => e.pair)).size;
    } else records += f.splittableChoices ?? 0;
  }
  return records > 0 ? { multipleChoice: { mode, records } } : {};
};
