/**
 * Colors come from the --pl-* custom properties of report.css, which map to VS Code's --vscode-*
 * variables inside a webview and to fixed light/dark palettes in the standalone report. They are
 * read at render time so a theme switch re-renders with the new palette.
 */
export interface Theme {
  dark: boolean;
  /** VS Code's high-contrast themes (body class vscode-high-contrast[-light]). */
  highContrast: boolean;
  fg: string;
  bg: string;
  muted: string;
  grid: string;
  border: string;
  accent: string;
  pos: string;
  neg: string;
  warn: string;
  danger: string;
  ok: string;
  series: string[];
  font: string;
}

type Rgb = [number, number, number];

let probe: HTMLElement | null = null;

/** Normalizes any CSS color (named, hex, var fallback) to rgb numbers via the browser itself. */
export function toRgb(color: string): Rgb {
  if (!probe) {
    probe = document.createElement('span');
    probe.className = 'pl-probe';
    document.body.append(probe);
  }
  probe.style.color = '';
  probe.style.color = color;
  const m = /rgba?\(([^)]+)\)/.exec(getComputedStyle(probe).color);
  if (!m) return [128, 128, 128];
  const [r, g, b] = m[1].split(',').map((v) => Number.parseFloat(v));
  return [r, g, b];
}

export const rgbString = ([r, g, b]: Rgb, alpha = 1): string =>
  alpha >= 1
    ? `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`
    : `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${alpha})`;

export function mix(a: string, b: string, t: number): string {
  const x = toRgb(a);
  const y = toRgb(b);
  return rgbString([0, 1, 2].map((i) => x[i] + (y[i] - x[i]) * t) as Rgb);
}

export function withAlpha(color: string, alpha: number): string {
  return rgbString(toRgb(color), alpha);
}

export function readTheme(): Theme {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string =>
    cs.getPropertyValue(name).trim() || fallback;
  const fg = v('--pl-fg', '#1f2328');
  const bg = v('--pl-bg', '#ffffff');
  const [r, g, b] = toRgb(bg);
  const dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
  const series = [
    v('--pl-series-1', '#1f77b4'),
    v('--pl-series-2', '#d62728'),
    v('--pl-series-3', '#2ca02c'),
    v('--pl-series-4', '#ff7f0e'),
    v('--pl-series-5', '#9467bd'),
    v('--pl-series-6', '#8c564b'),
    v('--pl-series-7', '#e377c2'),
    v('--pl-series-8', '#17becf'),
  ];
  const highContrast =
    document.body.classList.contains('vscode-high-contrast') ||
    document.body.classList.contains('vscode-high-contrast-light');
  return {
    dark: dark && !document.body.classList.contains('vscode-high-contrast-light'),
    highContrast,
    fg,
    bg,
    muted: v('--pl-muted', '#59636e'),
    grid: withAlpha(fg, 0.12),
    border: v('--pl-border', '#d1d9e0'),
    accent: v('--pl-accent', '#0969da'),
    pos: v('--pl-pos', '#1f77b4'),
    neg: v('--pl-neg', '#d9480f'),
    warn: v('--pl-warn', '#bf8700'),
    danger: v('--pl-danger', '#cf222e'),
    ok: v('--pl-ok', '#1a7f37'),
    series,
    font: cs.fontFamily || 'system-ui, sans-serif',
  };
}

/** Diverging scale for t in [-1, 1]: neg color, background at 0, pos color. */
export function diverging(theme: Theme, t: number): string {
  const c = Math.max(-1, Math.min(1, t));
  return c >= 0 ? mix(theme.bg, theme.pos, c) : mix(theme.bg, theme.neg, -c);
}

/** Calls back when VS Code swaps the body theme class, or the OS scheme changes (standalone). */
export function watchTheme(onChange: () => void): () => void {
  let lastClass = document.body.className;
  const observer = new MutationObserver(() => {
    if (document.body.className !== lastClass) {
      lastClass = document.body.className;
      onChange();
    }
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  const media = window.matchMedia?.('(prefers-color-scheme: dark)');
  media?.addEventListener('change', onChange);
  return () => {
    observer.disconnect();
    media?.removeEventListener('change', onChange);
  };
}
