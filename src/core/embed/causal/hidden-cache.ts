import { createHash } from 'node:crypto';
import {
  constants,
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type ExposedModel,
  type ExposeOptions,
  exposeFinalHidden,
  externalLocations,
} from './expose.js';
import { assertHiddenAvailable, type CausalOnnxInspection } from './inspect.js';
import { asLoaded } from './onnx-proto.js';

const hashInto = (hash: ReturnType<typeof createHash>, path: string): Promise<void> =>
  new Promise((done, reject) => {
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => done());
  });

export const sha256File = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  await hashInto(hash, path);
  return hash.digest('hex');
};

/**
 * SHA-256 of an ONNX model including its external data files. With external data, model.onnx holds
 * only the graph: two checkpoints exported alike have the same model.onnx and differ only in
 * model.onnx_data, so a key over model.onnx alone would mix their embeddings up. A model without
 * external data gets exactly sha256File(onnxPath).
 */
export const sha256OnnxWithData = async (onnxPath: string): Promise<string> => {
  const locations = externalLocations(asLoaded(onnxPath));
  if (locations.length === 0) return sha256File(onnxPath);
  const hash = createHash('sha256');
  await hashInto(hash, onnxPath);
  for (const location of locations) {
    hash.update(`\0${location}\0`);
    await hashInto(hash, join(dirname(onnxPath), location));
  }
  return hash.digest('hex');
};

/** The target is the source (hard link), or a copy made after the source last changed. */
const upToDate = (source: string, target: string): boolean => {
  try {
    const s = statSync(source);
    const t = statSync(target);
    return (s.ino === t.ino && s.dev === t.dev) || (s.size === t.size && t.mtimeMs >= s.mtimeMs);
  } catch {
    return false;
  }
};

/**
 * Puts `source` at `target`: a hard link, or a copy (a reflink where the file system can) across
 * disks. Not a symbolic link: onnxruntime resolves those and refuses external data outside the
 * model's folder.
 */
const linkInto = (source: string, target: string): void => {
  if (upToDate(source, target)) return;
  rmSync(target, { force: true });
  mkdirSync(dirname(target), { recursive: true });
  try {
    linkSync(source, target);
  } catch {
    const partial = `${target}.${process.pid}.partial`;
    copyFileSync(source, partial, constants.COPYFILE_FICLONE);
    renameSync(partial, target);
  }
};

export interface PrepareOptions extends ExposeOptions {
  /** SHA-256 of the source file when the caller has it already (the embedding cache key needs it too). */
  sha256?: string;
}

interface CachedEntry {
  inspection: CausalOnnxInspection;
  externalLocations: string[];
}

/**
 * The hidden-state model for a causal-LM ONNX file, built once and kept in
 * `<cacheDir>/causal-hidden/<sha256>-<folder key>/`. External data files are linked next to it so
 * their relative locations still resolve; the source folder is part of the key so that two
 * checkpoints whose graph files are identical never share those links.
 */
export const prepareHiddenStateModel = async (
  onnxPath: string,
  cacheDir: string,
  options: PrepareOptions = {},
): Promise<ExposedModel & { sha256: string; cached: boolean }> => {
  const sha256 = options.sha256 ?? (await sha256File(onnxPath));
  const sourceDir = dirname(realpathSync(onnxPath));
  const folderKey = createHash('sha256').update(sourceDir).digest('hex').slice(0, 16);
  const variant = options.keepOriginalOutputs ? 'all-outputs' : 'hidden';
  const folder = join(cacheDir, 'causal-hidden', `${sha256}-${folderKey}`);
  const outPath = join(folder, `${variant}.onnx`);
  // Versioned: an inspection cached before quantized heads were read would hide their rows.
  const entryPath = join(folder, `${variant}.inspection-v2.json`);
  // A cache hit decodes neither the source model nor its weights: doing that for a multi-GB
  // export on every load would double the memory the session needs.
  if (existsSync(outPath) && existsSync(entryPath)) {
    const entry = JSON.parse(readFileSync(entryPath, 'utf8')) as CachedEntry;
    for (const location of entry.externalLocations)
      linkInto(join(sourceDir, location), join(folder, location));
    return {
      path: outPath,
      hiddenOutput: assertHiddenAvailable(onnxPath, entry.inspection),
      inspection: entry.inspection,
      sha256,
      cached: true,
    };
  }
  const loaded = asLoaded(onnxPath);
  const locations = externalLocations(loaded);
  for (const location of locations) linkInto(join(sourceDir, location), join(folder, location));
  const exposed = exposeFinalHidden(loaded, outPath, options);
  const entry: CachedEntry = { inspection: exposed.inspection, externalLocations: locations };
  writeFileSync(entryPath, JSON.stringify(entry));
  return { ...exposed, sha256, cached: false };
};
