import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';

/**
 * A --model or --aligned-model written as a path (absolute, or starting with '.') must be a folder
 * now: the embedding process would say so only after the datasets are read.
 */
export const checkModelPaths = async (
  models: readonly { option: string; value: string | undefined }[],
): Promise<void> => {
  for (const { option, value } of models) {
    if (!value || !(path.isAbsolute(value) || value.startsWith('.'))) continue;
    const info = await stat(value).catch(() => undefined);
    if (!info) throw new UsageError(`${option} ${value}: no such model folder`);
    if (!info.isDirectory()) throw new UsageError(`${option} ${value}: is not a model folder`);
  }
};
