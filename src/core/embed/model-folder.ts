import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

// Which folder a model name stands for, when that is known from the disk alone (no download, no
// transformers.js): the parent process reads it to find a model's record before any child starts.

export const HF_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** A local folder as given, or undefined when `model` names none. */
export const localFolder = (model: string): string | undefined => {
  const path = resolve(model);
  if (existsSync(path) && statSync(path).isDirectory()) return path;
  return undefined;
};

export const hasOnnx = (dir: string): boolean =>
  ['onnx/model.onnx', 'onnx/model_quantized.onnx', 'model.onnx', 'onnx/model_fp16.onnx'].some((f) =>
    existsSync(join(dir, f)),
  );

/** The download cache's folder of a Hugging Face id, when it is complete. */
export const downloadedFolder = (model: string, downloadDir: string): string | undefined => {
  if (isAbsolute(model) || model.startsWith('.') || !HF_ID.test(model)) return undefined;
  const cached = join(downloadDir, model);
  return existsSync(join(cached, 'config.json')) && hasOnnx(cached) ? cached : undefined;
};

/**
 * The folder resolveModelFolder (model-source.ts) loads, when it is already on disk: the bundled
 * model, a local folder, or a downloaded Hugging Face id. Undefined when it would need a download
 * or does not exist.
 */
export const knownModelFolder = (
  model: string | undefined,
  bundledDir: string,
  downloadDir: string,
): string | undefined => {
  if (model === undefined || model === '') return resolve(bundledDir);
  return localFolder(model) ?? downloadedFolder(model, downloadDir);
};
