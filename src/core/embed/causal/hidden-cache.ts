import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  cachedHash,
  type FileStamp,
  fileStamp,
  readRecord,
  recordKey,
  sameStamps,
  writeRecord,
} from '../fingerprint.js';
import {
  type ExposedModel,
  type ExposeOptions,
  exposeFinalHidden,
  externalLocations,
} from './expose.js';
import { assertHiddenAvailable, type CausalOnnxInspection, inspectCausalOnnx } from './inspect.js';
import {
  asLoaded,
  encodeModel,
  type LoadedOnnx,
  loadOnnx,
  referenceSourceWeights,
} from './onnx-proto.js';

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
export const sha256OnnxWithData = async (onnxPath: string): Promise<string> =>
  (await sha256OnnxFiles(onnxPath)).sha256;

/** sha256OnnxWithData and the files it covers (the model, then its external data files). */
export const sha256OnnxFiles = async (
  onnxPath: string,
): Promise<{ sha256: string; files: string[] }> => {
  const locations = externalLocations(asLoaded(onnxPath));
  const files = [onnxPath, ...locations.map((l) => join(dirname(onnxPath), l))];
  if (locations.length === 0) return { sha256: await sha256File(onnxPath), files };
  const hash = createHash('sha256');
  await hashInto(hash, onnxPath);
  for (const location of locations) {
    hash.update(`\0${location}\0`);
    await hashInto(hash, join(dirname(onnxPath), location));
  }
  return { sha256: hash.digest('hex'), files };
};

/**
 * sha256OnnxWithData, from the record of an earlier run when the files have the same stamps
 * (fingerprint.ts): a model that did not change is not read to know its hash.
 */
export const cachedSha256OnnxWithData = (
  onnxPath: string,
  recordsDir: string | undefined,
): Promise<string> => cachedHash(recordsDir, onnxPath, () => sha256OnnxFiles(onnxPath));

/** sha256File through the same records. */
export const cachedSha256File = (path: string, recordsDir: string | undefined): Promise<string> =>
  cachedHash(recordsDir, path, async () => ({ sha256: await sha256File(path), files: [path] }));

export interface PrepareOptions extends ExposeOptions {
  /** SHA-256 of the source file when the caller has it already (the embedding cache key needs it too). */
  sha256?: string;
}

export interface PreparedModel extends ExposedModel {
  /**
   * The folder the derived graph's weights are read from: the source model's own folder. The
   * graph references the source file's bytes (and its external data) there, so it is loaded with
   * createHiddenSession, not by its path alone.
   */
  weightsDir: string;
  /** The whole source graph, every large initializer referencing the source file the same way. */
  graphPath: string;
  /** SHA-256 of the source model when it was given or computed (sha256OnnxWithData). */
  sha256: string;
  cached: boolean;
}

/** Version of the derived graphs' layout: a new one never reads an old entry. */
const LAYOUT = 'causal-hidden-v3';
/** Earlier layouts held a full copy of the weights: removed when a model is prepared anew. */
const OLD_LAYOUTS = ['causal-hidden'];

interface CachedEntry {
  /** The source file and its external data files as they were when the graphs were derived. */
  stamps: FileStamp[];
  inspection: CausalOnnxInspection;
  externalLocations: string[];
}

/**
 * The hidden-state graph for a causal-LM ONNX file, derived once and kept in
 * `<cacheDir>/causal-hidden-v3/<key of the source path>/`, with the source's whole graph beside
 * it. Neither holds weights: every initializer of 128 bytes or more references its bytes where they
 * already are (the source .onnx file itself, or its external data), so the cache costs a few
 * hundred kilobytes per model instead of a second copy of it. The entry is valid while the source
 * files keep their stamps (size, mtime, inode): a warm load reads no weights to find it.
 */
export const prepareHiddenStateModel = async (
  onnxPath: string,
  cacheDir: string,
  options: PrepareOptions = {},
): Promise<PreparedModel> => {
  const source = realpathSync(onnxPath);
  const weightsDir = dirname(source);
  const variant = options.keepOriginalOutputs ? 'all-outputs' : 'hidden';
  const folder = join(cacheDir, LAYOUT, recordKey({ source }));
  const outPath = join(folder, `${variant}.onnx`);
  const graphPath = join(folder, 'graph.onnx');
  const entryPath = join(folder, `${variant}.json`);
  const entry = readRecord<CachedEntry>(entryPath);
  // A hit decodes neither the source model nor its weights.
  if (
    entry &&
    entry.stamps?.[0]?.path === source &&
    sameStamps(entry.stamps) &&
    existsSync(outPath) &&
    existsSync(graphPath)
  ) {
    return {
      path: outPath,
      hiddenOutput: assertHiddenAvailable(onnxPath, entry.inspection),
      inspection: entry.inspection,
      weightsDir,
      graphPath,
      sha256: options.sha256 ?? '',
      cached: true,
    };
  }
  for (const old of OLD_LAYOUTS) rmSync(join(cacheDir, old), { recursive: true, force: true });
  const before = fileStamp(source);
  const loaded = loadOnnx(source);
  const sha256 = options.sha256 ?? (await sha256OnnxWithData(source));
  const locations = externalLocations(loaded);
  const inspection = inspectCausalOnnx(loaded);
  referenceSourceWeights(loaded, basename(source));
  mkdirSync(folder, { recursive: true });
  writeAtomic(graphPath, encodeModel(loaded.model));
  const exposed = exposeFinalHidden(loaded, outPath, { ...options, inspection });
  const stamps = [before, ...locations.map((l) => fileStamp(join(weightsDir, l)))];
  // Changed while it was read: this derivation is used once, and not kept.
  if (sameStamps(stamps))
    writeRecord(entryPath, {
      stamps,
      inspection,
      externalLocations: locations,
    } satisfies CachedEntry);
  return { ...exposed, weightsDir, graphPath, sha256, cached: false };
};

const writeAtomic = (path: string, bytes: Uint8Array): void => {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
};

/**
 * The source graph as readAnswerRows reads it: its initializers' data where the source keeps them
 * (only the rows asked for are read from the weights file).
 */
export const loadPreparedGraph = (
  prepared: Pick<PreparedModel, 'graphPath' | 'weightsDir'>,
): LoadedOnnx => ({
  ...loadOnnx(prepared.graphPath),
  dir: prepared.weightsDir,
});

/** An onnxruntime session over a derived graph, its weights read from the source model's folder. */
export const createHiddenSession = async (
  prepared: Pick<PreparedModel, 'path' | 'weightsDir'>,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<ort.InferenceSession> => {
  const extra = (options.extra ?? {}) as { session?: Record<string, string> };
  return ort.InferenceSession.create(readFileSync(prepared.path), {
    ...options,
    extra: {
      ...extra,
      session: {
        ...extra.session,
        // Loaded from memory, the graph's external data resolves against this folder.
        model_external_initializers_file_folder_path: prepared.weightsDir,
      },
    },
  });
};
