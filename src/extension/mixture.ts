/**
 * Which files form the analyzed mixture. Priority levels only mean something between behaviors
 * trained together, so a file that holds a single behavior is analyzed with the other JSONL files of
 * the same schema around it (`preferenceLens.mixtureScope`). No vscode import: unit-tested on disk.
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  chooseBehaviorField,
  detectSchema,
  isRecord,
  resolveFields,
} from '../core/dataset/schema.js';
import { isJsonArrayFile } from '../core/dataset/json-array.js';
import { formatOfPath, isDatasetPath } from '../core/dataset/position.js';
import { firstRecord } from '../core/dataset/sources.js';
import type { ReadOptions, SchemaName } from '../core/dataset/types.js';
import type { MixtureScope } from './config.js';

export interface Mixture {
  /** Absolute paths, sorted, no duplicates. */
  files: string[];
  /** The files the user asked for (before adding the neighbours). */
  selected: string[];
  schema: SchemaName | null;
  scope: MixtureScope;
  /** One sentence for the report header, the notification and the diagnostics. */
  description: string;
}

export interface MixtureRequest {
  /** Absolute paths of the selected files and folders (explorer multi-selection or the editor). */
  selected: string[];
  scope: MixtureScope;
  /** Absolute paths of the workspace folders, for the "workspace" scope. */
  workspaceFolders: string[];
  /** Forced schema (setting), or null to sniff each file's first record. */
  schema: SchemaName | null;
  /** Field-name overrides and behavior field (settings), used when sniffing. */
  fields?: ReadOptions['fields'];
  behaviorField?: string;
  /** Unsaved editor contents by absolute path (sniffed instead of the disk file). */
  overlays?: ReadonlyMap<string, string>;
  /** Upper bound on the files a folder/workspace scope may add (large workspaces). */
  maxFiles?: number;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.e2e', 'dist', 'out']);
const DEFAULT_MAX_FILES = 200;

export const isJsonl = (file: string): boolean => file.toLowerCase().endsWith('.jsonl');

/** A file the analysis reads: JSONL, JSON (an array, or JSON Lines) or Parquet. */
export const isDatasetFile = (file: string): boolean => isDatasetPath(file);

export interface Sniffed {
  schema: SchemaName | null;
  /** The field that splits the file into several behaviors, or null: the file is one behavior. */
  behaviorField: string | null;
}

/**
 * Reads the first non-empty line (at most 1 MiB) and judges it as the dataset readers do; a
 * Parquet file or a JSON array by its first record, read by the core's reader.
 */
export const sniffFile = async (
  file: string,
  fields: ReadOptions['fields'] = {},
  behaviorField?: string,
  overlays?: ReadonlyMap<string, string>,
): Promise<Sniffed> => {
  if (!isJsonl(file)) {
    const record = await firstRecord(file, overlays?.get(file));
    const schema = detectSchema(record, fields);
    if (!schema || !record) return { schema, behaviorField: null };
    return {
      schema,
      behaviorField: chooseBehaviorField(schema, record, behaviorField, resolveFields(fields)),
    };
  }
  const text = overlays?.get(file) ?? (await readHead(file, 1 << 20));
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return { schema: null, behaviorField: null };
    }
    const schema = detectSchema(record, fields);
    if (!schema || !isRecord(record)) return { schema, behaviorField: null };
    return {
      schema,
      behaviorField: chooseBehaviorField(schema, record, behaviorField, resolveFields(fields)),
    };
  }
  return { schema: null, behaviorField: null };
};

const readHead = async (file: string, bytes: number): Promise<string> => {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
};

/** A file a folder contributes: as the core's reader, a .json file only when it is an array. */
const inFolder = async (name: string, full: string): Promise<boolean> => {
  const format = formatOfPath(name);
  if (format === 'json') return isJsonArrayFile(full).catch(() => false);
  return format !== null;
};

/**
 * Dataset files (JSONL, Parquet, JSON arrays) under a folder; `recursive` walks subfolders except build and VCS folders.
 * Symbolic links are followed (Hugging Face caches, DVC and git-annex store data as links); a
 * folder reached twice (a link loop) is walked once, and links that lead nowhere are left out
 * here: named directly, the reader reports them.
 */
