import { type Command, Option } from 'commander';
import { parseFieldMapping } from './options.js';
import { settingChoices, withoutAuto } from '../shared/settings-manifest.js';

/**
 * The reader's options, shared by every command that reads datasets (analyze, check,
 * export-rows): the same schema override, behavior field and field mapping everywhere.
 */
export const addReadOptions = (command: Command): Command =>
  command
    .addOption(
      // The setting's 'auto' (detection) is the CLI's absent flag.
      new Option('--schema <schema>', 'force a schema instead of auto-detection').choices(
        withoutAuto(settingChoices<string>('schema')),
      ),
    )
    .option('--behavior-field <name>', 'behavior/category field of pairwise data')
    .option(
      '--field <key=name>',
      'field mapping override, e.g. prompt=instruction (repeatable)',
      parseFieldMapping,
      {},
    );
