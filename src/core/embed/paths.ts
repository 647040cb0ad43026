import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The folder name of the model shipped in the repository (and the VSIX) under models/. */
export const BUNDLED_MODEL_NAME = 'all-MiniLM-L6-v2';

let bundledOverride: string | undefined;

/**
 * Points the bundled model at a folder the caller knows, e.g. the extension's
 * `context.extensionPath/models/all-MiniLM-L6-v2`; `undefined` restores the search.
 * The environment variable PREFERENCE_LENS_MODEL_DIR does the same without code.
 */
export const setBundledModelDir = (dir: string | undefined): void => {
  bundledOverride = dir === undefined ? undefined : resolve(dir);
};

/**
 * The bundled model folder. Searched upwards from this file's folder, so it is found from the
 * TypeScript sources (src/core/embed), from the esbuild bundles (dist/) and from an installed
 * VSIX (extension/dist), which all sit below the folder that holds models/.
 */
export const bundledModelDir = (): string => {
  const fromEnv = process.env.PREFERENCE_LENS_MODEL_DIR;
  if (bundledOverride) return bundledOverride;
  if (fromEnv) return resolve(fromEnv);
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'models', BUNDLED_MODEL_NAME);
    if (existsSync(join(candidate, 'config.json'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `The bundled model models/${BUNDLED_MODEL_NAME} was not found above ${__dirname}. ` +
      'Set PREFERENCE_LENS_MODEL_DIR (or call setBundledModelDir) to its folder.',
  );
};

/** ~/.cache/preference-lens, or $XDG_CACHE_HOME/preference-lens (LOCALAPPDATA on Windows). */
export const userCacheRoot = (): string => {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg) return join(xdg, 'preference-lens');
  if (process.platform === 'win32' && process.env.LOCALAPPDATA)
    return join(process.env.LOCALAPPDATA, 'preference-lens', 'cache');
  return join(homedir(), '.cache', 'preference-lens');
};

export const defaultEmbeddingCacheDir = (): string => join(userCacheRoot(), 'embeddings');

/** Where Hub datasets are kept (hf:// inputs), one folder per id, config and split. */
export const defaultDatasetCacheDir = (): string => join(userCacheRoot(), 'datasets');

/** Where models downloaded from Hugging Face are kept, one folder per model id. */
export const defaultModelDownloadDir = (): string => join(userCacheRoot(), 'models');
