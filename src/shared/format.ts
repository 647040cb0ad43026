/**
 * The one number formatter of the report's faces (webview, standalone HTML, Markdown): a fixed
 * number of decimals, exponent form for tiny and huge values, a dash for a missing value.
 */
export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(digits);
}
