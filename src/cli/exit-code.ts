import { CommanderError } from 'commander';
import { DatasetInputError, DatasetSchemaError } from '../core/dataset/errors.js';
import { ModelLoadError } from '../core/embed/model-load-error.js';
import { PrecomputedInputError } from '../core/embed/precomputed-error.js';
import { UsageError } from './errors.js';

/**
 * The exit code of a failed run: 2 when the command line or its input cannot be used as given
 * (fix the command or the data), 3 when the run itself failed (a crashed embedding process, a
 * full disk, a bug): README, Exit codes.
 */
export const exitCodeFor = (error: unknown): 2 | 3 =>
  error instanceof UsageError ||
  error instanceof CommanderError ||
  error instanceof DatasetInputError ||
  error instanceof DatasetSchemaError ||
  error instanceof ModelLoadError ||
  error instanceof PrecomputedInputError
    ? 2
    : 3;
