/**
 * One color per behavior, the same in every chart, table and the map. A behavior keeps the
 * color of its index in the report's `behaviors` (stable across re-renders and sections).
 * Up to ten behaviors take ten well-separated hues, beyond that hues step by the golden angle. Lightness follows the theme: darker on
 * light backgrounds, lighter on dark ones, full saturation in high contrast, so every color
 * keeps contrast against the page. Positive and negative examples of one behavior differ in
 * lightness (and in shape on the map), never in hue.
 */
import type { Theme } from './theme.js';

type Rgb = [number, number, number];

/**
 * Ten hues at least 25 degrees apart, in an order where neighbours differ most (blue, vermillion,
 * green, magenta, amber, violet, cyan, red, olive, purple): at one lightness, hues closer than
 * that read as the same color.
 */
const CATEGORICAL_HUES = [210, 25, 150, 320, 45, 265, 185, 0, 95, 290];
const GOLDEN_ANGLE = 137.508;

export type ThemeKind = 'light' | 'dark' | 'high-contrast-dark' | 'high-contrast-light';

export const themeKind = (theme: Pick<Theme, 'dark' | 'highContrast'>): ThemeKind =>
  theme.highContrast
    ? theme.dark
      ? 'high-contrast-dark'
      : 'high-contrast-light'
    : theme.dark
      ? 'dark'
      : 'light';

/** Saturation and lightness (percent) of the behavior colors per theme. */
const TONE: Record<ThemeKind, { s: number; l: number; lNeg: number }> = {
  light: { s: 70, l: 40, lNeg: 62 },
  dark: { s: 75, l: 62, lNeg: 40 },
  'high-contrast-dark': { s: 100, l: 60, lNeg: 32 },
  'high-contrast-light': { s: 100, l: 32, lNeg: 62 },
};

const hslToRgb = (h: number, s: number, l: number): Rgb => {
  const sat = s / 100;
  const lig = l / 100;
  const k = (n: number): number => (n + h / 30) % 12;
  const a = sat * Math.min(lig, 1 - lig);
  const f = (n: number): number =>
    lig - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0) * 255, f(8) * 255, f(4) * 255].map((v) => Math.round(v)) as Rgb;
};

const css = ([r, g, b]: Rgb): string => `rgb(${r}, ${g}, ${b})`;

const hueOf = (index: number, count: number): number =>
  count <= CATEGORICAL_HUES.length
    ? CATEGORICAL_HUES[index % CATEGORICAL_HUES.length]
    : (index * GOLDEN_ANGLE) % 360;

export interface BehaviorPalette {
  /** The behavior's color ("rgb(r, g, b)"): positive examples, lines, bars, swatches. */
  color(name: string): string;
  /** The same hue at the other lightness: negative examples, "before" bars. */
  negative(name: string): string;
  /** 0..255 components, for the map's vertex colors. */
  rgb(name: string, label?: 1 | -1): Rgb;
  names: readonly string[];
}

/** The palette of one report: `names` is `report.behaviors[].name` in report order. */
export function behaviorPalette(theme: Theme, names: readonly string[]): BehaviorPalette {
  const tone = TONE[themeKind(theme)];
  const index = new Map(names.map((n, i) => [n, i]));
  const pos = names.map((_, i) => hslToRgb(hueOf(i, names.length), tone.s, tone.l));
  const neg = names.map((_, i) => hslToRgb(hueOf(i, names.length), tone.s, tone.lNeg));
  const grey: Rgb = theme.dark ? [150, 150, 150] : [110, 110, 110];
  const at = (name: string, label: 1 | -1): Rgb => {
    const i = index.get(name);
    if (i === undefined) return grey;
    return label === 1 ? pos[i] : neg[i];
  };
  return {
    names,
    color: (n) => css(at(n, 1)),
    negative: (n) => css(at(n, -1)),
    rgb: (n, label = 1) => at(n, label),
  };
}
