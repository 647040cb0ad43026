/**
 * package.json's `contributes.configuration` is the one place where the settings' defaults and
 * allowed values are written: the CLI's flags and the core's own defaults must say the same. The
 * manifest is read here from disk, not through src/shared/settings-manifest.ts, so a module that
 * stopped reading it (or a literal written next to it) shows up as a difference.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { DPO_LOSS_NAMES } from '../../src/core/analysis/losses.js';
import { DEFAULT_CHECK_THRESHOLDS } from '../../src/core/analysis/pair-checks.js';
import { DEFAULT_REBALANCE_TOLERANCE } from '../../src/core/analysis/rebalance-search.js';
import { DEFAULT_PRECISION, PRECISIONS } from '../../src/core/embed/precision.js';

interface Declared {
  default: unknown;
  enum?: string[];
}

const manifest = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
) as { contributes: { configuration: { properties: Record<string, Declared> } } };

const declared = (key: string): Declared => {
  const setting = manifest.contributes.configuration.properties[`preferenceLens.${key}`];
  if (!setting) throw new Error(`package.json declares no preferenceLens.${key}`);
  return setting;
};
const choicesOf = (key: string): string[] => {
  const choices = declared(key).enum;
  if (!choices) throw new Error(`package.json declares no enum for preferenceLens.${key}`);
  return choices;
};
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

const command = (name: string): Command => {
  const found = buildProgram().commands.find((c) => c.name() === name);
  if (!found) throw new Error(`no ${name} command`);
  return found;
};
const flag = (cmd: Command, long: string): Option => {
  const found = cmd.options.find((o) => o.long === long);
  if (!found) throw new Error(`${cmd.name()} has no ${long}`);
  return found;
};

describe('settings: package.json is the single source of defaults and choices', () => {
  const analyze = command('analyze');

  it('gives the CLI flags that mirror a setting the same choices', () => {
    expect(flag(analyze, '--device').argChoices).toEqual(choicesOf('device'));
    expect(flag(analyze, '--precision').argChoices).toEqual(choicesOf('precision'));
    expect(flag(analyze, '--loss').argChoices).toEqual(choicesOf('simulation.loss'));
    expect(flag(analyze, '--mc-mode').argChoices).toEqual(choicesOf('multipleChoiceMode'));
    // On the command line 'auto' is the flag left out.
    const noAuto = (key: string): string[] => choicesOf(key).filter((c) => c !== 'auto');
    expect(choicesOf('pooling')).toContain('auto');
    expect(flag(analyze, '--pooling').argChoices).toEqual(noAuto('pooling'));
    expect(choicesOf('schema')).toContain('auto');
    for (const name of ['analyze', 'check', 'export-rows'])
      expect(flag(command(name), '--schema').argChoices).toEqual(noAuto('schema'));
    expect(flag(command('export-rows'), '--mc-mode').argChoices).toEqual(
      noAuto('multipleChoiceMode'),
    );
    // 'custom' (the flags alone, no preset) exists on the command line only.
    expect(flag(analyze, '--preset').argChoices).toEqual([
      ...noAuto('simulation.preset'),
      'custom',
    ]);
  });

  it('gives the CLI flags that mirror a setting the same defaults', () => {
    expect(flag(analyze, '--device').defaultValue).toBe(declared('device').default);
    expect(flag(analyze, '--mc-mode').defaultValue).toBe(declared('multipleChoiceMode').default);
    expect(flag(analyze, '--max-suspects').defaultValue).toBe(
      declared('maxLabelErrorHints').default,
    );
    for (const [long, key] of [
      ['--near-identical-cosine', 'checks.nearIdenticalCosine'],
      ['--length-bias-fraction', 'checks.lengthBiasFraction'],
      ['--length-bias-correlation', 'checks.lengthBiasCorrelation'],
    ] as const)
      expect(flag(analyze, long).defaultValue).toBe(declared(key).default);
  });

  it('names the same defaults in the help of the flags the core defaults', () => {
    const help = (long: string): string => flag(analyze, long).description;
    expect(help('--precision')).toContain(`default ${String(declared('precision').default)}`);
    expect(help('--loss')).toContain(`default: ${String(declared('simulation.loss').default)}`);
    expect(help('--label-smoothing')).toContain(
      `default ${String(declared('simulation.labelSmoothing').default)}`,
    );
    expect(help('--rebalance-tolerance')).toContain(
      `default ${String(declared('rebalanceTolerance').default)}`,
    );
  });

  it("keeps the core's own defaults and value lists equal to the declared ones", () => {
    expect(DEFAULT_PRECISION).toBe(declared('precision').default);
    expect(sorted(PRECISIONS)).toEqual(sorted(choicesOf('precision')));
    expect(sorted(DPO_LOSS_NAMES)).toEqual(sorted(choicesOf('simulation.loss')));
    expect(DPO_LOSS_NAMES[0]).toBe(declared('simulation.loss').default);
    expect(DEFAULT_REBALANCE_TOLERANCE).toBe(declared('rebalanceTolerance').default);
    expect(DEFAULT_CHECK_THRESHOLDS).toEqual({
      nearIdenticalCosine: declared('checks.nearIdenticalCosine').default,
      lengthBiasFraction: declared('checks.lengthBiasFraction').default,
      lengthBiasCorrelation: declared('checks.lengthBiasCorrelation').default,
    });
  });
});
