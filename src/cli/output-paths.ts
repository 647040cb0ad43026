import { constants } from 'node:fs';
import { access, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';

/** One output the command line names: a file, or a folder the CLI writes files into. */
export interface OutputTarget {
  option: string;
  path: string;
  kind: 'file' | 'folder';
}

const code = (error: unknown): string => (error as NodeJS.ErrnoException)?.code ?? String(error);

const statOrUndefined = async (p: string) => {
  try {
    return await stat(p);
  } catch (error) {
    if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined;
    throw error;
  }
};

/** The nearest folder at or above `dir` that exists (the one `mkdir -p dir` would write into). */
const nearestExisting = async (dir: string): Promise<{ dir: string; isDirectory: boolean }> => {
  for (let current = dir; ; current = path.dirname(current)) {
    const info = await statOrUndefined(current);
    if (info) return { dir: current, isDirectory: info.isDirectory() };
    if (path.dirname(current) === current) return { dir: current, isDirectory: false };
  }
};

/**
 * Creates and removes a file in `dir`: access(W_OK) says yes to root on read-only or virtual file
 * systems (/proc), where only a real write tells.
 */
const probeWritable = async (dir: string): Promise<void> => {
  const probe = path.join(dir, `.preference-lens-probe-${process.pid}`);
  const handle = await open(probe, 'wx');
  await handle.close();
  await rm(probe, { force: true });
};

const check = async (target: OutputTarget): Promise<void> => {
  const resolved = path.resolve(target.path);
  const fail = (why: string) => new UsageError(`${target.option} ${target.path}: ${why}`);
  const info = await statOrUndefined(resolved);
  if (target.kind === 'file') {
    if (info?.isDirectory()) throw fail('is a folder; give a file name');
    // An existing device or pipe (e.g. /dev/stdout) is written in place, so it only needs to be
    // writable; a regular file is replaced by a new one written beside it.
    if (info && !info.isFile()) {
      await access(resolved, constants.W_OK).catch((error) => {
        throw fail(`cannot be written (${code(error)})`);
      });
      return;
    }
  } else if (info && !info.isDirectory()) throw fail('is a file; give a folder');
  const parent = target.kind === 'folder' && info ? resolved : path.dirname(resolved);
  const base = await nearestExisting(parent);
  if (!base.isDirectory) throw fail(`${base.dir} is not a folder`);
  await probeWritable(base.dir).catch((error) => {
    throw fail(`cannot write in ${base.dir} (${code(error)})`);
  });
};

/**
 * Checks every output before any work starts: a report that cannot be written must not cost an
 * analysis first. Two outputs on one path are refused too (one would overwrite the other).
 */
export const checkOutputTargets = async (targets: readonly OutputTarget[]): Promise<void> => {
  const seen = new Map<string, string>();
  for (const target of targets) {
    const resolved = path.resolve(target.path);
    const other = seen.get(resolved);
    if (other)
      throw new UsageError(`${other} and ${target.option} name the same path ${target.path}`);
    seen.set(resolved, target.option);
    await check(target);
  }
};

/**
 * No output may overwrite an input: a report named like a dataset, or the rebalanced data written
 * into the folder it is read from (one file per source, under the source's name).
 */
export const checkOutputsSpareInputs = async (
  targets: readonly OutputTarget[],
  inputs: readonly string[],
): Promise<void> => {
  const files = new Set<string>();
  const folders = new Set<string>();
  for (const input of inputs) {
    const resolved = path.resolve(input);
    if (input.startsWith('hf://')) continue; // a Hub split lives in the cache, never an output
    const info = await statOrUndefined(resolved);
    if (info?.isDirectory()) folders.add(resolved);
    else {
      files.add(resolved);
      folders.add(path.dirname(resolved));
    }
  }
  for (const target of targets) {
    const resolved = path.resolve(target.path);
    const readFromFolder =
      /\.jsonl$/i.test(resolved) &&
      [...folders].some((f) => resolved.startsWith(f + path.sep)) &&
      (await statOrUndefined(resolved))?.isFile() === true;
    const clash =
      target.kind === 'file'
        ? files.has(resolved) || folders.has(resolved) || readFromFolder
        : target.option === '--rebalance-out' && folders.has(resolved);
    if (clash)
      throw new UsageError(
        `${target.option} ${target.path} would overwrite an input; write it elsewhere`,
      );
  }
};
