import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeOptions,
  effectiveValue,
  embedderKey,
  readSettings,
  RESTRICTED_SETTINGS,
  type InspectedValue,
  type SettingsReader,
} from '../../src/extension/config.js';
import manifest from '../../package.json' with { type: 'json' };
import { settingChoices, settingDefault } from '../../src/shared/settings-manifest.js';

/** Settings as VS Code's inspect() reports them: per key, the value at each level. */
const reader =
  (levels: Record<string, InspectedValue<unknown>>): SettingsReader =>
  <T>(key: string) =>
    levels[key] as InspectedValue<T> | undefined;

describe('settings: workspace trust', () => {
  it('ignores a workspace-chosen model path in Restricted Mode but honours the user setting', () => {
    const levels = {
      model: { defaultValue: 'bundled', workspaceValue: '/tmp/evil-model' },
      device: { defaultValue: 'auto', globalValue: 'cpu', workspaceFolderValue: 'cuda' },
      allowDownload: { defaultValue: false, workspaceValue: true },
      mixtureScope: { defaultValue: 'folder', workspaceValue: 'workspace' },
    };
    const untrusted = readSettings(reader(levels), false);
    expect(untrusted.model).toBe('bundled');
    expect(untrusted.device).toBe('cpu');
    expect(untrusted.allowDownload).toBe(false);
    // Not a restricted setting: the workspace may choose it even when untrusted.
    expect(untrusted.mixtureScope).toBe('workspace');
    expect(analyzeOptions(untrusted).embed?.model).toBeUndefined();

    const trusted = readSettings(reader(levels), true);
    expect(trusted.model).toBe('/tmp/evil-model');
    expect(trusted.device).toBe('cuda');
    expect(analyzeOptions(trusted).embed).toMatchObject({
      model: '/tmp/evil-model',
      device: 'cuda',
      allowDownload: true,
    });
  });

  it('restricts in package.json exactly the settings the host filters', () => {
    const declared = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    expect(declared).toEqual(RESTRICTED_SETTINGS.map((k) => `preferenceLens.${k}`));
    for (const key of declared)
      expect(manifest.contributes.configuration.properties).toHaveProperty([key]);
  });

  it('most specific level wins when trusted', () => {
    expect(
      effectiveValue(
        { defaultValue: 1, globalValue: 2, workspaceValue: 3, workspaceFolderValue: 4 },
        true,
        true,
      ),
    ).toBe(4);
    expect(
      effectiveValue({ defaultValue: 1, globalValue: 2, workspaceValue: 3 }, false, true),
    ).toBe(2);
    expect(effectiveValue({ defaultValue: 1, workspaceValue: 3 }, false, true)).toBe(1);
  });
});

