import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDatasets } from '../../src/core/dataset/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const persona = (name: string) => resolve(ROOT, 'examples/persona', `${name}.jsonl`);

let work: string;
let mixture: string;

/**
 * A Hugging Face-style snapshot: `mixture/` holds links, one absolute, one relative into a blob
 * store whose file names are hashes, next to a plain file and a link to a folder.
 */
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pl-links-'));
  mixture = join(work, 'mixture');
  const blobs = join(work, 'blobs');
  await mkdir(mixture);
  await mkdir(blobs);
  await copyFile(persona('openness'), join(blobs, '9f86d081884c7d65'));
  await symlink(persona('agreeableness'), join(mixture, 'agreeableness.jsonl'));
  await symlink('../blobs/9f86d081884c7d65', join(mixture, 'openness.jsonl'));
  await copyFile(persona('risk-seeking'), join(mixture, 'risk-seeking.jsonl'));
  await symlink(blobs, join(mixture, 'a-folder.jsonl'));
  await symlink(mixture, join(work, 'snapshot'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const summary = (files: Awaited<ReturnType<typeof readDatasets>>) =>
  files.map((f) => [f.file, f.examples[0].behavior, f.examples.length, f.skipped.length]);

describe('symbolic links are followed', () => {
  it('a folder reads its linked .jsonl files, each named by its link', async () => {
    const files = await readDatasets([mixture]);
    expect(summary(files)).toEqual([
      [join(mixture, 'agreeableness.jsonl'), 'agreeableness', 1000, 0],
      [join(mixture, 'openness.jsonl'), 'openness', 1000, 0],
      [join(mixture, 'risk-seeking.jsonl'), 'risk-seeking', 1000, 0],
    ]);
  });

  it('a link to a folder stands for that folder', async () => {
    const files = await readDatasets([join(work, 'snapshot')]);
    expect(files.map((f) => f.examples[0].behavior)).toEqual([
      'agreeableness',
      'openness',
      'risk-seeking',
    ]);
  });

  it('a file named directly and through a link is read once', async () => {
    const files = await readDatasets([persona('agreeableness'), mixture]);
    expect(files.map((f) => f.file)).toEqual([
      persona('agreeableness'),
      join(mixture, 'openness.jsonl'),
      join(mixture, 'risk-seeking.jsonl'),
    ]);
  });
});

describe('links that lead nowhere say so', () => {
  it('a dangling link names its target, given directly or found in a folder', async () => {
    const folder = join(work, 'annex');
    await mkdir(folder);
    await copyFile(persona('openness'), join(folder, 'openness.jsonl'));
    await symlink('../.git/annex/objects/SHA256E-s1--ab.jsonl', join(folder, 'unfetched.jsonl'));
    const link = join(folder, 'unfetched.jsonl');
    await expect(readDatasets([link])).rejects.toThrow(
      `${link}: broken symlink -> ../.git/annex/objects/SHA256E-s1--ab.jsonl`,
    );
    await expect(readDatasets([folder])).rejects.toThrow(
      `${link}: broken symlink -> ../.git/annex/objects/SHA256E-s1--ab.jsonl`,
    );
  });

  it('a loop of links is a symlink loop, not a missing file', async () => {
    const folder = join(work, 'loops');
    await mkdir(folder);
    await symlink('b.jsonl', join(folder, 'a.jsonl'));
    await symlink('a.jsonl', join(folder, 'b.jsonl'));
    await symlink('self.jsonl', join(work, 'self.jsonl'));
    await expect(readDatasets([join(work, 'self.jsonl')])).rejects.toThrow(
      `${join(work, 'self.jsonl')}: symlink loop`,
    );
    await expect(readDatasets([folder])).rejects.toThrow(
      `${join(folder, 'a.jsonl')}: symlink loop`,
    );
  });

  it('a path that does not exist is still "no such file or folder"', async () => {
    const missing = join(work, 'nothing-here.jsonl');
    await expect(readDatasets([missing])).rejects.toThrow(`${missing}: no such file or folder`);
  });
});
