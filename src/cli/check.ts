import { Command, Option } from 'commander';
import path from 'node:path';
import { checkDatasets, type CheckReport } from '../core/check.js';
import type { SchemaName } from '../core/dataset/types.js';
import { formatPosition } from '../core/dataset/position.js';
import { usageErrorMessage } from './errors.js';
import { addReadOptions } from './read-options.js';

/** The codes `analyze` uses too: 0 ok, 1 the gate failed (lines skipped), 2 usage/unusable input. */
const CHECK_EXIT = { ok: 0, gate: 1, usage: 2 } as const;

interface CheckOptions {
  schema?: SchemaName;
  behaviorField?: string;
  field: Record<string, string>;
  failOn: 'none' | 'error';
  allowDownload?: boolean;
}

/** C0 and C1 control characters, DEL included. */
// eslint-disable-next-line no-control-regex -- these are exactly the characters to escape
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Data reach the terminal inside messages (answers, behavior names): control characters are
 * shown escaped, so that a line cannot move the cursor or retitle the terminal.
 */
const printable = (text: string): string =>
  text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** A path as short as it can be shown unambiguously: relative when under the working folder. */
const shownPath = (file: string): string => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
};

/** The skipped lines, one `file:line:column: reason: message` each, then a summary. */
export const formatCheck = (report: CheckReport, failOn: CheckOptions['failOn']): string => {
  const lines: string[] = [];
  for (const s of report.skipped.lines) {
    lines.push(
      printable(
        `${formatPosition(shownPath(s.file), s.line, s.column)}: ${s.reason}: ${s.message}`,
      ),
    );
  }
  if (lines.length > 0) lines.push('');
  const total = report.files.reduce(
    (t, f) => ({ lines: t.lines + f.lines, records: t.records + f.records }),
    { lines: 0, records: 0 },
  );
  lines.push(
    `${report.files.length} file(s), ${total.lines} line(s): ${total.records} record(s) kept, ${report.skipped.total} skipped`,
  );
  for (const f of report.files) {
    const field = f.behaviorField ? `, behavior field "${f.behaviorField}"` : '';
    lines.push(
      printable(
        `  ${shownPath(f.file)}: ${f.schema}${field}; ${f.lines} lines, ${f.records} records, ${f.skipped} skipped, ${f.blank} blank`,
      ),
    );
  }
  const width = Math.min(60, Math.max(8, ...report.behaviors.map((b) => b.name.length)));
  lines.push('', `${'behavior'.padEnd(width)}  ${'rows +1'.padStart(7)}  ${'rows -1'.padStart(7)}`);
  for (const b of report.behaviors) {
    const name = b.name.length > width ? `${b.name.slice(0, width - 1)}…` : b.name;
    lines.push(
      printable(
        `${name.padEnd(width)}  ${String(b.positive).padStart(7)}  ${String(b.negative).padStart(7)}`,
      ),
    );
  }
  const reasons = Object.entries(report.skipped.byReason)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`);
  if (reasons.length > 0) lines.push('', `Skipped lines by reason: ${reasons.join(', ')}`);
  for (const e of report.excluded) {
    lines.push(printable(`Not analyzable: ${e.name}: ${e.reason}`));
  }
  const analyzable = report.behaviors.length - report.excluded.length;
  lines.push('');
  if (analyzable === 0) {
    lines.push('check: no behavior can be analyzed');
  } else if (report.skipped.total > 0) {
    const verdict = failOn === 'error' ? 'failed' : 'passed (--fail-on none)';
    lines.push(`check: ${verdict}: ${report.skipped.total} line(s) would be left out`);
  } else {
    lines.push('check: ok');
  }
  return lines.join('\n') + '\n';
};

export const exitCodeOf = (report: CheckReport, failOn: CheckOptions['failOn']): number => {
  if (report.behaviors.length - report.excluded.length === 0) return CHECK_EXIT.usage;
  if (failOn === 'error' && report.skipped.total > 0) return CHECK_EXIT.gate;
  return CHECK_EXIT.ok;
};

const runCheck = async (inputs: string[], opts: CheckOptions): Promise<number> => {
  try {
    const report = await checkDatasets(inputs, {
      schema: opts.schema,
      behaviorField: opts.behaviorField,
      fields: Object.keys(opts.field).length > 0 ? opts.field : undefined,
      hub: { allowDownload: opts.allowDownload ?? false },
    });
    process.stdout.write(formatCheck(report, opts.failOn));
    return exitCodeOf(report, opts.failOn);
  } catch (error) {
    process.stderr.write(`preference-lens: ${printable(usageErrorMessage(error))}\n`);
    if (process.env.PREFERENCE_LENS_DEBUG && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    return CHECK_EXIT.usage;
  }
};

/**
 * `preference-lens check FILES…`: the reader alone, for CI and pre-commit hooks. It reads the
 * files as `analyze` would and loads no model, no onnxruntime and no worker.
 */
export const addCheckCommand = (program: Command): Command =>
  addReadOptions(
    program
      .command('check')
      .description(
        'Validate dataset files (JSONL, JSON arrays, Parquet), folders or hf:// splits (schema and every record) without loading a model: prints each skipped record as file:line:column (Parquet: file row N): reason: message, then a summary.',
      )
      .argument('<paths...>', 'dataset files, folders or hf:// splits'),
  )
    .option('--allow-download', 'allow downloading an hf:// dataset split into the user cache')
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when lines are skipped (error) or never (none)')
        .choices(['none', 'error'])
        .default('error'),
    )
    .action(async (paths: string[], opts: CheckOptions) => {
      process.exitCode = await runCheck(paths, opts);
    });
