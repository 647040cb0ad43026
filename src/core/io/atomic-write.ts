import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

// Every output (reports, the rebalanced data, embeddings, the extension's last report) is written
// to a temporary file beside its target and renamed over it: rename is atomic within a folder, so a
// reader, or a run killed halfway (a second Ctrl-C, SIGKILL, a full disk), sees the old file or the
// new one, never a truncated one.

/** Temporary files being written now: removed if the process exits before they are renamed. */
const pending = new Set<string>();
let exitHook = false;

const removePendingOnExit = (): void => {
  if (exitHook) return;
  exitHook = true;
  // process.exit() (the CLI's second Ctrl-C) runs 'exit' listeners synchronously, nothing else.
  process.on('exit', () => {
    for (const file of pending) rmSync(file, { force: true });
  });
};

/** The temporary name for `target`: hidden, beside it, unique per process and call. */
export const temporaryPath = (target: string): string =>
  path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );

const existingTarget = async (
  target: string,
): Promise<{ path: string; isFile: boolean } | undefined> => {
  try {
    const real = await realpath(target);
    return { path: real, isFile: (await stat(real)).isFile() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * Calls `write` with a temporary path beside `target`, then renames that file over `target`. If
 * `write` fails, the temporary file is removed and `target` is left as it was.
 */
export async function writeAtomically<T>(
  target: string,
  write: (temporary: string) => Promise<T>,
): Promise<T> {
  const existing = await existingTarget(target);
  // A device or pipe (--json /dev/stdout) cannot be replaced, only written.
  if (existing && !existing.isFile) return write(existing.path);
  // A symlink stays a symlink: the file it points at is the one replaced.
  const file = existing?.path ?? target;
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = temporaryPath(file);
  removePendingOnExit();
  pending.add(temporary);
  try {
    const result = await write(temporary);
    await rename(temporary, file);
    return result;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    pending.delete(temporary);
  }
}

/** writeFile, atomically: the data reaches the disk (fsync) before it replaces `target`. */
export const writeFileAtomic = (target: string, data: string | Uint8Array): Promise<void> =>
  writeAtomically(target, async (temporary) => {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      // fsync where the target is a file; a pipe or terminal (EINVAL) has nothing to flush.
      await handle.sync().catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EINVAL' && error.code !== 'ENOTSUP') throw error;
      });
    } finally {
      await handle.close();
    }
  });
