import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { env, ModelRegistry } from '@huggingface/transformers';
import { HF_ID, hasOnnx, localFolder } from './model-folder.js';

export interface ModelFolder {
  /** ModelInfo.id: the Hugging Face id, the local folder, or the bundled model's name. */
  id: string;
  dir: string;
}

/** transformers.js reads the hub only when this embedder was allowed to download. */
const setHubAccess = (allowDownload: boolean, downloadDir: string): void => {
  env.allowLocalModels = true;
  env.allowRemoteModels = allowDownload;
  env.useFSCache = allowDownload;
  env.cacheDir = downloadDir;
};

const download = async (id: string, dest: string): Promise<void> => {
  const dtypes = await ModelRegistry.get_available_dtypes(id);
  // Float first: a causal LM's head rows are only readable unquantized, and fp32 is the reference.
  const dtype = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'].find((d) => dtypes.includes(d));
  if (!dtype) throw new Error(`The Hugging Face model ${id} has no ONNX export (onnx/*.onnx).`);
  const files = await ModelRegistry.get_files(id, { dtype: dtype as 'fp32' });
  for (const file of ['config.json', ...files]) {
    const target = join(dest, file);
    if (existsSync(target)) continue;
    const url =
      env.remoteHost.replace(/\/$/, '') +
      '/' +
      env.remotePathTemplate.replaceAll('{model}', id).replaceAll('{revision}', 'main') +
      file;
    const response = await env.fetch(url);
    if (!response.ok || !response.body)
      throw new Error(`Downloading ${file} of ${id} failed: HTTP ${response.status}.`);
    mkdirSync(dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    try {
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
        createWriteStream(partial),
      );
      renameSync(partial, target);
    } finally {
      rmSync(partial, { force: true });
    }
  }
};

/**
 * The model folder to load: the bundled model, a local folder, or a Hugging Face id from the
 * download cache. The network is touched only to fill that cache, and only with allowDownload.
 */
export const resolveModelFolder = async (
  model: string | undefined,
  bundledDir: string,
  allowDownload: boolean,
  downloadDir: string,
): Promise<ModelFolder> => {
  setHubAccess(allowDownload, downloadDir);
  if (model === undefined || model === '')
    return { id: 'all-MiniLM-L6-v2 (bundled)', dir: resolve(bundledDir) };
  const local = localFolder(model);
  if (local) return { id: model, dir: local };
  if (isAbsolute(model) || model.startsWith('.') || !HF_ID.test(model)) {
    throw new Error(`The model folder ${resolve(model)} does not exist.`);
  }
  const cached = join(downloadDir, model);
  if (existsSync(join(cached, 'config.json')) && hasOnnx(cached)) return { id: model, dir: cached };
  if (!allowDownload) {
    throw new Error(
      `The model "${model}" is neither a local folder nor in the download cache (${cached}), and ` +
        'downloading is off. Allow it (CLI --allow-download, setting preferenceLens.allowDownload, ' +
        'or EmbedderOptions.allowDownload) or give the path of a local model folder.',
    );
  }
  await download(model, cached);
  return { id: model, dir: cached };
};
