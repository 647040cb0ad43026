import { Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../core/pipeline.js';
import { renderMarkdown } from '../core/report/markdown.js';
import { renderHtml, loadReportAssets } from '../core/report/html.js';
import { buildScatter } from '../core/report/scatter.js';
import { writeEmbeddingsNpy, writeRebalancedJsonl } from '../core/io/index.js';
import type { Report } from '../core/report/types.js';
import { createProgressReporter } from './progress.js';
import { formatSummary } from './summary.js';
import {
  type CliOptions,
  parseBatch,
  parseFieldMapping,
  parseFraction,
  parseNonNegativeInt,
  parsePositiveInt,
  parsePositiveNumber,
  toAnalyzeOptions,
} from './options.js';
import { usageErrorMessage } from './errors.js';
import { exportRowsCommand } from './export-rows.js';
import { analyzePrecomputed } from '../core/precomputed-run.js';

declare const PACKAGE_VERSION: string | undefined;

/** Exit codes a pipeline can rely on. */
export const EXIT = { ok: 0, gate: 1, usage: 2, interrupted: 130 } as const;

const distDir = (): string => path.resolve(__dirname);

const writeOutputs = async (
  opts: CliOptions,
  result: Awaited<ReturnType<typeof analyze>>,
): Promise<string[]> => {
  const written: string[] = [];
  const ensureParent = (file: string) =>
    mkdir(path.dirname(path.resolve(file)), { recursive: true });
  if (opts.json) {
    await ensureParent(opts.json);
    await writeFile(opts.json, JSON.stringify(result.report, null, 2) + '\n');
    written.push(opts.json);
  }
  if (opts.markdown) {
    await ensureParent(opts.markdown);
    await writeFile(opts.markdown, renderMarkdown(result.report));
    written.push(opts.markdown);
  }
  if (opts.html) {
    await ensureParent(opts.html);
    const scatter = buildScatter(result.examples, result.embeddings, result.report);
    const assets = await loadReportAssets(distDir());
    await writeFile(opts.html, renderHtml({ report: result.report, scatter }, assets));
    written.push(opts.html);
  }
  if (opts.saveEmbeddings) {
    await writeEmbeddingsNpy(opts.saveEmbeddings, result.embeddings, result.examples);
    written.push(path.join(opts.saveEmbeddings, 'embeddings.npy'));
  }
  if (opts.rebalanceOut && result.report.rebalancing) {
    await ensureParent(opts.rebalanceOut);
    await writeRebalancedJsonl(opts.rebalanceOut, result.files, result.report.rebalancing.weights);
    written.push(opts.rebalanceOut);
  }
  return written;
};

const gateFails = (report: Report, failOn: CliOptions['failOn']): boolean => {
  if (failOn === 'none') return false;
  const warnings = report.behaviors.some((b) =>
    b.warnings.some((w) => w.kind !== 'possible-label-error'),
  );
  if (failOn === 'warning') return warnings || report.skipped.total > 0;
  return report.skipped.total > 0;
};

/** `analyze --embeddings DIR --rows FILE`: vectors from an outside job, no model run here. */
const runPrecomputed = (
  inputs: string[],
  opts: CliOptions,
  signal: AbortSignal,
  onProgress: Parameters<typeof analyze>[3],
) => {
  if (!opts.rows) throw new Error('--embeddings needs --rows (the file export-rows wrote)');
  if (inputs.length > 0)
    throw new Error('with --embeddings the rows file stands for the datasets: give no paths');
  const { read: _read, embed: _embed, alignedModel: _aligned, ...rest } = toAnalyzeOptions(opts);
  return analyzePrecomputed(
    { rows: opts.rows, embeddings: opts.embeddings!, answerRows: opts.answerRows },
    rest,
    signal,
    onProgress,
  );
};

const runAnalyze = async (inputs: string[], opts: CliOptions): Promise<number> => {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    // The first Ctrl-C lets in-flight cache writes finish (they are atomic); a second one quits.
    if (interrupts > 1) process.exit(EXIT.interrupted);
    process.stderr.write('\nInterrupted: finishing the current batch, then stopping…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = createProgressReporter(opts.progress && Boolean(process.stderr.isTTY));
  try {
    const result = opts.embeddings
      ? await runPrecomputed(inputs, opts, controller.signal, progress.update)
      : await analyze(inputs, toAnalyzeOptions(opts), controller.signal, progress.update);
    progress.stop();
    process.stdout.write(formatSummary(result.report));
    const written = await writeOutputs(opts, result);
    for (const file of written) process.stderr.write(`wrote ${file}\n`);
    if (gateFails(result.report, opts.failOn)) {
      process.stderr.write(`preference-lens: failing because of --fail-on ${opts.failOn}\n`);
      return EXIT.gate;
    }
    return EXIT.ok;
  } catch (error) {
    progress.stop();
    if (controller.signal.aborted) {
      process.stderr.write('preference-lens: interrupted; the embedding cache is consistent.\n');
      return EXIT.interrupted;
    }
    process.stderr.write(`preference-lens: ${usageErrorMessage(error)}\n`);
    if (process.env.PREFERENCE_LENS_DEBUG && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    return EXIT.usage;
  } finally {
    process.off('SIGINT', onSigint);
  }
};

export const buildProgram = (): Command => {
  const program = new Command('preference-lens')
    .description(
      'Audit a preference dataset before DPO: distinguishability, priority levels, simulated head training.',
    )
    .version(typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0.0.0-dev');

  program
    .command('analyze')
    .description('Embed and analyze JSONL files or folders of JSONL files (one mixture).')
    .argument('[paths...]', 'JSONL files or folders (none with --embeddings)')
    .option(
      '--embeddings <dir>',
      'precomputed embedding shards (Parquet or NPY) instead of a model',
    )
    .option('--rows <file>', 'with --embeddings: the rows file written by export-rows')
    .option('--answer-rows <file>', 'with --embeddings: W_U[y+], W_U[y-] of a causal LM (for φ)')
    .option('--model <id|path>', 'Hugging Face model id or local model folder (default: bundled)')
    .option('--allow-download', 'allow downloading a Hugging Face model into the user cache')
    .addOption(
      new Option('--device <device>', 'execution provider')
        .choices(['auto', 'cpu', 'cuda', 'dml', 'coreml'])
        .default('auto'),
    )
    .addOption(new Option('--pooling <pooling>').choices(['mean', 'cls', 'last-token']))
    .option('--batch-size <n>', 'embedding batch size', parsePositiveInt)
    .option('--threads <n>', 'inference threads', parsePositiveInt)
    .option(
      '--analysis-threads <n>',
      'worker threads for the statistics and simulations (default: CPU count, at most 8)',
      parsePositiveInt,
    )
    .option('--no-cache', 'do not read or write the embedding cache')
    .option('--cache-dir <dir>', 'embedding cache folder (default: user cache folder)')
    .addOption(
      new Option('--schema <schema>', 'force a schema instead of auto-detection').choices([
        'evals',
        'pairwise',
        'hh-rlhf',
      ]),
    )
    .option('--behavior-field <name>', 'behavior/category field of pairwise data')
    .option(
      '--field <key=name>',
      'field mapping override, e.g. prompt=instruction (repeatable)',
      parseFieldMapping,
      {},
    )
    .addOption(
      new Option('--preset <preset>', 'simulation preset')
        .choices(['reference', 'fast-preview', 'custom'])
        .default('fast-preview'),
    )
    .option('--steps <n>', 'simulated DPO steps', parseNonNegativeInt)
    .option('--lr <x>', 'learning rate', parsePositiveNumber)
    .option('--beta <x>', 'DPO beta', parsePositiveNumber)
    .option('--batch <n|full>', 'batch size, or "full" for full-batch gradient descent', parseBatch)
    .option('--test-fraction <x>', 'held-out fraction', parseFraction)
    .option('--seed <n>', 'random seed', parseNonNegativeInt)
    .option(
      '--priority-threshold <x>',
      'warn when a priority level is below this fraction of the median level (default 0.5)',
      Number,
    )
    .option(
      '--distinguishability-threshold <x>',
      'warn when distinguishability is below this fraction of the median (default 0.5)',
      Number,
    )
    .option(
      '--max-suspects <n>',
      'possible label errors kept per behavior',
      parseNonNegativeInt,
      20,
    )
    .option('--aligned-model <id|path>', 'aligned checkpoint of --model for two-model misalignment')
    .option('--no-rebalance', 'skip the rebalancing suggestion and its simulated joint run')
    .option(
      '--rebalance-out <path>',
      'write the rebalanced dataset: a folder (one file per source, keeps persona behavior names) or one .jsonl',
    )
    .option('--json <file>', 'write the JSON report')
    .option('--markdown <file>', 'write a Markdown report')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--save-embeddings <dir>', 'write embeddings.npy and rows.jsonl')
    .addOption(
      new Option('--fail-on <level>', 'exit 1 on warnings or skipped lines (CI gate)')
        .choices(['none', 'warning', 'error'])
        .default('none'),
    )
    .option('--no-progress', 'no progress bar')
    .action(async (paths: string[], opts: CliOptions) => {
      if (paths.length === 0 && !opts.embeddings) {
        process.stderr.write(
          'preference-lens: missing required argument: paths (or --embeddings)\n',
        );
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await runAnalyze(paths, opts);
    });
  program.addCommand(exportRowsCommand());
  return program;
};

export const main = (argv: string[] = process.argv): Promise<void> =>
  buildProgram()
    .parseAsync(argv)
    .then(() => undefined)
    .catch((error: unknown) => {
      process.stderr.write(`preference-lens: ${usageErrorMessage(error)}\n`);
      process.exitCode = EXIT.usage;
    });
