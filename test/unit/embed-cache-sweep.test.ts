import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/core/embed/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The pid of a process that has exited (a pid nobody holds right now). */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
};

const temp = (pid: number) => `.${Date.now().toString(36)}-${pid}-0123456789ab.seg.tmp`;

describe('embedding cache: temporary segments left by dead writers', () => {
  it('are removed when the cache is first read; a live writer’s are kept', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pl-sweep-'));
    dirs.push(root);
    const cache = new EmbeddingCache(root, 'model identity', 4);
    await mkdir(cache.dir, { recursive: true });
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    const files = {
      deadOld: temp(deadPid()), // its writer died two minutes ago: gone
      deadFresh: temp(deadPid()), // a writer on another host may still be writing: kept
      liveFresh: temp(process.pid), // being written now: kept
      liveAncient: temp(process.ppid), // two hours old: stale whoever holds the pid
      unrelated: '.notes.tmp', // not a name the cache writes: never touched
    };
    for (const name of Object.values(files)) await writeFile(path.join(cache.dir, name), 'part');
    await utimes(path.join(cache.dir, files.deadOld), minutesAgo(2), minutesAgo(2));
    await utimes(path.join(cache.dir, files.liveAncient), minutesAgo(120), minutesAgo(120));
    await utimes(path.join(cache.dir, files.unrelated), minutesAgo(600), minutesAgo(600));

    expect((await cache.lookup(['00'.repeat(32)])).size).toBe(0);
    const left = new Set(await readdir(cache.dir));
    expect(left.has(files.deadOld)).toBe(false);
    expect(left.has(files.liveAncient)).toBe(false);
    expect(left.has(files.deadFresh)).toBe(true);
    expect(left.has(files.liveFresh)).toBe(true);
    expect(left.has(files.unrelated)).toBe(true);
  });
});
