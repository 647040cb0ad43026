/**
 * The verdicts in the Problems panel, from a real analysis (bundled model, persona data): a behavior
 * whose answers were assigned by a coin is indistinguishable (a warning, no label hints, its hover
 * says the level is not meaningful); a mixed-schema folder warns on every input.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeResult } from '../../src/core/pipeline.js';
import { behaviorHoverMarkdown, buildDiagnostics } from '../../src/extension/diagnostics-model.js';

const SHUFFLED = 'subscribes-to-total-utilitarianism';
let dir: string;
let result: AnalyzeResult;

const persona = async (name: string, n: number): Promise<string[]> =>
  (await readFile(path.resolve(__dirname, '../../examples/persona', `${name}.jsonl`), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pl-diag-verdicts-'));
  for (const name of ['agreeableness', 'risk-seeking'])
    await writeFile(path.join(dir, `${name}.jsonl`), (await persona(name, 150)).join('\n') + '\n');
  let x = 777;
  const coin = (): boolean => ((x = (x * 1103515245 + 12345) % 2 ** 31), x >= 2 ** 30);
  const shuffled = (await persona(SHUFFLED, 150)).map((l) => {
    const r = JSON.parse(l) as Record<string, string>;
    const yes = coin();
    return JSON.stringify({
      ...r,
      answer_matching_behavior: yes ? ' Yes' : ' No',
      answer_not_matching_behavior: yes ? ' No' : ' Yes',
    });
  });
  await writeFile(path.join(dir, `${SHUFFLED}.jsonl`), shuffled.join('\n') + '\n');
  const hh = (
    await readFile(
      path.resolve(__dirname, '../../examples/hh-rlhf/harmless-base-test-first300.jsonl'),
      'utf8',
    )
  )
    .split('\n')
    .slice(0, 30);
  await writeFile(path.join(dir, 'harmless.jsonl'), hh.join('\n') + '\n');
  result = await analyze([dir], { simulation: { steps: 5 }, rebalance: false });
}, 240_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('verdicts as diagnostics', () => {
  it('indistinguishable: a warning on its first line, no label hints, level not meaningful', () => {
    const diagnostics = buildDiagnostics(result.report, result.skipped, {
      maxLabelErrorHintsPerFile: 20,
    });
    const file = path.join(dir, `${SHUFFLED}.jsonl`);
    const own = diagnostics.get(file) ?? [];
    const verdict = own.find((d) => d.code === 'indistinguishable');
    expect(verdict?.severity).toBe('warning');
    expect(verdict?.line).toBe(0);
    expect(own.filter((d) => d.code === 'possible-label-error')).toEqual([]);
    const b = result.report.behaviors.find((x) => x.name === SHUFFLED)!;
    expect(behaviorHoverMarkdown(result.report, b)).toContain(
      'not meaningful (indistinguishable from shuffled labels)',
    );
  });

  it('a mixed-schema folder: a warning on every input naming the schemas', () => {
    const diagnostics = buildDiagnostics(result.report, result.skipped, {
      maxLabelErrorHintsPerFile: 20,
    });
    for (const input of result.report.inputs) {
      const w = (diagnostics.get(input.file) ?? []).find((d) => d.code === 'mixed-schemas');
      expect(w?.severity).toBe('warning');
      expect(w?.message).toMatch(/evals \(3 files: .*\); hh-rlhf \(1 file: harmless.jsonl\)/);
    }
  });
});