describe('settings: mapping to the core options', () => {
  it('maps every configured value and leaves unset ones to the core defaults', () => {
    const s = readSettings(
      reader({
        'simulation.preset': { globalValue: 'fast-preview' },
        'simulation.steps': { globalValue: 40 },
        'simulation.lr': { globalValue: null },
        'thresholds.priorityLevel': { globalValue: 0.3 },
        fields: { globalValue: { prompt: 'instruction', chosen: ' better ', bogus: 'x' } },
        behaviorField: { globalValue: 'category' },
        schema: { globalValue: 'pairwise' },
        maxLabelErrorHints: { globalValue: 5 },
        cache: { globalValue: false },
        pooling: { globalValue: 'cls' },
        threads: { globalValue: 2 },
      }),
      true,
    );
    const overlays = new Map([['/data/a.jsonl', '{}']]);
    const options = analyzeOptions(s, overlays);
    expect(options.simulation).toEqual({ preset: 'fast-preview', steps: 40 });
    expect(options.thresholds).toEqual({ priorityLevel: 0.3 });
    expect(options.read).toEqual({
      schema: 'pairwise',
      behaviorField: 'category',
      fields: { prompt: 'instruction', chosen: 'better' },
      overlays,
    });
    expect(options.maxSuspects).toBe(5);
    expect(options.embed).toEqual({
      allowDownload: false,
      device: 'auto',
      pooling: 'cls',
      // The bundled model: the precision setting's value (its default here).
      precision: 'exact',
      threads: 2,
      cacheDir: false,
    });
  });

  it('falls back to the manifest defaults for invalid values', () => {
    const s = readSettings(
      reader({ device: { globalValue: 'tpu' }, mixtureScope: { globalValue: 42 } }),
      true,
    );
    const props = manifest.contributes.configuration.properties;
    expect(s.device).toBe(props['preferenceLens.device'].default);
    expect(s.mixtureScope).toBe(props['preferenceLens.mixtureScope'].default);
    expect(s.model).toBe(props['preferenceLens.model'].default);
    expect(s.maxLabelErrorHints).toBe(props['preferenceLens.maxLabelErrorHints'].default);
  });

  it('passes a chosen DPO loss and its label smoothing on; eps only where the loss has one', () => {
    const options = (loss: unknown, eps: unknown) =>
      analyzeOptions(
        readSettings(
          reader({
            'simulation.loss': { globalValue: loss },
            'simulation.labelSmoothing': { globalValue: eps },
          }),
          true,
        ),
      ).simulation;
    // The preset is left to the head (setting 'auto'): reference for a causal LM, fast-preview otherwise.
    expect(options('robust', 0.2)).toEqual({
      loss: 'robust',
      labelSmoothing: 0.2,
    });
    expect(options('sigmoid', 0.1)).toEqual({ labelSmoothing: 0.1 });
    // ipo and hinge have no eps; an eps of 0.5 or more is invalid and falls back to 0.
    expect(options('hinge', 0.1)).toEqual({ loss: 'hinge' });
    expect(options('robust', 0.5)).toEqual({ loss: 'robust' });
    expect(options('dpo', 0)).toEqual({});
  });

  it('changes the embedder key only when the embedding process must restart', () => {
    const base = readSettings(reader({}), true);
    const otherSimulation = readSettings(reader({ 'simulation.steps': { globalValue: 10 } }), true);
    const otherModel = readSettings(
      reader({ model: { globalValue: 'Xenova/all-MiniLM-L6-v2' } }),
      true,
    );
    const otherDevice = readSettings(reader({ device: { globalValue: 'cpu' } }), true);
    expect(embedderKey(otherSimulation)).toBe(embedderKey(base));
    expect(embedderKey(otherModel)).not.toBe(embedderKey(base));
    expect(embedderKey(otherDevice)).not.toBe(embedderKey(base));
  });
});

describe('settings: package.json is the only source of defaults and choices', () => {
  // Read from disk, apart from the module under test, which imports the same file.
  const declared = (
    JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      contributes: {
        configuration: { properties: Record<string, { default: unknown; enum?: string[] }> };
      };
    }
  ).contributes.configuration.properties;
  const keys = Object.keys(declared).map((name) => name.replace(/^preferenceLens\./, ''));
  const at = (settings: object, key: string): unknown =>
    key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], settings);

  it('reads every declared setting, unset, as its declared default', () => {
    const s = readSettings(reader({}), true);
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys)
      expect(at(s, key), key).toEqual(declared[`preferenceLens.${key}`].default);
  });

  it('accepts every value of a declared enum and nothing else', () => {
    const enums = keys.filter((key) => declared[`preferenceLens.${key}`].enum);
    expect(enums).toEqual([
      'device',
      'pooling',
      'precision',
      'schema',
      'multipleChoiceMode',
      'simulation.preset',
      'simulation.loss',
      'mixtureScope',
    ]);
    for (const key of enums) {
      const { enum: values, default: fallback } = declared[`preferenceLens.${key}`];
      for (const value of values!)
        expect(at(readSettings(reader({ [key]: { globalValue: value } }), true), key)).toBe(value);
      expect(at(readSettings(reader({ [key]: { globalValue: 'not-a-choice' } }), true), key)).toBe(
        fallback,
      );
    }
  });
});

describe('settings: the declarations behind them', () => {
  it('refuses a setting package.json does not declare, instead of inventing a default', () => {
    expect(() => settingDefault('no.such.setting')).toThrow(/declares no setting/);
    expect(() => settingChoices('model')).toThrow(/no enum/);
  });

  it('keeps only the field overrides package.json declares', () => {
    const s = readSettings(
      reader({ fields: { globalValue: { notMatching: 'b', question: 'q', answer: 'x' } } }),
      true,
    );
    expect(s.fields).toEqual({ notMatching: 'b', question: 'q' });
  });
});
