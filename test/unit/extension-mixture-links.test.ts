import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listJsonl, selectMixture } from '../../src/extension/mixture.js';

const persona = path.resolve(__dirname, '../../examples/persona');
let root: string;
let workspace: string;

beforeAll(async () => {
  // A DVC/Hugging Face-style workspace: the data folder holds links into a cache of blobs, a
  // subfolder links back to the workspace (a loop), and one link is dangling (unfetched).
  root = await mkdtemp(path.join(tmpdir(), 'pl-mixture-links-'));
  workspace = path.join(root, 'ws');
  const cache = path.join(root, 'cache');
  await mkdir(path.join(workspace, 'data'), { recursive: true });
  await mkdir(cache);
  for (const [i, name] of ['agreeableness', 'narcissism'].entries()) {
    await copyFile(path.join(persona, `${name}.jsonl`), path.join(cache, `blob${i}`));
    await symlink(path.join(cache, `blob${i}`), path.join(workspace, 'data', `${name}.jsonl`));
  }
  await copyFile(
    path.join(persona, 'risk-seeking.jsonl'),
    path.join(workspace, 'risk-seeking.jsonl'),
  );
  await symlink(workspace, path.join(workspace, 'data', 'back-to-workspace'));
  await symlink(path.join(cache, 'not-fetched'), path.join(workspace, 'data', 'missing.jsonl'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('mixture selection follows symbolic links', () => {
  it('lists linked files, walks a looping folder link once, leaves dangling links out', async () => {
    const files = await listJsonl(workspace, true);
    expect(files.map((f) => path.relative(workspace, f))).toEqual([
      path.join('data', 'agreeableness.jsonl'),
      path.join('data', 'narcissism.jsonl'),
      'risk-seeking.jsonl',
    ]);
  });

  it('a linked file analyzed in its folder brings its linked neighbours', async () => {
    const target = path.join(workspace, 'data', 'narcissism.jsonl');
    const m = await selectMixture({
      workspaceFolders: [workspace],
      schema: null,
      selected: [target],
      scope: 'folder',
    });
    expect(m.files.map((f) => path.basename(f))).toEqual([
      'agreeableness.jsonl',
      'narcissism.jsonl',
    ]);
  });
});
