import { Command, CommanderError, Option } from 'commander';
import path from 'node:path';
import type { PipelineProgress } from '../core/pipeline.js';
import { analyzePrecomputedRun, analyzeRun, type FaceRun } from '../core/run.js';
import { renderMarkdown } from '../shared/markdown.js';
import { renderHtml, loadReportAssets } from '../core/report/html.js';
import { writeFileAtomic } from '../core/io/index.js';
import { createProgressReporter } from './progress.js';
import { formatSummary, noAnalyzableBehavior } from './summary.js';
import {
  type CliOptions,
  parseBatch,
  parseDiscoverBehaviors,
  parseFraction,
  lossConflict,
  precisionConflict,
  parseIntInRange,
  parseLabelSmoothing,
  parseMaxSuspects,
  parseNonNegativeNumber,
  parsePositiveNumber,
  parseUnitInterval,
  toAnalyzeOptions,
} from './options.js';
import { settingChoices, settingDefault, withoutAuto } from '../shared/settings-manifest.js';
import { UsageError, usageErrorMessage } from './errors.js';
import { addCheckCommand } from './check.js';
import { GATE_KINDS, gateFindings, parseFailOn } from './gate.js';
import { exportRowsCommand } from './export-rows.js';
import { exitCodeFor } from './exit-code.js';
import { checkModelPaths } from './model-paths.js';
import { checkOutputsSpareInputs, checkOutputTargets, type OutputTarget } from './output-paths.js';
import { terminalLine, terminalText } from './terminal-text.js';
import { addReadOptions } from './read-options.js';

declare const PACKAGE_VERSION: string | undefined;

/** Exit codes a pipeline can rely on (README: Exit codes). */
export const EXIT = { ok: 0, gate: 1, usage: 2, runtime: 3, interrupted: 130 } as const;

/** Everything the CLI prints goes through these: no control character from the data acts. */
const out = (text: string): void => void process.stdout.write(terminalText(text));
const err = (text: string): void => void process.stderr.write(terminalText(text));

const distDir = (): string => path.resolve(__dirname);

/** report.json → report.rows.json (the sidecar documented in the README). */
export const sidecarPath = (jsonFile: string): string =>
  jsonFile.replace(/(\.json)?$/i, '.rows.json');

/** Every output the options name, in the order they are written. */
const outputTargets = (opts: CliOptions): OutputTarget[] => {
  const targets: OutputTarget[] = [];
  if (opts.json) {
    targets.push({ option: '--json', path: opts.json, kind: 'file' });
    targets.push({ option: '--json (its sidecar)', path: sidecarPath(opts.json), kind: 'file' });
  }
  if (opts.markdown) targets.push({ option: '--markdown', path: opts.markdown, kind: 'file' });
  if (opts.html) targets.push({ option: '--html', path: opts.html, kind: 'file' });
  if (opts.saveEmbeddings)
    targets.push({ option: '--save-embeddings', path: opts.saveEmbeddings, kind: 'folder' });
  if (opts.rebalanceOut)
    targets.push({
      option: '--rebalance-out',
      path: opts.rebalanceOut,
      kind: /\.jsonl$/i.test(opts.rebalanceOut) ? 'file' : 'folder',
    });
  return targets;
};

// Each output is written beside its target and renamed over it (src/core/io/atomic-write.ts):
// a second Ctrl-C or a full disk while writing leaves the previous file, never a truncated one.
const writeOutputs = async (
  opts: CliOptions,
  result: FaceRun,
  wrote: (file: string) => void,
): Promise<void> => {
  // The per-row sidecar (map positions, nearest rows), once for the JSON and the HTML report.
  const sidecar = opts.json || opts.html ? await result.sidecar() : null;
  if (opts.json) {
    await writeFileAtomic(opts.json, JSON.stringify(result.report, null, 2) + '\n');
    wrote(opts.json);
    if (sidecar) {
      const rowsFile = sidecarPath(opts.json);
      await writeFileAtomic(rowsFile, JSON.stringify(sidecar) + '\n');
      wrote(rowsFile);
    }
  }
  if (opts.markdown) {
    await writeFileAtomic(opts.markdown, renderMarkdown(result.report));
    wrote(opts.markdown);
  }
  if (opts.html) {
    const assets = await loadReportAssets(distDir());
    await writeFileAtomic(opts.html, renderHtml({ report: result.report, sidecar }, assets));
    wrote(opts.html);
  }
  if (opts.saveEmbeddings) {
    await result.saveEmbeddings(opts.saveEmbeddings);
    wrote(path.join(opts.saveEmbeddings, 'embeddings.npy'));
  }
  const rb = result.report.rebalancing;
  if (opts.rebalanceOut && rb && rb.suggested === false) {
    err(
      `not writing ${terminalLine(opts.rebalanceOut)}: ${terminalLine(rb.note ?? 'no rebalancing suggested')}\n`,
    );
  } else if (opts.rebalanceOut && rb) {
    await result.writeRebalanced(opts.rebalanceOut, rb.weights);
    wrote(opts.rebalanceOut);
  }
};

