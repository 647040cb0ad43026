import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// Model identity without reading the weights: a file's SHA-256 is kept next to its stamp (path,
// size, mtime, inode, device), and a later run that finds the same stamp takes the hash from that
// record instead of reading the file. A file rewritten in place changes its size or its mtime; one
// replaced by another file (a rename, a new download) changes its inode.

/** What identifies one version of a file without reading it. */
export interface FileStamp {
  path: string;
  size: string;
  mtimeNs: string;
  ino: string;
  dev: string;
}

/** The stamp of a file (bigint stat: nanosecond mtimes, 64-bit inodes exactly). */
export const fileStamp = (path: string): FileStamp => {
  const s = statSync(path, { bigint: true });
  return {
    path: resolve(path),
    size: s.size.toString(),
    mtimeNs: s.mtimeNs.toString(),
    ino: s.ino.toString(),
    dev: s.dev.toString(),
  };
};

const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.path === b.path &&
  a.size === b.size &&
  a.mtimeNs === b.mtimeNs &&
  a.ino === b.ino &&
  a.dev === b.dev;

/** Stamps of the given files now, or undefined when one is gone. */
const stampsNow = (paths: readonly string[]): FileStamp[] | undefined => {
  try {
    return paths.map(fileStamp);
  } catch {
    return undefined;
  }
};

export const sameStamps = (recorded: readonly FileStamp[]): boolean => {
  const now = stampsNow(recorded.map((s) => s.path));
  return now !== undefined && now.every((s, i) => sameStamp(s, recorded[i]));
};

/** Folder levels searched by folderStamps: a model folder's files sit at most in onnx/ or so. */
const FOLDER_DEPTH = 3;

/**
 * Stamps of every file under a model folder (sorted by path, hidden files and folders left out):
 * a changed, added or removed file (a new onnx/model.onnx that findCausalOnnx would now choose, an
 * edited tokenizer or config) changes them.
 */
export const folderStamps = (dir: string): FileStamp[] => {
  const out: FileStamp[] = [];
  const walk = (folder: string, depth: number) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (depth < FOLDER_DEPTH) walk(path, depth + 1);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        try {
          out.push(fileStamp(path));
        } catch {
          // A dangling link is no file of the model.
        }
      }
    }
  };
  walk(resolve(dir), 1);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};

/** Whether the folder's files are still exactly those recorded (folderStamps). */
export const sameFolder = (dir: string, recorded: readonly FileStamp[]): boolean => {
  let now: FileStamp[];
  try {
    now = folderStamps(dir);
  } catch {
    return false;
  }
  return now.length === recorded.length && now.every((s, i) => sameStamp(s, recorded[i]));
};

/** A short file-name-safe key of any JSON value. */
export const recordKey = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

/** Reads a JSON record; undefined when it is missing or unreadable (a record is only a shortcut). */
export const readRecord = <T>(path: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

/**
 * Writes a JSON record under a temporary name and renames it, so a concurrent reader sees a whole
 * record or none. A record that cannot be written costs only the shortcut it would have been.
 */
export const writeRecord = (path: string, value: unknown): void => {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temp, JSON.stringify(value));
    renameSync(temp, path);
  } catch {
    rmSync(temp, { force: true });
  }
};

interface HashRecord {
  stamps: FileStamp[];
  sha256: string;
}

/**
 * `compute()` (a hash of `primary` and the files it needs), or the value it gave last time when
 * every file it covered (`files`, `primary` first: a model and its external data) still has the
 * stamp it had then. Without `recordsDir` it always computes.
 */
export const cachedHash = async (
  recordsDir: string | undefined,
  primary: string,
  compute: () => Promise<{ sha256: string; files: string[] }>,
): Promise<string> => {
  const path = recordsDir ? join(recordsDir, `${recordKey(resolve(primary))}.json`) : undefined;
  const record = path ? readRecord<HashRecord>(path) : undefined;
  if (
    record &&
    record.stamps.length > 0 &&
    record.stamps[0].path === resolve(primary) &&
    sameStamps(record.stamps)
  )
    return record.sha256;
  // Stamped before reading: a file changed while it is hashed gets a record that no longer
  // matches, never a stale hash under its new stamp.
  const before = stampsNow([primary]);
  const { sha256, files } = await compute();
  const stamps = stampsNow(files);
  if (path && before && stamps && sameStamp(before[0], stamps[0]))
    writeRecord(path, { stamps, sha256 } satisfies HashRecord);
  return sha256;
};
