/**
 * The standalone HTML report: one file that opens offline in any browser. It embeds the built
 * webview bundle and its stylesheet inline, under a nonce CSP, with the payload (the report and
 * its sidecar, the map already projected) as inert JSON: opening it computes nothing. The webview code notices it is not inside VS Code and plays the host's part itself.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportPayload } from './payload.js';

export interface ReportAssets {
  /** dist/webview.js */
  webviewJs: string;
  /** dist/report.css (copied from media/report.css by the build) */
  css: string;
}

/** Reads the built report assets; `distDir` is the build output folder (dist/). */
export async function loadReportAssets(distDir: string): Promise<ReportAssets> {
  const [webviewJs, css] = await Promise.all([
    readFile(join(distDir, 'webview.js'), 'utf8'),
    readFile(join(distDir, 'report.css'), 'utf8'),
  ]);
  return { webviewJs, css };
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON that is safe inside <script type="application/json">: no '<' at all (so neither
 * '</script' nor '<!--' can appear), and the two line separators JavaScript once rejected.
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Script or stylesheet text that cannot end its element early. Inside a bundle these sequences
 * only occur in strings, regexes or comments, where '<\/' and '<\!' mean the same thing.
 */
export function escapeRawText(code: string, tag: 'script' | 'style'): string {
  const close = new RegExp(`</(${tag})`, 'gi');
  return code.replace(close, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export interface RenderHtmlOptions {
  /** Fixed nonce for reproducible output; random by default. */
  nonce?: string;
}

export function renderHtml(
  payload: ReportPayload,
  assets: ReportAssets,
  options: RenderHtmlOptions = {},
): string {
  const nonce = options.nonce ?? randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const r = payload.report;
  const title = `Preference Lens report: ${r.behaviors.length} behaviors, ${r.model.id} (${r.createdAt.slice(0, 10)})`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${r.tool.name} ${r.tool.version}`)}">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
${escapeRawText(assets.css, 'style')}
</style>
</head>
<body class="pl-standalone">
<main id="app"><noscript>This report needs JavaScript to draw its tables and charts; the data is also in the JSON report.</noscript></main>
<script type="application/json" id="payload">${jsonForHtml(payload)}</script>
<script nonce="${nonce}">
${escapeRawText(assets.webviewJs, 'script')}
</script>
</body>
</html>
`;
}
