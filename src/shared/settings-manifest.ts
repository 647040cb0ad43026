/**
 * The `preferenceLens.*` settings as package.json declares them (`contributes.configuration`):
 * the one place where their defaults and allowed values are written. Neither vscode nor the core
 * is imported, so the extension's config module and the CLI's options can both take their
 * defaults and choices from here. The TypeScript unions (DeviceRequest, Pooling, …) stay the
 * types; package.json holds the values.
 */
import { capabilities, contributes } from '../../package.json';

export const SETTINGS_SECTION = 'preferenceLens';

/** What a setting's declaration says about its values (the rest is VS Code's UI). */
export interface DeclaredSetting {
  readonly default: unknown;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  /** An object setting's keys (`preferenceLens.fields`). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

const declared = contributes.configuration.properties as Record<string, DeclaredSetting>;

/** The declaration of `preferenceLens.<key>`; a key package.json does not declare is a bug. */
export const declaredSetting = (key: string): DeclaredSetting => {
  const setting = declared[`${SETTINGS_SECTION}.${key}`];
  if (!setting) throw new Error(`package.json declares no setting ${SETTINGS_SECTION}.${key}`);
  return setting;
};

/** The declared default of `preferenceLens.<key>` (null where "empty" means "the core's own"). */
export const settingDefault = <T>(key: string): T => declaredSetting(key).default as T;

/** The declared `enum` of `preferenceLens.<key>`, in package.json's order. */
export const settingChoices = <T extends string>(key: string): readonly T[] => {
  const choices = declaredSetting(key).enum;
  if (!choices) throw new Error(`package.json declares no enum for ${SETTINGS_SECTION}.${key}`);
  return choices as readonly T[];
};

/** A setting's choices less 'auto': on the command line, 'auto' is the flag left out. */
export const withoutAuto = <T extends string>(choices: readonly T[]): T[] =>
  choices.filter((c) => c !== 'auto');

/** The keys an object setting declares under `properties`, in package.json's order. */
export const settingProperties = <T extends string>(key: string): readonly T[] => {
  const properties = declaredSetting(key).properties;
  if (!properties)
    throw new Error(`package.json declares no properties for ${SETTINGS_SECTION}.${key}`);
  return Object.keys(properties) as T[];
};

/**
 * Settings a workspace must not control in Restricted Mode (keys without the section), as
 * `capabilities.untrustedWorkspaces.restrictedConfigurations` lists them.
 */
export const RESTRICTED_SETTINGS: readonly string[] =
  capabilities.untrustedWorkspaces.restrictedConfigurations.map((name) =>
    name.slice(SETTINGS_SECTION.length + 1),
  );
