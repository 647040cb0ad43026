/**
 * Builds the report's browser bundles the way scripts/build.mjs does, into a temporary folder, so
 * the HTML tests always exercise the current webview sources (not a stale dist/).
 */
import { build } from 'esbuild';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadReportAssets, type ReportAssets } from '../../src/core/report/html.js';

const ROOT = resolve(__dirname, '../..');

export async function buildReportAssets(): Promise<ReportAssets> {
  const out = mkdtempSync(join(tmpdir(), 'pl-report-assets-'));
  const common = {
    bundle: true,
    minify: true,
    platform: 'browser' as const,
    format: 'iife' as const,
    target: 'es2022',
    logLevel: 'silent' as const,
    absWorkingDir: ROOT,
  };
  await build({ ...common, entryPoints: ['webview/main.ts'], outfile: join(out, 'webview.js') });
  copyFileSync(join(ROOT, 'media/report.css'), join(out, 'report.css'));
  return loadReportAssets(out);
}
