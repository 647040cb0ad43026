import { Command, Option } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../core/pipeline.js';
import { renderMarkdown } from '../core/report/markdown.js';
import { renderHtml, loadReportAssets } from '../core/report/html.js';
import { buildSidecar } from '../core/report/sidecar.js';
import { writeEmbeddingsNpy, writeRebalancedJsonl } from '../core/io/index.js';
import { createProgressReporter } from './progress.js';
import { formatSummary } from './summary.js';
import {
  type CliOptions,
  parseBatch,
  parseFieldMapping,
  parseFraction,
  parseMaxSuspects,
  parseNonNegativeInt,
  parsePositiveInt,
  parsePositiveNumber,
  toAnalyzeOptions,
} from './options.js';
import { usageErrorMessage } from './errors.js';
import { addCheckCommand } from './check.js';
import { GATE_KINDS, gateFindings, parseFailOn } from './gate.js';
import { exportRowsCommand } from './export-rows.js';
import { analyzePrecomputed } from '../core/precomputed-run.js';

declare const PACKAGE_VERSION: string | undefined;

/** Exit codes a pipeline can rely on. */
export const EXIT = { ok: 0, gate: 1, usage: 2, interrupted: 130 } as const;

const distDir = (): string => path.resolve(__dirname);

/** report.json → report.rows.json (the sidecar documented in the README). */
export const sidecarPath = (jsonFile: string): string =>
  jsonFile.replace(/(\.json)?$/i, '.rows.json');

const writeOutputs = async (
  opts: CliOptions,
  result: Awaited<ReturnType<typeof analyze>>,
): Promise<string[]> => {
  const written: string[] = [];
  const ensureParent = (file: string) =>
    mkdir(path.dirname(path.resolve(file)), { recursive: true });
  // The per-row sidecar (map positions), once for the JSON and the HTML report.
  const sidecar =
    opts.json || opts.html
      ? await buildSidecar(result.examples, result.embeddings, result.report)
      : null;
  if (opts.json) {
    await ensureParent(opts.json);
    await writeFile(opts.json, JSON.stringify(result.report, null, 2) + '\n');
    written.push(opts.json);
    if (sidecar) {
      const rowsFile = sidecarPath(opts.json);
      await writeFile(rowsFile, JSON.stringify(sidecar) + '\n');
      written.push(rowsFile);
    }
  }
  if (opts.markdown) {
    await ensureParent(opts.markdown);
    await writeFile(opts.markdown, renderMarkdown(result.report));
    written.push(opts.markdown);
  }
  if (opts.html) {
    await ensureParent(opts.html);
    const assets = await loadReportAssets(distDir());
    await writeFile(opts.html, renderHtml({ report: result.report, sidecar }, assets));
    written.push(opts.html);
  }
  if (opts.saveEmbeddings) {
    await writeEmbeddingsNpy(opts.saveEmbeddings, result.embeddings, result.examples);
    written.push(path.join(opts.saveEmbeddings, 'embeddings.npy'));
  }
  const rb = result.report.rebalancing;
  if (opts.rebalanceOut && rb && rb.suggested === false) {
    process.stderr.write(
      `not writing ${opts.rebalanceOut}: ${rb.note ?? 'no rebalancing suggested'}\n`,
    );
  } else if (opts.rebalanceOut && rb) {
    await ensureParent(opts.rebalanceOut);
    await writeRebalancedJsonl(opts.rebalanceOut, result.files, rb.weights);
    written.push(opts.rebalanceOut);
  }
  return written;
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
    const findings = gateFindings(result.report, opts.failOn);
    if (findings.length > 0) {
      process.stderr.write(
        `preference-lens: failing because of --fail-on ${opts.failOn.join(',')}: ${findings.join('; ')}\n`,
      );
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
      '--significance <p>',
      'adjusted permutation p-value at or above which a behavior is indistinguishable (default 0.05)',
      Number,
    )
    .option(
      '--flag-stability <x>',
      'deprioritized flags holding in fewer bootstrap replicates than this fraction are borderline (default 0.9)',
      Number,
    )
    .option(
      '--max-suspects <n|all>',
      'label hints listed per behavior (all: every flagged example)',
      parseMaxSuspects,
      20,
    )
    .option(
      '--label-hint-cutoff <p>',
      'flag an example when the out-of-sample probability of its label is below p (default 0.17)',
      parseFraction,
    )
    .option('--aligned-model <id|path>', 'aligned checkpoint of --model for two-model misalignment')
    .option('--no-rebalance', 'skip the rebalancing suggestion and its simulated joint run')
    .option(
      '--rebalance-out <path>',
      'write the rebalanced dataset: a folder (one file per source, keeps persona behavior names) or one .jsonl',
    )
    .option(
      '--rebalance-tolerance <x>',
      'largest simulated test-accuracy loss a rebalancing may cost any behavior (default 0.02)',
      parseFraction,
    )
    .option('--json <file>', 'write the JSON report')
    .option('--markdown <file>', 'write a Markdown report')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--save-embeddings <dir>', 'write embeddings.npy and rows.jsonl')
    .addOption(
      new Option(
        '--fail-on <level|kinds>',
        `CI gate, exit 1 on: none, warning (deprioritized, indistinguishable, low distinguishability, mixed schemas, malformed lines), error (malformed lines), or a comma list of ${GATE_KINDS.join(', ')}`,
      )
        .argParser(parseFailOn)
        .default([], 'none'),
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
  addCheckCommand(program);
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
