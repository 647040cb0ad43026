import { describe, expect, it } from 'vitest';
import { type ChildEmbedder, createEmbedder } from '../../src/core/embed/index.js';
import { EmbedderPool } from '../../src/extension/embedder-pool.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitFor = async (done: () => boolean, ms: number): Promise<boolean> => {
  for (let t = 0; t < ms && !done(); t += 50) await new Promise((r) => setTimeout(r, 50));
  return done();
};

// The extension's warm embedding process: kept between runs, ended by the idle timeout.
describe('EmbedderPool idle timeout', () => {
  it('keeps the child between runs and ends it (freeing its memory) once idle', async () => {
    let created = 0;
    let ended = 0;
    let idleMs = 1500;
    const pool = new EmbedderPool(
      async () => {
        created++;
        return createEmbedder({ cacheDir: false, device: 'cpu' });
      },
      { idleMs: () => idleMs, onIdleEnd: () => ended++ },
    );
    const key = '{}';
    const first = (await pool.get(key)) as ChildEmbedder;
    await first.embed(['a first run']);
    const pid = first.childPid!;
    pool.release();
    // A second run inside the timeout gets the same process: no second start-up.
    await new Promise((r) => setTimeout(r, 300));
    const second = (await pool.get(key)) as ChildEmbedder;
    expect(second).toBe(first);
    expect(second.childPid).toBe(pid);
    await second.embed(['a second run']);
    expect(created).toBe(1);
    pool.release();
    expect(alive(pid)).toBe(true);
    // Idle past the timeout: the child exits.
    expect(await waitFor(() => !alive(pid), 10_000)).toBe(true);
    expect(pool.warm).toBe(false);
    expect(ended).toBe(1);

    // 0 keeps it: the next one stays until reset.
    idleMs = 0;
    const third = (await pool.get(key)) as ChildEmbedder;
    expect(created).toBe(2);
    await third.embed(['a third run']);
    pool.release();
    await new Promise((r) => setTimeout(r, 2000));
    expect(alive(third.childPid!)).toBe(true);
    await pool.reset();
    expect(await waitFor(() => !alive(third.childPid!), 10_000)).toBe(true);
  }, 60_000);
});
