/** Minimal static SVG line charts for the docs (the interactive report uses chart.js). */
export interface Series {
  name: string;
  y: readonly number[];
  dashed?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

const escapeXml = (s: string): string =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export const lineChart = (
  title: string,
  yLabel: string,
  series: readonly Series[],
  opts: { width?: number; height?: number; yMin?: number; yMax?: number } = {},
): string => {
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const m = { left: 60, right: 16, top: 32, bottom: 44 + 16 * Math.ceil(series.length / 2) };
  const all = series.flatMap((s) => s.y.filter(Number.isFinite));
  const yMin = opts.yMin ?? Math.min(...all);
  const yMax = opts.yMax ?? Math.max(...all);
  const span = yMax - yMin || 1;
  const steps = Math.max(...series.map((s) => s.y.length)) - 1 || 1;
  const px = (t: number) => m.left + (t / steps) * (width - m.left - m.right);
  const py = (v: number) => m.top + (1 - (v - yMin) / span) * (height - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = yMin + (span * i) / 4;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${py(v) + 4}" text-anchor="end">${v.toPrecision(3)}</text>`,
    );
  }
  const axisY = height - m.bottom;
  for (let i = 0; i <= 5; i++) {
    const t = Math.round((steps * i) / 5);
    parts.push(`<text x="${px(t)}" y="${axisY + 14}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<text x="${(m.left + width - m.right) / 2}" y="${axisY + 28}" text-anchor="middle">step</text>`,
    `<text transform="translate(14 ${(m.top + axisY) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const points = s.y.map((v, t) => `${px(t).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${points}"/>`,
    );
    const lx = m.left + (i % 2) * ((width - m.left) / 2);
    const ly = axisY + 44 + 16 * Math.floor(i / 2);
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${lx + 22}" y="${ly}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
};
