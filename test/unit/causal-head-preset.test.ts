import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/pipeline.js';
import { renderMarkdown } from '../../src/shared/markdown.js';
import { formatSummary } from '../../src/cli/summary.js';
import { makeWeights, writeTinyModelDir } from './causal-fixture.js';
import { tempDir } from './embed-helpers.js';

// Which head the simulation starts from decides the default preset, and every face says it.
describe('the simulated head and the default preset', () => {
  const root = tempDir('causal-head-preset');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const weights = makeWeights();
  const data = join(root, 'data');
  mkdirSync(data, { recursive: true });
  const texts = [
    'I like cats',
    'Is the statement good ?',
    'cats like I',
    'good statement ?',
    'I like good cats',
    'Is it good',
  ];
  for (const [b, flip] of [
    ['alpha', false],
    ['beta', true],
  ] as const) {
    const lines = texts.map((q, i) => {
      const yes = (i % 2 === 0) !== flip;
      return JSON.stringify({
        question: q,
        answer_matching_behavior: yes ? ' Yes' : ' No',
        answer_not_matching_behavior: yes ? ' No' : ' Yes',
      });
    });
    writeFileSync(join(data, `${b}.jsonl`), `${lines.join('\n')}\n`);
  }
  const run = async (style: 'matmul' | 'quantized', preset?: 'fast-preview') => {
    const dir = join(root, style);
    writeTinyModelDir(dir, weights, style);
    const { report } = await analyze([join(data, 'alpha.jsonl'), join(data, 'beta.jsonl')], {
      embed: { model: dir, cacheDir: join(root, 'cache'), device: 'cpu' },
      ...(preset ? { simulation: { preset } } : {}),
    });
    return report;
  };

  it("a readable LM head: head 'model', phi for every behavior, the reference preset", async () => {
    const report = await run('matmul');
    expect(report.simulation.head).toBe('model');
    expect(report.simulation.headTokens).toEqual(['▁Yes', '▁No']);
    expect(report.simulation.options).toMatchObject({ preset: 'reference', beta: 0.01, lr: 1e-5 });
    for (const b of report.behaviors) expect(b.phi).toEqual(expect.any(Number));
    expect(formatSummary(report)).toContain(
      'Simulated head: model (the LM head rows of ▁Yes and ▁No)',
    );
    expect(renderMarkdown(report)).toContain('Simulated head: model');
  });

  it('an explicit preset is kept with a real head', async () => {
    const report = await run('matmul', 'fast-preview');
    expect(report.simulation.options.preset).toBe('fast-preview');
  });

  it("an unreadable head: head 'zero', no phi, the fast preview", async () => {
    const report = await run('quantized');
    expect(report.simulation.head).toBe('zero');
    expect(report.simulation.options.preset).toBe('fast-preview');
    for (const b of report.behaviors) expect(b.phi).toBeUndefined();
    expect(formatSummary(report)).toContain('Simulated head: zero');
  });
});
