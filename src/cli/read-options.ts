import { type Command, Option } from 'commander';
import { parseFieldMapping } from './options.js';

/**
 * The reader's options, shared by every command that reads datasets (analyze, check,
 * export-rows): the same schema override, behavior field and field mapping everywhere.
 */
export const addReadOptions = (command: Command): Command =>
  command
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
    );