/** `analyze --embeddings DIR --rows FILE`: vectors from an outside job, no model run here. */
const runPrecomputed = (
  inputs: string[],
  opts: CliOptions,
  signal: AbortSignal,
  onProgress: (p: PipelineProgress) => void,
): Promise<FaceRun> => {
  if (!opts.rows) throw new UsageError('--embeddings needs --rows (the file export-rows wrote)');
  if (inputs.length > 0)
    throw new UsageError('with --embeddings the rows file stands for the datasets: give no paths');
  if (opts.discoverBehaviors === 'auto' || typeof opts.discoverBehaviors === 'number')
    throw new UsageError(
      '--discover-behaviors needs the prompts embedded by a model: not available with --embeddings',
    );
  const {
    read: _read,
    embed: _embed,
    alignedModel: _aligned,
    discoverBehaviors: _discover,
    ...rest
  } = toAnalyzeOptions(opts);
  return analyzePrecomputedRun(
    {
      rows: opts.rows,
      embeddings: opts.embeddings!,
      answerRows: opts.answerRows,
      storage: opts.matrixStorage,
    },
    rest,
    signal,
    onProgress,
  );
};

const runAnalyze = async (inputs: string[], opts: CliOptions): Promise<number> => {
  // Usage errors come before any reading or embedding: a report that cannot be written must not
  // cost an analysis first.
  try {
    await checkModelPaths([
      { option: '--model', value: opts.model },
      { option: '--aligned-model', value: opts.alignedModel },
    ]);
    await checkOutputTargets(outputTargets(opts));
    await checkOutputsSpareInputs(outputTargets(opts), inputs);
  } catch (error) {
    err(`preference-lens: ${terminalLine(usageErrorMessage(error))}\n`);
    return exitCodeFor(error);
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    // The first Ctrl-C lets in-flight cache writes finish (they are atomic); a second one quits.
    // Outputs being written are atomic too: the exit removes their temporary files.
    if (interrupts > 1) process.exit(EXIT.interrupted);
    err('\nInterrupted: finishing the current batch, then stopping…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = createProgressReporter(opts.progress && Boolean(process.stderr.isTTY));
  const warn = (message: string) =>
    progress.note(`preference-lens: warning: ${terminalLine(message)}`);
  const options = toAnalyzeOptions(opts);
  options.embed = { ...options.embed, onWarning: warn };
  if (options.alignedModel) options.alignedModel = { ...options.alignedModel, onWarning: warn };
  try {
    const result = opts.embeddings
      ? await runPrecomputed(inputs, opts, controller.signal, progress.update)
      : await analyzeRun(inputs, options, controller.signal, progress.update);
    progress.stop();
    out(formatSummary(result.report, { verbose: opts.verbose ?? false }));
    await writeOutputs(opts, result, (file) => err(`wrote ${terminalLine(file)}\n`));
    const nothing = noAnalyzableBehavior(result.report);
    if (nothing) {
      err(`preference-lens: ${terminalLine(nothing)}\n`);
      return EXIT.usage;
    }
    const findings = gateFindings(result.report, opts.failOn);
    if (findings.length > 0) {
      err(
        `preference-lens: failing because of --fail-on ${opts.failOn.join(',')}: ${terminalLine(findings.join('; '))}\n`,
      );
      return EXIT.gate;
    }
    return EXIT.ok;
  } catch (error) {
    progress.stop();
    if (controller.signal.aborted) {
      err('preference-lens: interrupted; the embedding cache is consistent.\n');
      return EXIT.interrupted;
    }
    err(`preference-lens: ${terminalLine(usageErrorMessage(error))}\n`);
    if ((opts.verbose || process.env.PREFERENCE_LENS_DEBUG) && error instanceof Error) {
      err(`${error.stack}\n`);
    }
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSigint);
  }
};

export const buildProgram = (): Command => {
  const program = new Command('preference-lens')
    // Commander's own errors (unknown option, invalid value) are thrown, not process.exit(1):
    // main() prints them as one line and exits 2. Set before the subcommands, which inherit it.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .description(
      'Audit a preference dataset before DPO: distinguishability, priority levels, simulated head training.',
    )
    .version(typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0.0.0-dev');

  addReadOptions(
    program
      .command('analyze')
      .description(
        'Embed and analyze dataset files (JSONL, JSON arrays, Parquet), folders of them or Hub splits (hf://owner/name@config/split) as one mixture.',
      )
      .argument('[paths...]', 'files, folders or hf:// splits (none with --embeddings)')
      .option(
        '--embeddings <dir>',
        'precomputed embedding shards (Parquet or NPY) instead of a model',
      )
      .option('--rows <file>', 'with --embeddings: the rows file written by export-rows')
      .option('--answer-rows <file>', 'with --embeddings: W_U[y+], W_U[y-] of a causal LM (for φ)')
      .addOption(
        new Option(
          '--matrix-storage <storage>',
          'with --embeddings: float16 halves the memory (auto: for float16 shards, or above 8 GiB of float32)',
        )
          .choices(['auto', 'float32', 'float16'])
          .default('auto'),
      )
      .option('--model <id|path>', 'Hugging Face model id or local model folder (default: bundled)')
      .option(
        '--allow-download',
        'allow downloading a Hugging Face model or an hf:// dataset split into the user cache',
      )
      .addOption(
        new Option('--device <device>', 'execution provider')
          .choices(settingChoices<string>('device'))
          .default(settingDefault<string>('device')),
      )
      .addOption(
        // The setting's 'auto' is the CLI's absent flag.
        new Option('--pooling <pooling>').choices(withoutAuto(settingChoices<string>('pooling'))),
      )
      .addOption(
        new Option(
          '--precision <precision>',
          `the bundled model's graph: exact (within 1% of fp32) or fast (dynamic int8; default ${settingDefault<string>('precision')})`,
        ).choices(settingChoices<string>('precision')),
      )
      .option(
        '--no-chat-template',
        "causal LMs: embed the plain texts, not through the tokenizer's chat template",
      )
      .option('--batch-size <n>', 'embedding batch size (1-4096)', parseIntInRange(1, 4096))
      .option('--threads <n>', 'inference threads (1-1024)', parseIntInRange(1, 1024))
      .option(
        '--analysis-threads <n>',
        'worker threads for the statistics and simulations (1-256; default: CPU count, at most 8)',
        parseIntInRange(1, 256),
      )
      .option('--no-cache', 'do not read or write the embedding cache')
      .option('--cache-dir <dir>', 'embedding cache folder (default: user cache folder)'),
  )
    .addOption(
      // The setting's 'auto' is the CLI's absent flag; 'custom' (the flags alone) is the CLI's own.
      new Option(
        '--preset <preset>',
        "simulation preset (default: reference with a causal LM's real head, fast-preview with a zero head)",
      ).choices([...withoutAuto(settingChoices<string>('simulation.preset')), 'custom']),
    )
    .option('--steps <n>', 'simulated DPO steps (0-1000000)', parseIntInRange(0, 1_000_000))
    .option('--lr <x>', 'learning rate', parsePositiveNumber)
    .option('--beta <x>', 'DPO beta', parsePositiveNumber)
    .addOption(
      new Option(
        '--loss <loss>',
        `DPO-family loss of the simulation, as TRL's loss_type (default: ${settingDefault<string>('simulation.loss')})`,
      ).choices(settingChoices<string>('simulation.loss')),
    )
    .option(
      '--label-smoothing <eps>',
      `label smoothing of the sigmoid and robust losses (0 <= eps < 0.5, default ${settingDefault<number>('simulation.labelSmoothing')})`,
      parseLabelSmoothing,
    )
    .option('--batch <n|full>', 'batch size, or "full" for full-batch gradient descent', parseBatch)
    .option('--test-fraction <x>', 'held-out fraction (0 <= x < 1)', parseFraction)
    .option('--seed <n>', 'random seed (0-4294967295)', parseIntInRange(0, 0xffffffff))
    .option(
      '--priority-threshold <x>',
      'warn when a priority level is below this fraction of the median level (>= 0, default 0.5)',
      parseNonNegativeNumber,
    )
    .option(
      '--distinguishability-threshold <x>',
      'warn when distinguishability is below this fraction of the median (>= 0, default 0.5)',
      parseNonNegativeNumber,
    )
    .option(
      '--significance <p>',
      'adjusted permutation p-value at or above which a behavior is indistinguishable (default 0.05)',
      parseFraction,
    )
    .option(
      '--flag-stability <x>',
      'deprioritized flags holding in fewer bootstrap replicates than this fraction are borderline (default 0.9)',
      parseFraction,
    )
    .option(
      '--max-suspects <n|all>',
      'label hints listed per behavior (all: every flagged example)',
      parseMaxSuspects,
      settingDefault<number>('maxLabelErrorHints'),
    )
    .option(
      '--label-hint-cutoff <p>',
      'flag an example when the out-of-sample probability of its label is below p (default 0.17)',
      parseFraction,
    )
    .option('--aligned-model <id|path>', 'aligned checkpoint of --model for two-model misalignment')
    .option(
      '--discover-behaviors <k|auto|off|unlabeled>',
      'cluster the prompts and analyze the clusters as behaviors: unlabeled (default: when the input names none), auto (always; k by silhouette in 2..12), a number k, or off',
      parseDiscoverBehaviors,
    )
    .option('--no-rebalance', 'skip the rebalancing suggestion and its simulated joint run')
    .option(
      '--rebalance-out <path>',
      'write the rebalanced dataset: a folder (one file per source, keeps persona behavior names) or one .jsonl',
    )
    .option(
      '--rebalance-tolerance <x>',
      `largest simulated test-accuracy loss a rebalancing may cost any behavior (default ${settingDefault<number>('rebalanceTolerance')})`,
      parseFraction,
    )
    .addOption(
      new Option(
        '--mc-mode <mode>',
        "lettered multiple-choice evals: option-text (a pair of option texts per question), answer-token (the paper's: the prompt labeled by its answer letter), auto (option-text for sentence-embedding models, answer-token for causal LMs)",
      )
        .choices(settingChoices<string>('multipleChoiceMode'))
        .default(settingDefault<string>('multipleChoiceMode')),
    )
    .option(
      '--near-identical-cosine <x>',
      'pair check: sides of a pair at or above this cosine are near-identical (0-1)',
      parseUnitInterval,
      settingDefault<number>('checks.nearIdenticalCosine'),
    )
    .option(
      '--length-bias-fraction <x>',
      'pair check: length bias when chosen is longer in at least this fraction of the pairs, or at most 1 - it (0.5-1)',
      parseUnitInterval,
      settingDefault<number>('checks.lengthBiasFraction'),
    )
    .option(
      '--length-bias-correlation <r>',
      'pair check: length bias when |correlation of length difference with label| is at least r (0-1)',
      parseUnitInterval,
      settingDefault<number>('checks.lengthBiasCorrelation'),
    )
    .option('--json <file>', 'write the JSON report')
    .option('--markdown <file>', 'write a Markdown report')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--save-embeddings <dir>', 'write embeddings.npy and rows.jsonl')
    .addOption(
      new Option(
        '--fail-on <level|kinds>',
        `CI gate, exit 1 on: none, warning (deprioritized, indistinguishable, low distinguishability, mixed schemas, malformed lines, identical pairs), error (malformed lines), or a comma list of ${GATE_KINDS.join(', ')}`,
      )
        .argParser(parseFailOn)
        .default([], 'none'),
    )
    .option('--no-progress', 'no progress bar (progress lines instead)')
    .option('--verbose', 'device details and stack traces')
    .action(async (paths: string[], opts: CliOptions) => {
      if (paths.length === 0 && !opts.embeddings) {
        process.stderr.write(
          'preference-lens: missing required argument: paths (or --embeddings)\n',
        );
        process.exitCode = EXIT.usage;
        return;
      }
      const conflict = lossConflict(opts) ?? precisionConflict(opts);
      if (conflict) {
        process.stderr.write(`preference-lens: ${conflict}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await runAnalyze(paths, opts);
    });
  addCheckCommand(program);
  program.addCommand(exportRowsCommand());
  return program;
};

/** Runs the command line; sets process.exitCode (README: Exit codes). */
export const main = (argv: string[] = process.argv): Promise<void> =>
  buildProgram()
    .parseAsync(argv)
    .then(() => undefined)
    .catch((error: unknown) => {
      // --help and --version end with a CommanderError of exit code 0; help without a command
      // has been printed already.
      if (error instanceof CommanderError && error.exitCode === 0) {
        process.exitCode = EXIT.ok;
        return;
      }
      if (!(error instanceof CommanderError && error.code === 'commander.help'))
        err(`preference-lens: ${terminalLine(commanderMessage(error))}\n`);
      process.exitCode = error instanceof CommanderError ? EXIT.usage : exitCodeFor(error);
    });

/** Commander's "error: …" messages, as one line without its prefix. */
const commanderMessage = (error: unknown): string =>
  error instanceof CommanderError
    ? error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')
    : usageErrorMessage(error);
