import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const root = path.resolve(__dirname, '../..');
export const bin = path.join(root, 'bin/preference-lens.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm run build` first) and returns its exit code and output. */
export const cli = async (args: string[], timeoutMs = 120_000): Promise<CliResult> => {
  if (!existsSync(path.join(root, 'dist/cli.js')))
    throw new Error('dist/cli.js is missing: `npm test` builds before the unit tests');
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; signal?: string; stdout: string; stderr: string };
    if (e.signal)
      throw new Error(`the CLI did not finish in ${timeoutMs} ms: ${e.stderr}`, { cause: error });
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

/** The first `lines` lines of bundled persona behaviors, copied into `dir`. */
export const personaSample = async (
  dir: string,
  behaviors: readonly string[],
  lines: number,
): Promise<string> => {
  await mkdir(dir, { recursive: true });
  for (const b of behaviors) {
    const text = (await readFile(path.join(root, 'examples/persona', `${b}.jsonl`), 'utf8'))
      .split('\n')
      .slice(0, lines);
    await writeFile(path.join(dir, `${b}.jsonl`), text.join('\n') + '\n');
  }
  return dir;
};
