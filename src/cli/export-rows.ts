import { Command, Option } from 'commander';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DatasetInputError, readDatasets } from '../core/dataset/index.js';
import { writeRowsParquet } from '../core/io/parquet-rows.js';
import { formatPosition } from '../core/dataset/position.js';
import { usageErrorMessage } from './errors.js';
import { addReadOptions } from './read-options.js';
import { settingChoices, withoutAuto } from '../shared/settings-manifest.js';

interface ExportRowsOptions {
  out: string;
  schema?: 'evals' | 'pairwise' | 'hh-rlhf';
  behaviorField?: string;
  field: Record<string, string>;
  allowDownload?: boolean;
  mcMode?: 'answer-token' | 'option-text';
}

/**
 * `export-rows`: the rows the analysis would embed, as Parquet, for an embedding job elsewhere.
 * The reader (schema detection, skipped lines) is the one `analyze` uses.
 */
export async function runExportRows(inputs: string[], opts: ExportRowsOptions): Promise<number> {
  try {
    const read = {
      ...(opts.schema ? { schema: opts.schema } : {}),
      ...(opts.behaviorField ? { behaviorField: opts.behaviorField } : {}),
      ...(Object.keys(opts.field).length > 0 ? { fields: opts.field } : {}),
      ...(opts.mcMode === 'option-text' ? { multipleChoice: 'option-text' as const } : {}),
    };
    const files = await readDatasets(inputs, {
      ...read,
      hub: { allowDownload: opts.allowDownload ?? false },
    });
    const rows = files.reduce((n, f) => n + f.examples.length, 0);
    const skipped = files.reduce((n, f) => n + f.skipped.length, 0);
    if (rows === 0) throw new DatasetInputError(inputs.join(', '), 'no usable rows');
    await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
    await writeRowsParquet(opts.out, files, read);
    for (const s of files.flatMap((f) => f.skipped).slice(0, 20)) {
      process.stderr.write(
        `skipped ${formatPosition(s.file, s.line, s.column)} ${s.reason}: ${s.message}\n`,
      );
    }
    process.stdout.write(
      `${rows} rows from ${files.length} file(s), ${skipped} line(s) skipped\nwrote ${opts.out}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`preference-lens: ${usageErrorMessage(error)}\n`);
    return 2;
  }
}

export const exportRowsCommand = (): Command =>
  addReadOptions(
    new Command('export-rows')
      .description(
        'Write the rows the analysis would embed (row_id, text, behavior, label, pair, file, line) as Parquet, for an embedding job elsewhere.',
      )
      .argument(
        '<paths...>',
        'dataset files (JSONL, JSON arrays, Parquet), folders or hf:// splits',
      )
      .requiredOption('--out <file>', 'the Parquet file to write, e.g. rows.parquet')
      .option('--allow-download', 'allow downloading an hf:// dataset split into the user cache')
      .addOption(
        new Option(
          '--mc-mode <mode>',
          "lettered multiple-choice evals: answer-token (one row, the paper's) or option-text (a pair of option texts, what analyze uses for a sentence-embedding model)",
        )
          // The modes the setting declares, less 'auto' (which picks by the model; there is none here).
          .choices(withoutAuto(settingChoices<string>('multipleChoiceMode')))
          .default('answer-token'),
      ),
  ).action(async (paths: string[], opts: ExportRowsOptions) => {
    process.exitCode = await runExportRows(paths, opts);
  });
