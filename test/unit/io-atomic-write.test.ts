import { spawn } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/core/io/atomic-write.js';
import { cli, personaSample } from './cli-helpers.js';

const tsx = pathToFileURL(
  path.join(path.dirname(createRequire(__filename).resolve('tsx/package.json')), 'dist/loader.mjs'),
).href;
const helper = pathToFileURL(path.resolve(__dirname, '../../src/core/io/atomic-write.ts')).href;

// A process that starts replacing TARGET, says "half" once half the new content is on disk, and
// then either exits at once (the CLI's second Ctrl-C: process.exit) or waits to be killed.
const WRITER = `
const helper = await import(process.env.HELPER);
const { writeAtomically } = helper.writeAtomically ? helper : helper.default;
const { open } = await import('node:fs/promises');
setInterval(() => {}, 1000);
await writeAtomically(process.env.TARGET, async (temporary) => {
  const handle = await open(temporary, 'w');
  await handle.write('NEW-'.repeat(50000));
  await handle.sync();
  process.stdout.write('half\\n');
  if (process.env.MODE === 'exit') process.exit(130);
  await new Promise(() => {});
});
`;

const interruptedWrite = async (mode: 'exit' | 'kill') => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pl-atomic-'));
  const target = path.join(dir, 'report.json');
  await writeFile(target, 'OLD REPORT, COMPLETE\n');
  const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', WRITER], {
    env: { ...process.env, HELPER: helper, TARGET: target, MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let half = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    half ||= chunk.includes('half');
    if (half && mode === 'kill') child.kill('SIGKILL');
  });
  const code = await new Promise((resolve) =>
    child.on('exit', (c, signal) => resolve(signal ?? c)),
  );
  // The new content was half written when the writer died.
  expect(half).toBe(true);
  expect(code).toBe(mode === 'kill' ? 'SIGKILL' : 130);
  return { dir, target };
};

describe('writeAtomically', () => {
  it('a writer killed halfway leaves the previous file whole', async () => {
    const { target } = await interruptedWrite('kill');
    expect(await readFile(target, 'utf8')).toBe('OLD REPORT, COMPLETE\n');
  });

  it('process.exit halfway (a second Ctrl-C) leaves the previous file and no temporary file', async () => {
    const { dir, target } = await interruptedWrite('exit');
    expect(await readFile(target, 'utf8')).toBe('OLD REPORT, COMPLETE\n');
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  it('a failed write leaves the previous file and no temporary file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pl-atomic-'));
    const target = path.join(dir, 'out.json');
    await writeFile(target, 'OLD');
    const { writeAtomically } = await import('../../src/core/io/atomic-write.js');
    await expect(
      writeAtomically(target, async (temporary) => {
        await writeFile(temporary, 'NEW, PARTIAL');
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }),
    ).rejects.toThrow(/no space/);
    expect(await readFile(target, 'utf8')).toBe('OLD');
    expect(await readdir(dir)).toEqual(['out.json']);
  });

  it('writes through a symlink, which stays a symlink, and into a device in place', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pl-atomic-'));
    const real = path.join(dir, 'real.json');
    const link = path.join(dir, 'link.json');
    await writeFile(real, 'OLD');
    const { symlink, lstat } = await import('node:fs/promises');
    await symlink(real, link);
    await writeFileAtomic(link, 'NEW');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe('NEW');
    await writeFileAtomic('/dev/null', 'discarded');
    expect(existsSync('/dev/null')).toBe(true);
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
  });
});

describe('the CLI replaces its outputs, never rewrites them in place', () => {
  it('a reader of the previous report keeps reading it whole while the new one is written', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'pl-atomic-cli-'));
    const data = await personaSample(
      path.join(work, 'persona'),
      ['agreeableness', 'risk-seeking'],
      20,
    );
    const outputs = ['report.json', 'report.md', 'report.html'].map((f) => path.join(work, f));
    const old = 'the previous report, complete\n';
    const readers = [];
    for (const file of outputs) {
      await writeFile(file, old);
      readers.push(openSync(file, 'r'));
    }
    const result = await cli([
      'analyze',
      data,
      '--cache-dir',
      path.join(work, 'cache'),
      '--steps',
      '5',
      '--json',
      outputs[0],
      '--markdown',
      outputs[1],
      '--html',
      outputs[2],
      '--no-progress',
    ]);
    expect(result.code, result.stderr).toBe(0);
    for (const fd of readers) {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      closeSync(fd);
      expect(buf.toString('utf8', 0, n)).toBe(old);
    }
    expect(JSON.parse(await readFile(outputs[0], 'utf8')).behaviors).toHaveLength(2);
    expect(await readFile(outputs[2], 'utf8')).toMatch(/<\/html>\s*$/);
    expect((await readdir(work)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
