/**
 * When behaviors are discovered (src/core/discovery): 'unlabeled' when the input names none,
 * 'off' never, 'auto' always with k chosen by silhouette, a number always with that many
 * clusters. The CLI's --discover-behaviors and the setting preferenceLens.discoverBehaviors take
 * the same values; neither vscode nor the core is imported here.
 */
export type DiscoverMode = 'unlabeled' | 'off' | 'auto' | number;

/**
 * The core's mode when a caller names none: the setting's default in package.json (the faces
 * read that one; test/unit/core-layers.test.ts keeps the two equal). The core reads no settings.
 */
export const DEFAULT_DISCOVER_MODE: DiscoverMode = 'unlabeled';

/** The largest number of behaviors one may ask to discover. */
export const MAX_DISCOVERED = 100;

/** A value of --discover-behaviors / preferenceLens.discoverBehaviors, or null when invalid. */
export function parseDiscoverMode(value: unknown): DiscoverMode | null {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 1 && value <= MAX_DISCOVERED ? value : null;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim().toLowerCase();
  if (text === 'unlabeled' || text === 'off' || text === 'auto') return text;
  return /^\d+$/.test(text) ? parseDiscoverMode(Number(text)) : null;
}