export const listJsonl = async (
  dir: string,
  recursive: boolean,
  limit = Infinity,
): Promise<string[]> => {
  const out: string[] = [];
  const walked = new Set<string>();
  const walk = async (current: string): Promise<void> => {
    const real = await realpath(current).catch(() => current);
    if (walked.has(real)) return;
    walked.add(real);
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (out.length >= limit) return;
      const full = path.join(current, entry.name);
      const target = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
      if (target?.isFile() && (await inFolder(entry.name, full))) out.push(full);
      else if (
        recursive &&
        target?.isDirectory() &&
        !entry.name.startsWith('.') &&
        !SKIP_DIRS.has(entry.name)
      ) {
        await walk(full);
      }
    }
  };
  await walk(dir);
  return out;
};

export const selectMixture = async (request: MixtureRequest): Promise<Mixture> => {
  const limit = request.maxFiles ?? DEFAULT_MAX_FILES;
  const selected: string[] = [];
  for (const item of request.selected) {
    const info = await stat(item).catch(() => null);
    if (info?.isDirectory()) selected.push(...(await listJsonl(item, true, limit)));
    else if (isDatasetFile(item) && (info?.isFile() || request.overlays?.has(item)))
      selected.push(item);
  }
  const unique = [...new Set(selected)].sort();
  if (unique.length === 0) {
    throw new Error('No JSONL, JSON or Parquet file to analyze in the selection.');
  }
  const sniff = async (file: string): Promise<SchemaName | null> => {
    const sniffed = await sniffFile(
      file,
      request.fields,
      request.behaviorField,
      request.overlays,
    ).catch(() => null);
    return request.schema ?? sniffed?.schema ?? null;
  };

  // An explicit multi-selection (or a folder) is the mixture the user chose.
  const singleFile =
    request.selected.length === 1 && unique.length === 1 && unique[0] === request.selected[0];
  const first = await sniffFile(
    unique[0],
    request.fields,
    request.behaviorField,
    request.overlays,
  ).catch(() => null);
  const schema = request.schema ?? first?.schema ?? null;
  // A file whose records name their behavior already is a mixture of its own.
  const ownMixture = first?.behaviorField != null;
  if (!singleFile || request.scope === 'file' || schema === null || ownMixture) {
    const reason = ownMixture
      ? `holds several behaviors (field "${first?.behaviorField}")`
      : undefined;
    return {
      files: unique,
      selected: unique,
      schema,
      scope: request.scope,
      description: describe(unique, unique, request.scope, !singleFile, reason),
    };
  }

  const file = unique[0];
  const roots =
    request.scope === 'folder'
      ? [path.dirname(file)]
      : request.workspaceFolders.filter((root) => isInside(file, root)).slice(0, 1);
  if (roots.length === 0) roots.push(path.dirname(file));
  const candidates = await listJsonl(roots[0], request.scope === 'workspace', limit);
  const files = [file];
  for (const candidate of candidates) {
    if (candidate !== file && (await sniff(candidate).catch(() => null)) === schema)
      files.push(candidate);
  }
  files.sort();
  return {
    files,
    selected: [file],
    schema,
    scope: request.scope,
    description: describe(files, [file], request.scope, false),
  };
};

const isInside = (file: string, root: string): boolean => {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

const describe = (
  files: string[],
  selected: string[],
  scope: MixtureScope,
  explicit: boolean,
  reason?: string,
): string => {
  const names = files.map((f) => path.basename(f));
  const list =
    names.length <= 4
      ? names.join(', ')
      : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
  if (explicit)
    return `Mixture of ${files.length} selected file${files.length === 1 ? '' : 's'}: ${list}.`;
  if (files.length === 1 && reason) return `${names[0]} analyzed alone: it ${reason}.`;
  if (files.length === 1)
    return `${names[0]} analyzed alone (preferenceLens.mixtureScope = ${scope}).`;
  const where = scope === 'folder' ? `its folder ${path.dirname(selected[0])}` : 'the workspace';
  return (
    `${path.basename(selected[0])} analyzed together with the ${files.length - 1} other JSONL file` +
    `${files.length === 2 ? '' : 's'} of the same schema in ${where} ` +
    `(preferenceLens.mixtureScope = ${scope}): ${list}.`
  );
};
