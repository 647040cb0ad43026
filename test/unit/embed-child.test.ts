import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder, EmbeddingProcessError } from '../../src/core/embed/index.js';
import { cosine, personaStatements, repoRoot, row, tempDir } from './embed-helpers.js';

describe('embedding child process', () => {
  it('reports a crashed child clearly, then a new child embeds the next call', async () => {
    const embedder = await createEmbedder({
      cacheDir: false,
      batchSize: 4,
      device: 'cpu',
      threads: 1,
    });
    afterAll(() => embedder.dispose());
    const texts = personaStatements().slice(0, 200);
    const firstPid = embedder.childPid!;
    let killed = false;
    const run = embedder.embed(texts, undefined, (p) => {
      if (p.done > 0 && !killed) {
        killed = true;
        process.kill(firstPid, 'SIGKILL');
      }
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingProcessError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The embedding process \\(pid ${firstPid}\\) was killed by SIGKILL.*The next embed call starts a new one\\.$`,
      ),
    );

    const out = await embedder.embed(texts.slice(0, 3));
    expect(embedder.childPid).not.toBe(firstPid);
    expect(out.rows).toBe(3);
    // Real vectors again: unit length (the model normalizes), and two different statements differ.
    const first = row(out.data, 384, 0);
    expect(Math.hypot(...first)).toBeCloseTo(1, 4);
    expect(cosine(first, row(out.data, 384, 1))).toBeLessThan(0.95);
  });

  it('disposing kills the child; the embedder refuses further work', async () => {
    const embedder = await createEmbedder({ cacheDir: false, device: 'cpu' });
    const pid = embedder.childPid!;
    await embedder.dispose();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(embedder.embed(['x'])).rejects.toThrow(/disposed/);
  });

  it('does not keep a script alive that forgot dispose, and its child exits with it', async () => {
    const script = join(tempDir('embed-exit'), 'forgot-dispose.ts');
    const entry = join(repoRoot, 'src', 'core', 'embed', 'index.ts');
    writeFileSync(
      script,
      `import { createEmbedder } from ${JSON.stringify(entry)};\n` +
        'void createEmbedder({ cacheDir: false, device: "cpu" }).then(async (e) => {\n' +
        '  await e.embed(["left running"]);\n' +
        '  console.log(e.childPid);\n' +
        '});\n',
    );
    const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    const run = spawnSync(process.execPath, ['--import', tsx, script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const childPid = Number(run.stdout.trim());
    expect(childPid).toBeGreaterThan(0);
    const isAlive = () => {
      try {
        process.kill(childPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    let alive = isAlive();
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = isAlive();
    }
    expect(alive).toBe(false);
  });
});
