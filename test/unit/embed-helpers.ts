import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');

/** Persona statements from the repository's examples (real data, 1000 lines). */
export const personaStatements = (): string[] =>
  readFileSync(join(repoRoot, 'examples', 'persona', 'agreeableness.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { statement: string }).statement);

export interface ExpectedFixture {
  sentences: string[];
  vectors: Record<'mean' | 'cls' | 'last-token', number[][]>;
}

export const expectedFixture = (): ExpectedFixture =>
  JSON.parse(
    readFileSync(join(repoRoot, 'test', 'fixtures', 'embed', 'expected.json'), 'utf8'),
  ) as ExpectedFixture;

export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
};

export const row = (data: Float32Array, dim: number, i: number): Float32Array =>
  data.subarray(i * dim, (i + 1) * dim);

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `pl-${prefix}-`));

/** Whether this onnxruntime-node install carries its CUDA provider library. */
export const ortHasCuda = (): boolean => {
  const bin = join(
    repoRoot,
    'node_modules',
    'onnxruntime-node',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  try {
    return readFileSync(join(bin, 'libonnxruntime_providers_cuda.so')).length > 0;
  } catch {
    return false;
  }
};
